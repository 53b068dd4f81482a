// A folder of class subfolders of PNG images (root/<class>/*.png, like torchvision's ImageFolder):
// class names are the sorted subfolder names; images become grayscale, all of one size. Node only.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { PNG } from 'pngjs';
import type { Dataset } from './dataset.js';
import { pngFolderDataset, rgbaToGray } from './png-dataset.js';

export { rgbaToGray } from './png-dataset.js';

const visible = (name: string) => !name.startsWith('.');

export function loadPngFolder(root: string): Dataset {
  const classes = readdirSync(root)
    .filter((n) => visible(n) && statSync(join(root, n)).isDirectory())
    .sort();
  if (classes.length === 0) {
    const what = readdirSync(root).filter(visible).length === 0 ? 'is empty' : 'has no class subfolders';
    throw new Error(
      `${root}: ${what}; expected one subfolder of .png images per class (${join(root, '<class>', '*.png')})`,
    );
  }
  const files: string[] = [];
  const raw: number[] = [];
  classes.forEach((c, k) => {
    const pngs = readdirSync(join(root, c))
      .filter((n) => visible(n) && /\.png$/i.test(n))
      .sort();
    if (pngs.length === 0) throw new Error(`${join(root, c)}: class folder has no .png images`);
    for (const p of pngs) {
      files.push(join(root, c, p));
      raw.push(k);
    }
  });
  let first = '';
  let h = 0;
  let w = 0;
  let values = new Float64Array(0);
  files.forEach((file, i) => {
    let png;
    try {
      png = PNG.sync.read(readFileSync(file));
    } catch (e) {
      throw new Error(`${file}: not a readable PNG (${(e as Error).message})`);
    }
    if (i === 0) {
      [first, h, w] = [file, png.height, png.width];
      values = new Float64Array(files.length * h * w);
    } else if (png.height !== h || png.width !== w) {
      throw new Error(
        `${file}: is ${png.width}x${png.height} but ${first} is ${w}x${h}; all images must have the same size`,
      );
    }
    values.set(rgbaToGray(png.data, png.color), i * h * w);
  });
  return pngFolderDataset({ root, name: basename(root), classes, labels: raw, values, count: files.length, h, w });
}
