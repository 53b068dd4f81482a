// loadDataset: the one entry point `fluctus analyze` uses to get data, from a built-in name or a path.
// Node only (reads files); the pure parsers are in parse.ts and dataset.ts.
import { existsSync, statSync } from 'node:fs';
import { checkInt } from '../runtime/check.js';
import type { CsvHeader } from './parse.js';
import { loadDigits, loadFashionMnist } from './builtin.js';
import { limitPerClass, type Dataset } from './dataset.js';
import { isCsvPath, isIdxPath, isNpyPath, loadCsv, loadIdx, loadNpy } from './files.js';
import { gaussianMixture } from './gmm.js';
import { cifarShaped, latentShaped } from './bench-shapes.js';
import { loadPngFolder } from './png-folder.js';

export type { Dataset } from './dataset.js';

export const GMM_PER_CLASS = 8192;
export const GMM_DIM = 32;
export const BUILTIN_DATASETS = ['gmm', 'digits', 'fashion-mnist', 'cifar-shaped', 'latent-shaped'] as const;
export const SPLITS = ['train', 'test'] as const;

export const SUPPORTED_FORMATS =
  '.npy (with --labels), IDX images *-idx3-ubyte / *.idx (optionally .gz, labels from --labels or the *-labels-idx1-ubyte sibling), ' +
  '.csv or .csv.gz (label in the last column or a column named label/class), a folder of class subfolders of .png images';

export interface LoadOptions {
  /** Labels file (.npy or IDX) for .npy/IDX data; for CSV the label column (name or 0-based number). */
  labels?: string;
  /** Fashion-MNIST split (default 'train'); other datasets have only 'train'. */
  split?: 'train' | 'test';
  /** At most this many samples per class (the first ones in file order). */
  limit?: number;
  /** Seed of the built-in Gaussian mixture. */
  seed?: number;
  /** CSV only: how the first line is read (see parseCsv). */
  csvHeader?: CsvHeader;
}

/**
 * Loads a dataset by built-in name (gmm, digits, fashion-mnist, cifar-shaped, latent-shaped) or path (.npy, IDX(.gz), .csv(.gz),
 * folder of class subfolders of PNG). Returns x as (N, D) row-major f32, labels 0..K-1.
 */
export function loadDataset(spec: string, opts: LoadOptions = {}): Dataset {
  if (opts.split !== undefined && !(SPLITS as readonly string[]).includes(opts.split)) {
    throw new Error(`split must be one of ${SPLITS.join(', ')}, got '${String(opts.split)}'`);
  }
  if (opts.limit !== undefined) checkInt('limit', opts.limit, 1, 2 ** 31 - 1);
  if (opts.seed !== undefined) checkInt('seed', opts.seed, 0, 2 ** 32 - 1);
  if (opts.csvHeader !== undefined && !isCsvPath(spec))
    throw new Error(`--csv-header applies to CSV data only; '${spec}' is not a .csv file`);
  const builtin = (BUILTIN_DATASETS as readonly string[]).includes(spec);
  if (builtin && opts.labels !== undefined)
    throw new Error(`labels: only for datasets given by path, not the built-in '${spec}'`);
  if (opts.split === 'test' && spec !== 'fashion-mnist') {
    throw new Error(`split 'test' exists only for fashion-mnist, not '${spec}'`);
  }
  const ds = builtin ? loadBuiltin(spec, opts) : loadPath(spec, opts);
  return opts.limit === undefined ? ds : limitPerClass(ds, opts.limit);
}

function loadBuiltin(spec: string, opts: LoadOptions): Dataset {
  // Enough samples per class that sample-covariance fluctuations (the Marchenko-Pastur floor, ~sqrt(D / n))
  // stay below the default merger threshold, so classes merge within the schedule.
  if (spec === 'gmm') return gaussianMixture({ seed: opts.seed, perClass: GMM_PER_CLASS, dim: GMM_DIM });
  if (spec === 'digits') return loadDigits();
  // The benchmarks' procedural data at the paper's dimensions (bench-shapes.ts).
  if (spec === 'cifar-shaped') return cifarShaped({ seed: opts.seed });
  if (spec === 'latent-shaped') return latentShaped({ seed: opts.seed });
  return loadFashionMnist(opts.split ?? 'train');
}

function loadPath(path: string, opts: LoadOptions): Dataset {
  if (!existsSync(path)) {
    throw new Error(
      `dataset '${path}' is neither a built-in (${BUILTIN_DATASETS.join(', ')}) nor an existing file or folder`,
    );
  }
  if (statSync(path).isDirectory()) {
    if (opts.labels !== undefined)
      throw new Error(`labels: a PNG folder takes its labels from its class subfolders; drop --labels`);
    return loadPngFolder(path);
  }
  if (isNpyPath(path)) return loadNpy(path, { labels: opts.labels });
  if (isCsvPath(path)) return loadCsv(path, { labels: opts.labels, header: opts.csvHeader });
  if (isIdxPath(path)) return loadIdx(path, { labels: opts.labels });
  throw new Error(`${path}: unknown file type; supported: ${SUPPORTED_FORMATS}`);
}
