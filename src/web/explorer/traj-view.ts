// The trajectory grid of the explorer, animated over the reverse steps: for image data one small
// canvas per chain and trajectory (rows: plain start, Gaussian late start); for other data two 2-D
// scatter panels, the states projected on the top two principal directions of the data (grey: data).
import type { Dataset } from '../../data/dataset.js';
import type { Schedule } from '../../schedule/schedules.js';
import type { Chain, Trajectories } from './trajectories.js';
import { TABLEAU10 } from '../../report/charts-common.js';

export interface TrajectoryView {
  frames: number[];
  show(frame: number): void;
  stop(): void;
}

const abarOf = (s: Schedule, step: number) => (step === 0 ? 1 : s.alphasCumprod[step - 1]!);

/** Index of the chain's state shown at step i: the last state reached (smallest recorded step >= i), or -1 before it starts. */
function stateAt(c: Chain, i: number): number {
  let k = -1;
  c.steps.forEach((s, j) => {
    if (s >= i) k = j;
  });
  return k;
}

/** Top two principal directions (rows of (2, D)) of at most 4000 rows, by block power iteration. */
export function pca2(x: Float32Array, N: number, D: number): { mean: Float64Array; basis: Float64Array[] } {
  const stride = Math.max(1, Math.floor(N / 4000));
  const rows: number[] = [];
  for (let r = 0; r < N; r += stride) rows.push(r);
  const mean = new Float64Array(D);
  for (const r of rows) for (let d = 0; d < D; d++) mean[d]! += x[r * D + d]! / rows.length;
  const basis = [0, 1].map((j) =>
    Float64Array.from({ length: D }, (_, d) => (d === j ? 1 : 0.1 * Math.sin(d + 3 * j + 1))),
  );
  for (let it = 0; it < 60; it++) {
    const next = basis.map(() => new Float64Array(D));
    for (const r of rows) {
      basis.forEach((v, j) => {
        let p = 0;
        for (let d = 0; d < D; d++) p += (x[r * D + d]! - mean[d]!) * v[d]!;
        for (let d = 0; d < D; d++) next[j]![d]! += p * (x[r * D + d]! - mean[d]!);
      });
    }
    // Gram-Schmidt keeps the second direction orthogonal to the first.
    const dot = (a: Float64Array, b: Float64Array) => a.reduce((s, v, d) => s + v * b[d]!, 0);
    const p = dot(next[1]!, next[0]!) / Math.max(1e-300, dot(next[0]!, next[0]!));
    for (let d = 0; d < D; d++) next[1]![d]! -= p * next[0]![d]!;
    next.forEach((v, j) => {
      const n = Math.sqrt(dot(v, v)) || 1;
      for (let d = 0; d < D; d++) basis[j]![d] = v[d]! / n;
    });
  }
  return { mean, basis };
}

function imageCells(el: HTMLElement, tr: Trajectories, data: Dataset, [H, W]: [number, number]) {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of data.x) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  const table = document.createElement('table');
  table.className = 'trajgrid';
  const rows = [tr.plain, tr.late].map((chain) => {
    const tr_ = table.insertRow();
    const head = tr_.insertCell();
    head.textContent = chain.label;
    head.className = 'rowhead';
    const cells = Array.from({ length: tr.n }, () => {
      const c = document.createElement('canvas');
      c.width = W;
      c.height = H;
      tr_.insertCell().append(c);
      return c;
    });
    return { chain, cells };
  });
  el.append(table);
  return (i: number) => {
    for (const { chain, cells } of rows) {
      const k = stateAt(chain, i);
      const state = chain.states[Math.max(0, k)]!;
      cells.forEach((c, t) => {
        const g = c.getContext('2d')!;
        const img = g.createImageData(W, H);
        for (let p = 0; p < H * W; p++) {
          const v = Math.round((255 * (state[t * tr.dim + p]! - lo)) / Math.max(1e-12, hi - lo));
          const b = Math.max(0, Math.min(255, v));
          img.data.set([b, b, b, 255], 4 * p);
        }
        g.putImageData(img, 0, 0);
        c.style.opacity = k < 0 ? '0.25' : '1';
        c.title = k < 0 ? `${chain.label}: starts at step ${chain.steps[0]}` : `${chain.label}: step ${chain.steps[k]}`;
      });
    }
  };
}

// Class colours of the scatter (Tableau 10), light for the data cloud.
const classColour = (k: number) => TABLEAU10[k % TABLEAU10.length]!;

