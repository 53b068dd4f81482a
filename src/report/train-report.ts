// The small report `fluctus train` writes next to its checkpoint: <base>.html (loss curve as an inline
// Vega-Lite SVG, the sample grid, the run's settings) and <base>-samples.png (one row per class, from
// the plain DDPM sampler with a fixed seed). Vector data get a scatter of the first two coordinates.
import { PNG } from 'pngjs';
import type { TopLevelSpec } from 'vega-lite';
import { renderChartSvg } from './report-html.js';
import { writeFileAtomic } from '../runtime/atomic-write.js';
import { esc } from './report-html-sections.js';
import { CHART_CONFIG, VL_SCHEMA } from './charts-common.js';
import type { CheckpointInfo } from '../models/checkpoint.js';

export interface TrainReport {
  title: string;
  info: CheckpointInfo;
  /** (n, 2) rows of (step, loss). */
  losses: Float32Array;
  lossName: string;
  /** Samples (rows, D) with one class per row (or -1), and their grid layout. */
  samples: {
    x: Float32Array;
    classes: Int32Array;
    perRow: number;
    classNames: string[];
    steps: number;
    seed: number;
  } | null;
  /** Extra key / value lines (timings, accuracy). */
  facts: [string, string][];
  /** [H, W, C] when the samples are images (an MLP on pixels included), else null. */
  imageShape: [number, number, number] | null;
  /** Training data for the vector scatter (first two coordinates). */
  data?: { x: Float32Array; labels: Int32Array; dim: number };
}

/** Loss against step, log-scaled loss axis, with a moving average of ~1% of the run. */
export function lossChart(losses: Float32Array, lossName: string): TopLevelSpec {
  const n = losses.length / 2;
  const every = Math.max(1, Math.floor(n / 2000));
  const win = Math.max(1, Math.round(n / 100));
  const values: { step: number; loss: number; mean: number }[] = [];
  let acc = 0;
  for (let i = 0; i < n; i++) {
    acc += losses[2 * i + 1]!;
    if (i >= win) acc -= losses[2 * (i - win) + 1]!;
    if (i % every === 0 || i === n - 1)
      values.push({ step: losses[2 * i]!, loss: losses[2 * i + 1]!, mean: acc / Math.min(i + 1, win) });
  }
  return {
    $schema: VL_SCHEMA,
    width: 560,
    height: 240,
    config: CHART_CONFIG,
    data: { values },
    layer: [
      {
        mark: { type: 'line', color: '#9ecae1', strokeWidth: 1 },
        encoding: {
          x: { field: 'step', type: 'quantitative', title: 'optimiser step' },
          y: { field: 'loss', type: 'quantitative', scale: { type: 'log' }, title: lossName },
        },
      },
      {
        mark: { type: 'line', color: '#08519c', strokeWidth: 2 },
        encoding: { x: { field: 'step', type: 'quantitative' }, y: { field: 'mean', type: 'quantitative' } },
      },
    ],
  } as TopLevelSpec;
}

/** Grayscale PNG of images (rows of H*W*C in [-1, 1], C = 1 or 3) in a grid of `perRow` columns. */
export function sampleGridPng(
  x: Float32Array,
  count: number,
  shape: readonly [number, number, number],
  perRow: number,
  scale: number,
): Buffer {
  const [H, W, C] = shape;
  const pad = 1;
  const cols = Math.min(perRow, count);
  const rows = Math.ceil(count / perRow);
  const cw = W * scale + pad;
  const ch = H * scale + pad;
  const png = new PNG({ width: cols * cw + pad, height: rows * ch + pad });
  png.data.fill(255);
  for (let i = 0; i < count; i++) {
    const ox = pad + (i % perRow) * cw;
    const oy = pad + Math.floor(i / perRow) * ch;
    for (let y = 0; y < H * scale; y++) {
      for (let xx = 0; xx < W * scale; xx++) {
        const base = ((i * H + Math.floor(y / scale)) * W + Math.floor(xx / scale)) * C;
        const px = ((oy + y) * png.width + ox + xx) * 4;
        for (let k = 0; k < 3; k++) {
          const v = x[base + (C === 3 ? k : 0)]!;
          png.data[px + k] = Math.max(0, Math.min(255, Math.round((v + 1) * 127.5)));
        }
        png.data[px + 3] = 255;
      }
    }
  }
  return PNG.sync.write(png);
}

