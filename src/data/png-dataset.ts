// The Dataset of a folder of class subfolders of PNG images, from decoded pixels: grayscale conversion
// and the dataset's name, source and scale, shared by the CLI's loader (png-folder.ts: files, pngjs)
// and the explorer page (a zip of the folder, decoded by the browser). Pure: no Node APIs.
import { PIXEL_SCALE, makeDataset, type Dataset } from './dataset.js';

/** Grayscale 0..255 of RGBA pixels: the pixel itself when gray, else luminance 0.299 R + 0.587 G + 0.114 B (ITU-R BT.601); alpha is ignored. */
export function rgbaToGray(rgba: Uint8Array, color: boolean): Float64Array {
  const n = rgba.length / 4;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    out[i] = color ? 0.299 * rgba[4 * i]! + 0.587 * rgba[4 * i + 1]! + 0.114 * rgba[4 * i + 2]! : rgba[4 * i]!;
  }
  return out;
}

export const PNG_FOLDER_SCALE = {
  text: `grayscale (${PIXEL_SCALE.text}; RGB by 0.299 R + 0.587 G + 0.114 B)`,
  map: PIXEL_SCALE.map,
};

export interface PngFolderParts {
  /** The folder as the user names it (the CLI: the path given; the page: the zip's top folder). */
  root: string;
  name: string;
  /** Class names: the sorted subfolder names. */
  classes: string[];
  /** Class index of each image, in file order. */
  labels: number[];
  /** (count, h * w) grayscale 0..255 (rgbaToGray). */
  values: Float64Array;
  count: number;
  h: number;
  w: number;
}

export function pngFolderDataset(p: PngFolderParts): Dataset {
  return makeDataset({
    name: p.name,
    source: `${p.root} (${p.count} PNG images in ${p.classes.length} class folders)`,
    values: p.values,
    rows: p.count,
    cols: p.h * p.w,
    imageShape: [p.h, p.w],
    scale: PNG_FOLDER_SCALE,
    labels: p.labels,
    names: p.classes,
    dataName: p.root,
    labelsName: `${p.root} class folders`,
  });
}