function scatterPanels(el: HTMLElement, tr: Trajectories, data: Dataset) {
  const [N, D] = data.shape;
  const { mean, basis } = pca2(data.x, N, D);
  const proj = (x: Float32Array, r: number): [number, number] => {
    const out: [number, number] = [0, 0];
    for (let j = 0; j < 2; j++) for (let d = 0; d < D; d++) out[j] += (x[r * D + d]! - mean[d]!) * basis[j]![d]!;
    return out;
  };
  const stride = Math.max(1, Math.floor(N / 3000));
  const dataPts: { p: [number, number]; k: number }[] = [];
  for (let r = 0; r < N; r += stride) dataPts.push({ p: proj(data.x, r), k: data.labels[r]! });
  const chains = [tr.plain, tr.late].map((c) => ({
    chain: c,
    pts: c.states.map((s) => Array.from({ length: tr.n }, (_, t) => proj(s, t))),
  }));
  const all = [...dataPts.map((d) => d.p), ...chains.flatMap((c) => c.pts.flat())];
  const lim = all.reduce((m, [a, b]) => Math.max(m, Math.abs(a), Math.abs(b)), 1e-9);
  // Plot area [L, L + P] x [Tp, Tp + P] inside the canvas, room left and below for the axes.
  const P = 270;
  const L = 34;
  const Tp = 6;
  const W = L + P + 6;
  const H = Tp + P + 30;
  const to = ([a, b]: [number, number]): [number, number] => [
    L + P / 2 + (a / lim) * (P / 2 - 4),
    Tp + P / 2 - (b / lim) * (P / 2 - 4),
  ];
  const tick = lim.toPrecision(2);
  const axes = (g: CanvasRenderingContext2D) => {
    g.strokeStyle = '#888';
    g.lineWidth = 1;
    g.strokeRect(L + 0.5, Tp + 0.5, P, P);
    g.fillStyle = '#444';
    g.font = '11px Helvetica, Arial, sans-serif';
    g.textAlign = 'center';
    g.textBaseline = 'top';
    g.fillText(`-${tick}`, L + 4, Tp + P + 3);
    g.fillText('0', L + P / 2, Tp + P + 3);
    g.fillText(tick, L + P - 6, Tp + P + 3);
    g.fillText('PC1', L + P / 2, Tp + P + 16);
    g.save();
    g.translate(10, Tp + P / 2);
    g.rotate(-Math.PI / 2);
    g.fillText('PC2', 0, -6);
    g.restore();
    g.textAlign = 'right';
    g.textBaseline = 'middle';
    g.fillText('0', L - 3, Tp + P / 2);
  };
  const legend = document.createElement('div');
  legend.className = 'legend';
  // Built from elements: class names come from the user's files.
  const swatch = (colour: string, opacity: string, text: string) => {
    const item = document.createElement('span');
    const box = Object.assign(document.createElement('span'), { className: 'swatch' });
    box.style.background = colour;
    box.style.opacity = opacity;
    item.append(box, ` ${text}`);
    return item;
  };
  legend.append(
    ...data.classNames.slice(0, 20).map((n, k) => swatch(classColour(k), '0.5', `class ${n}`)),
    swatch('#111', '1', 'trajectory: the path so far and its state (faded: not started)'),
  );
  const wrap = document.createElement('div');
  wrap.className = 'scatters';
  const panels = chains.map(({ chain, pts }) => {
    const fig = document.createElement('figure');
    const c = document.createElement('canvas');
    c.width = W;
    c.height = H;
    const cap = document.createElement('figcaption');
    cap.textContent = chain.label;
    fig.append(c, cap);
    wrap.append(fig);
    return { chain, pts, g: c.getContext('2d')! };
  });
  el.append(legend, wrap);
  return (i: number) => {
    for (const { chain, pts, g } of panels) {
      g.clearRect(0, 0, W, H);
      axes(g);
      g.globalAlpha = 0.35;
      for (const d of dataPts) {
        g.fillStyle = classColour(d.k);
        g.fillRect(...to(d.p), 2, 2);
      }
      g.globalAlpha = 1;
      const k = stateAt(chain, i);
      for (let t = 0; t < tr.n; t++) {
        g.strokeStyle = 'rgba(17, 17, 17, 0.45)';
        g.beginPath();
        for (let j = 0; j <= Math.max(0, k); j++) g.lineTo(...to(pts[j]![t]!));
        g.stroke();
        g.fillStyle = k < 0 ? 'rgba(17, 17, 17, 0.25)' : '#111';
        const [px, py] = to(pts[Math.max(0, k)]![t]!);
        g.beginPath();
        g.arc(px, py, 3, 0, 2 * Math.PI);
        g.fill();
      }
    }
  };
}

/** Builds the view in `el` with play/pause and a step slider; `label` receives "step i, abar". */
export function drawTrajectories(el: HTMLElement, tr: Trajectories, data: Dataset, schedule: Schedule): TrajectoryView {
  el.replaceChildren();
  const frames = [...new Set([...tr.plain.steps, ...tr.late.steps])].sort((a, b) => b - a);
  const note = document.createElement('p');
  note.className = 'note';
  note.textContent = data.imageShape
    ? `Each column is one trajectory; rows: ${tr.plain.label} and ${tr.late.label} (faded until it starts). Both use the exact empirical denoiser of the data and start from the same normals.`
    : `The data are not images (D = ${tr.dim}), so each panel shows the ${tr.n} trajectories projected on the top two principal directions PC1, PC2 of the data (coloured by class: data points; black: the trajectories' path so far and state; faded: not started). Exact empirical denoiser; both starts use the same normals.`;
  const bar = document.createElement('div');
  bar.className = 'trajbar';
  const play = document.createElement('button');
  play.type = 'button';
  const slider = document.createElement('input');
  slider.type = 'range';
  slider.min = '0';
  slider.max = String(frames.length - 1);
  slider.value = '0';
  slider.id = 'traj-slider';
  const label = document.createElement('span');
  bar.append(play, slider, label);
  const body = document.createElement('div');
  el.append(note, bar, body);
  const paint = data.imageShape ? imageCells(body, tr, data, data.imageShape) : scatterPanels(body, tr, data);
  let timer: ReturnType<typeof setInterval> | null = null;
  const show = (f: number) => {
    const i = frames[f]!;
    slider.value = String(f);
    label.textContent = `step i = ${i} (abar ${abarOf(schedule, i).toPrecision(3)})${i === 0 ? ': samples' : ''}`;
    paint(i);
  };
  const stop = () => {
    if (timer) clearInterval(timer);
    timer = null;
    play.textContent = '▶ play';
  };
  play.onclick = () => {
    if (timer) return stop();
    play.textContent = '❚❚ pause';
    timer = setInterval(() => show((Number(slider.value) + 1) % frames.length), 120);
  };
  slider.oninput = () => {
    stop();
    show(Number(slider.value));
  };
  stop();
  show(frames.length - 1);
  return { frames, show, stop };
}