function scatterChart(r: TrainReport): TopLevelSpec | null {
  if (!r.samples || !r.data || r.data.dim < 2) return null;
  const values: { x: number; y: number; set: string; cls: string }[] = [];
  const D = r.data.dim;
  const nData = Math.min(r.data.labels.length, 2000);
  const stride = Math.max(1, Math.floor(r.data.labels.length / nData));
  for (let i = 0; i < r.data.labels.length; i += stride)
    values.push({
      x: r.data.x[i * D]!,
      y: r.data.x[i * D + 1]!,
      set: 'data',
      cls: r.samples.classNames[r.data.labels[i]!] ?? '?',
    });
  const s = r.samples;
  for (let i = 0; i < s.classes.length; i++)
    values.push({
      x: s.x[i * D]!,
      y: s.x[i * D + 1]!,
      set: 'samples',
      cls: s.classes[i]! < 0 ? 'null' : (s.classNames[s.classes[i]!] ?? '?'),
    });
  return {
    $schema: VL_SCHEMA,
    width: 420,
    height: 320,
    config: CHART_CONFIG,
    data: { values },
    mark: { type: 'point', filled: true, size: 14 },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: 'x[0]' },
      y: { field: 'y', type: 'quantitative', title: 'x[1]' },
      color: { field: 'cls', type: 'nominal', title: 'class' },
      shape: { field: 'set', type: 'nominal', title: '' },
      opacity: { condition: { test: "datum.set === 'samples'", value: 0.95 }, value: 0.25 },
    },
  } as TopLevelSpec;
}

/** Writes `${base}.html` (and `${base}-samples.png` for images); returns the paths written. */
export async function writeTrainReport(base: string, r: TrainReport): Promise<string[]> {
  const written: string[] = [];
  const warnings: string[] = [];
  const figures: string[] = [];
  if (r.losses.length)
    figures.push(
      `<figure><h3>Training loss</h3>${await renderChartSvg(lossChart(r.losses, r.lossName), warnings)}<figcaption>${esc(r.lossName)} per optimiser step (light) and its moving average (dark), log scale.</figcaption></figure>`,
    );
  const s = r.samples;
  const shape = r.imageShape;
  if (s && shape) {
    const scale = Math.max(1, Math.round(64 / Math.max(shape[0]!, shape[1]!)));
    const png = sampleGridPng(s.x, s.classes.length, shape, s.perRow, scale);
    const pngPath = `${base}-samples.png`;
    writeFileAtomic(pngPath, png);
    written.push(pngPath);
    const rowsText =
      s.classes.length > s.perRow
        ? `one row per class (${[...new Set(s.classes)].map((c) => (c < 0 ? 'unconditional' : s.classNames[c])).join(', ')})`
        : 'one row';
    figures.push(
      `<figure><h3>Samples</h3><img alt="sample grid" style="image-rendering: pixelated; max-width: 100%" src="data:image/png;base64,${png.toString('base64')}"><figcaption>DDPM ancestral samples (${s.steps} steps, seed ${s.seed}), ${esc(rowsText)}.</figcaption></figure>`,
    );
  } else {
    const sc = scatterChart(r);
    if (sc)
      figures.push(
        `<figure><h3>Samples</h3>${await renderChartSvg(sc, warnings)}<figcaption>First two coordinates of DDPM samples (${s!.steps} steps, seed ${s!.seed}) over the training data.</figcaption></figure>`,
      );
  }
  for (const w of new Set(warnings)) console.warn(`train report: ${w}`);
  const i = r.info;
  const kv: [string, string][] = [
    ['architecture', `${i.architecture} ${JSON.stringify(i.config)}`],
    ['data', `${i.data} [${i.dataShape.join(', ')}], ${i.numClasses} classes`],
    ['schedule', i.schedule ? `${i.schedule.name}, T = ${i.schedule.T}` : 'none'],
    ['steps / epochs', `${i.step} / ${i.epoch}`],
    ['seed', String(i.seed)],
    ['training', JSON.stringify(i.train)],
    ...r.facts,
  ];
  const html = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(r.title)}</title>
<style>body { font: 14px/1.45 Helvetica, Arial, sans-serif; color: #222; max-width: 900px; margin: 2em auto; padding: 0 1em; }
table { border-collapse: collapse; } td { padding: 2px 10px; border-bottom: 1px solid #eee; vertical-align: top; } td:first-child { color: #555; white-space: nowrap; }
figure { margin: 1.5em 0; } figure svg { max-width: 100%; height: auto; } figcaption { color: #444; } code { word-break: break-all; }</style></head>
<body><h1>${esc(r.title)}</h1>
<table>${kv.map(([k, v]) => `<tr><td>${esc(k)}</td><td><code>${esc(v)}</code></td></tr>`).join('\n')}</table>
${figures.join('\n')}
</body></html>
`;
  writeFileAtomic(`${base}.html`, html);
  written.unshift(`${base}.html`);
  return written;
}
