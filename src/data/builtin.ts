// Built-in real datasets installed from Debian packages (scripts/get-data): sklearn's 8x8 digits
// (python3-sklearn) and Fashion-MNIST (dataset-fashion-mnist). Node only.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Dataset } from './dataset.js';
import { loadCsv, loadIdx } from './files.js';

export const DIGITS_CSV = '/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz';
export const FASHION_DIR = '/usr/share/datasets/fashion-mnist';

export const FASHION_CLASSES = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
] as const;

export const DIGIT_CLASSES = Array.from({ length: 10 }, (_, k) => String(k));

/** The IDX files of one Fashion-MNIST split. */
export function fashionFiles(split: 'train' | 'test'): { images: string; labels: string } {
  const p = split === 'train' ? 'train' : 't10k';
  return {
    images: join(FASHION_DIR, `${p}-images-idx3-ubyte.gz`),
    labels: join(FASHION_DIR, `${p}-labels-idx1-ubyte.gz`),
  };
}

export function requireFile(dataset: string, path: string, pkg: string): void {
  if (!existsSync(path)) {
    throw new Error(
      `${dataset}: missing ${path} (from the Debian package ${pkg}). Install it with: sudo apt-get install ${pkg}  (or: npm run get-data)`,
    );
  }
}

/** sklearn's 8x8 digits: (1797, 64), pixels 0..16 mapped to [-1, 1] by x / 8 - 1, classes '0'..'9'. */
export function loadDigits(): Dataset {
  requireFile('digits', DIGITS_CSV, 'python3-sklearn');
  const ds = loadCsv(DIGITS_CSV, {
    name: 'digits',
    names: DIGIT_CLASSES,
    imageShape: [8, 8],
    scale: { text: 'pixels (0..16) / 8 - 1', map: (v) => v / 8 - 1 },
  });
  if (ds.shape[1] !== 64)
    throw new Error(`${DIGITS_CSV}: expected 64 pixel columns and a label, got ${ds.shape[1]} + 1`);
  return { ...ds, source: `${DIGITS_CSV} (python3-sklearn)` };
}

/** Fashion-MNIST: (60000 | 10000, 784) 28x28 images, pixels / 127.5 - 1, the 10 named classes. */
export function loadFashionMnist(split: 'train' | 'test' = 'train'): Dataset {
  const f = fashionFiles(split);
  requireFile('fashion-mnist', f.images, 'dataset-fashion-mnist');
  requireFile('fashion-mnist', f.labels, 'dataset-fashion-mnist');
  const ds = loadIdx(f.images, { labels: f.labels, names: FASHION_CLASSES, name: 'fashion-mnist' });
  return {
    ...ds,
    name: split === 'train' ? 'fashion-mnist' : 'fashion-mnist-test',
    source: `${f.images} + ${f.labels} (dataset-fashion-mnist, ${split} split)`,
  };
}
