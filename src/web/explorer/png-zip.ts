// A zipped folder of class subfolders of PNG images as a Dataset, by the CLI's rules (src/data/png-folder.ts:
// class names are the sorted subfolder names, images of one size become grayscale, names starting with
// '.' are skipped) and with the CLI's name and source (src/data/png-dataset.ts). The zip holds either the
// folder itself (root/<class>/*.png: the root is that folder) or its contents (<class>/*.png: the root is
// the zip's name without .zip); macOS's __MACOSX copies are skipped. The page decodes PNGs with the
// browser (decodePngInBrowser); the layout and the dataset are pure, so Node tests can decode with pngjs.
import type { Dataset } from '../../data/dataset.js';
import { pngFolderDataset, rgbaToGray } from '../../data/png-dataset.js';
import { zipEntries, zipRead, type ZipEntry } from './zip.js';

export interface DecodedPng {
  width: number;
  height: number;
  /** (height * width * 4) RGBA, not premultiplied. */
  rgba: Uint8Array;
  /** Whether the PNG's colour type has colour (IHDR colour type bit 2), as pngjs reports it. */
  color: boolean;
}

export interface PngLayout {
  /** The folder name the CLI is given after unzipping. */
  root: string;
  /** Whether the zip holds the root folder itself (unzip makes it) or only its contents (unzip -d root). */
  rootInZip: boolean;
  classes: string[];
  /** Images in CLI order: by class, then by file name. */
  images: { label: number; entry: ZipEntry; path: string }[];
}

const hidden = (part: string) => part.startsWith('.') || part === '__MACOSX';

/** Where the root and the class folders are in a zip's entries; throws as the CLI does for a folder without classes or images. */
export function pngLayout(entries: ZipEntry[], zipName: string): PngLayout {
  const paths = entries.map((e) => ({ e, parts: e.name.split('/').filter((p) => p !== '') }));
  const visible = paths.filter((p) => p.parts.length > 0 && !p.parts.some(hidden));
  const files = visible.filter((p) => !p.e.name.endsWith('/'));
  const tops = new Set(visible.map((p) => p.parts[0]!));
  // One top folder with class folders under it: the zip holds the folder itself.
  const rootInZip = tops.size === 1 && files.some((p) => p.parts.length >= 3);
  const stem = zipName.replace(/^.*[\\/]/, '').replace(/\.zip$/i, '');
  const root = rootInZip ? [...tops][0]! : stem;
  const depth = rootInZip ? 1 : 0;
  const under = visible.map((p) => ({ ...p, rel: p.parts.slice(depth) })).filter((p) => p.rel.length > 0);
  // Class folders: every directory directly under the root (listed or implied by a deeper path).
  const classes = [
    ...new Set(under.filter((p) => p.rel.length > 1 || p.e.name.endsWith('/')).map((p) => p.rel[0]!)),
  ].sort();
  if (classes.length === 0)
    throw new Error(
      `${zipName}: ${under.length === 0 ? 'is empty' : 'has no class subfolders'}; expected one subfolder of .png images per class (${root}/<class>/*.png)`,
    );
  const images: PngLayout['images'] = [];
  classes.forEach((c, k) => {
    const pngs = under
      .filter((p) => p.rel.length === 2 && p.rel[0] === c && !p.e.name.endsWith('/') && /\.png$/i.test(p.rel[1]!))
      .sort((a, b) => (a.rel[1]! < b.rel[1]! ? -1 : a.rel[1]! > b.rel[1]! ? 1 : 0));
    if (pngs.length === 0) throw new Error(`${zipName}: ${root}/${c}: class folder has no .png images`);
    for (const p of pngs) images.push({ label: k, entry: p.e, path: `${root}/${p.rel.join('/')}` });
  });
  return { root, rootInZip, classes, images };
}

/** The dataset of a zipped PNG folder; `decode` turns PNG bytes into pixels (it throws on a bad PNG). */
export async function datasetFromPngZip(
  bytes: Uint8Array,
  zipName: string,
  decode: (png: Uint8Array, path: string) => Promise<DecodedPng>,
): Promise<{ data: Dataset; layout: PngLayout }> {
  const layout = pngLayout(zipEntries(bytes, zipName), zipName);
  const n = layout.images.length;
  let values = new Float64Array(0);
  let [h, w, first] = [0, 0, ''];
  for (let i = 0; i < n; i++) {
    const im = layout.images[i]!;
    let png: DecodedPng;
    try {
      png = await decode(await zipRead(bytes, im.entry, zipName), im.path);
    } catch (e) {
      throw new Error(`${zipName}: ${im.path}: not a readable PNG (${(e as Error).message})`);
    }
    if (i === 0) {
      [h, w, first] = [png.height, png.width, im.path];
      values = new Float64Array(n * h * w);
    } else if (png.height !== h || png.width !== w) {
      throw new Error(
        `${zipName}: ${im.path} is ${png.width}x${png.height} but ${first} is ${w}x${h}; all images must have the same size`,
      );
    }
    values.set(rgbaToGray(png.rgba, png.color), i * h * w);
  }
  const data = pngFolderDataset({
    root: layout.root,
    name: layout.root,
    classes: layout.classes,
    labels: layout.images.map((im) => im.label),
    values,
    count: n,
    h,
    w,
  });
  return { data, layout };
}

/** IHDR colour type (byte 25 of a PNG): bit 2 set means colour (2 RGB, 3 palette, 6 RGBA). */
export function pngHasColour(png: Uint8Array): boolean {
  const sig = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (png.length < 29 || !sig.every((v, i) => png[i] === v)) throw new Error('no PNG signature');
  return (png[25]! & 2) !== 0;
}

/**
 * Decodes a PNG with the browser: createImageBitmap without colour-space conversion or premultiplied
 * alpha, read back through an OffscreenCanvas. 8-bit images read exactly; 16-bit ones are reduced to
 * 8 bits by the browser (pngjs in the CLI does the same reduction, which may round differently).
 */
export async function decodePngInBrowser(png: Uint8Array): Promise<DecodedPng> {
  const color = pngHasColour(png);
  const bitmap = await createImageBitmap(new Blob([png as Uint8Array<ArrayBuffer>], { type: 'image/png' }), {
    colorSpaceConversion: 'none',
    premultiplyAlpha: 'none',
  });
  try {
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const g = canvas.getContext('2d', { willReadFrequently: true });
    if (!g) throw new Error('no 2D canvas to read the pixels');
    g.drawImage(bitmap, 0, 0);
    const rgba = new Uint8Array(g.getImageData(0, 0, bitmap.width, bitmap.height).data.buffer);
    return { width: bitmap.width, height: bitmap.height, rgba, color };
  } finally {
    bitmap.close();
  }
}
