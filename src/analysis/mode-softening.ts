// Mode softening (DESIGN.md §1 "Critical phenomena"): the denoiser's Jacobian J = d x0_hat / d x_t along real
// Fourier modes v_k (spectrum-core.ts fourierModes: unit norm, the same pattern on every channel), per step, by
// central differences on the GPU (src/kernels/mode_jvp.ts): J v ~ (x0_hat(x + h v) - x0_hat(x - h v)) / (2 h)
// at a batch of x_t points, with h = hScale sqrt(1 - abar) (the posterior's length scale in x_t; the f32
// rounding error of the difference is then about u |eps_hat| / (2 hScale sqrt(abar)), independent of the step).
// Per mode: the Rayleigh quotient g_k = v_k^T J v_k and |J v_k|, averaged over the points, and radially binned.
// For an exact denoiser J = (sqrt(abar) / (1 - abar)) Cov(x0 | x_t), so g_k >= 0 (tests check this).
// Critical time. The score's Jacobian is (sqrt(abar) J - I) / (1 - abar), so the curvature of -log p_t along v
// relative to the pure-noise curvature 1 / (1 - abar) is kappa_k = 1 - sqrt(abar) g_k: the mode softens as
// kappa -> 0 (and turns unstable, a pitchfork, below 0). With softness(t) = sqrt(abar_t) * mean over the
// leading modes (radial bin <= leadingBin, default 1, DC included) of g_k, t_c is the step of `steps` with the
// largest softness (the smallest mean kappa); ties go to the first such entry of `steps`.
import { checkFinite, checkInt, checkMatrix } from '../runtime/check.js';
import type { Context } from '../runtime/context.js';
import { beginBatch, submit } from '../runtime/dispatch.js';
import { createTensor, disposeTensor, readback, upload } from '../runtime/tensor.js';
import { encodeModeJvp, encodeModePerturb, modeJvpKernels } from '../kernels/mode_jvp.js';
import { forwardNoise } from '../kernels/forward_noise.js';
import type { Denoiser } from '../models/denoiser.js';
import { stepsFromList } from '../schedule/schedules.js';
import { fourierModes, fourierModeVector, imageShapeOf, type FourierMode } from './spectrum-core.js';
import type { ImageRows } from './spectrum.js';

export interface ModeJvp {
  /** (B, V, D) J v_j at x_i, row i * V + j. */
  jv: Float32Array;
  /** (B, V) v_j . J v_j and |J v_j|^2 (f32 sums), row-major. */
  quotient: Float64Array;
  norm2: Float64Array;
}

/** Default most rows (2 B V) per denoiser call. */
export const MODE_MAX_ROWS = 2048;

/**
 * J v_j of the denoiser's x0_hat at points x (B, D) f32 for directions v (V, D) f32 at one step, central
 * differences with step h along each v_j (v need not be unit norm: the result is J v_j). Points are split so
 * that one denoiser call sees at most maxRows rows.
 */
export async function modeJvp(
  ctx: Context,
  d: Denoiser,
  x: Float32Array,
  B: number,
  step: number,
  v: Float32Array,
  V: number,
  h: number,
  maxRows = MODE_MAX_ROWS,
): Promise<ModeJvp> {
  const D = d.dim;
  checkMatrix('modeJvp: x', x, [B, D]);
  checkMatrix('modeJvp: v', v, [V, D]);
  checkInt(`${d.kind} denoiser: step`, step, 1, d.schedule.T);
  if (!(h > 0 && Number.isFinite(h))) throw new Error(`modeJvp: h must be a positive finite number, got ${h}`);
  const abar = d.schedule.alphasCumprod[step - 1]!;
  if (!(abar > 0 && abar < 1)) throw new Error(`modeJvp: abar = ${abar} at step ${step}; x0_hat needs 0 < abar < 1`);
  checkInt('maxRows', maxRows, 2 * V, 2 ** 24);
  const per = Math.min(B, Math.floor(maxRows / (2 * V)));
  const k = await modeJvpKernels(ctx);
  const xT = createTensor(ctx, [per, D], { label: 'mode.x' });
  const vT = createTensor(ctx, [V, D], { data: v, label: 'mode.v' });
  const xp = createTensor(ctx, [2 * per * V, D], { label: 'mode.xp' });
  const jvT = createTensor(ctx, [per * V, D], { label: 'mode.jv' });
  const stT = createTensor(ctx, [per * V, 2], { label: 'mode.stats' });
  const out: ModeJvp = {
    jv: new Float32Array(B * V * D),
    quotient: new Float64Array(B * V),
    norm2: new Float64Array(B * V),
  };
  try {
    for (let i0 = 0; i0 < B; i0 += per) {
      const nb = Math.min(per, B - i0);
      upload(ctx, xT, x.subarray(i0 * D, (i0 + nb) * D));
      let batch = beginBatch(ctx, 'mode.perturb');
      encodeModePerturb(batch, k, { x: xT, v: vT, xp, points: nb, modes: V, d: D, h });
      submit(batch);
      const eps = await d.predictEps(ctx, xp, 2 * nb * V, step, null);
      try {
        batch = beginBatch(ctx, 'mode.jvp');
        encodeModeJvp(batch, k, {
          xp,
          eps,
          v: vT,
          jv: jvT,
          stats: stT,
          points: nb,
          modes: V,
          d: D,
          s: Math.sqrt(1 - abar),
          inv: 1 / (2 * h * Math.sqrt(abar)),
        });
        submit(batch);
      } finally {
        disposeTensor(eps);
      }
      out.jv.set((await readback(ctx, jvT, 0, nb * V * D)) as Float32Array, i0 * V * D);
      const s = await readback(ctx, stT, 0, 2 * nb * V);
      for (let r = 0; r < nb * V; r++) {
        out.quotient[i0 * V + r] = s[2 * r]!;
        out.norm2[i0 * V + r] = s[2 * r + 1]!;
      }
    }
    return out;
  } finally {
    for (const t of [xT, vT, xp, jvT, stT]) disposeTensor(t);
  }
}

export interface ModeSofteningOptions {
  /** Philox seed of the forward noise of the points. */
  seed: number;
  stream?: number;
  /** x_t points per step (default 16): data rows floor(i N / B), i = 0..B-1, noised as forwardNoise does. */
  points?: number;
  /** Largest radial frequency bin of the probed modes (default 2). */
  maxBin?: number;
  /** Modes with bin <= leadingBin define the softness and t_c (default 1; bin 0 is the DC mode). */
  leadingBin?: number;
  /** h = hScale sqrt(1 - abar) (default 0.05). */
  hScale?: number;
  maxRows?: number;
}

export interface ModeSoftening {
  imageShape: [number, number, number];
  steps: number[];
  abar: number[];
  /** (S) finite-difference step h per step. */
  h: number[];
  modes: FourierMode[];
  /** Radial bins 0..maxBin. */
  radius: Float64Array;
  /** Per step (V): mean over points of v^T J v, its standard deviation over points, mean |J v|. */
  gain: Float64Array[];
  gainStd: Float64Array[];
  norm: Float64Array[];
  /** Per step (bins): radial means of gain and norm over the modes of each bin. */
  radialGain: Float64Array[];
  radialNorm: Float64Array[];
  /** (S) sqrt(abar) * mean leading-mode gain; 1 - softness is the normalised stiffness kappa. */
  softness: Float64Array;
  leadingBin: number;
  /** t_c = steps[criticalIndex], the largest softness (header). */
  criticalIndex: number;
  criticalStep: number;
  points: number;
}

/** Jacobian gains along Fourier modes per step and the critical step t_c (rule in the header). */
export async function modeSoftening(
  ctx: Context,
  denoiser: Denoiser,
  data: ImageRows,
  steps: ArrayLike<number>,
  opts: ModeSofteningOptions,
): Promise<ModeSoftening> {
  const [N, D] = checkMatrix('modeSoftening: data.x', data.x, data.shape);
  const [H, W, C] = imageShapeOf(
    'modeSoftening (Jacobian along Fourier modes)',
    D,
    data.imageShape ?? denoiser.imageShape,
  );
  checkFinite('modeSoftening: data.x', data.x, D);
  if (denoiser.dim !== D)
    throw new Error(`modeSoftening: the ${denoiser.kind} denoiser has D = ${denoiser.dim}, the data D = ${D}`);
  const B = checkInt('points', opts.points ?? 16, 1, N);
  const maxBin = checkInt('maxBin', opts.maxBin ?? 2, 0, 2 ** 16);
  const leadingBin = checkInt('leadingBin', opts.leadingBin ?? 1, 0, maxBin);
  const hScale = opts.hScale ?? 0.05;
  if (!(hScale > 0 && hScale < 1)) throw new Error(`hScale must be in (0, 1), got ${hScale}`);
  const { steps: st, abar } = stepsFromList(denoiser.schedule, steps);
  const S = st.length;
  const modes = fourierModes(H, W, maxBin);
  const V = modes.length;
  const v = new Float32Array(V * D);
  modes.forEach((m, j) => v.set(fourierModeVector(m, H, W, C), j * D));
  const x0 = new Float32Array(B * D);
  for (let i = 0; i < B; i++) {
    const r = Math.floor((i * N) / B);
    x0.set(data.x.subarray(r * D, (r + 1) * D), i * D);
  }
  const xt = (await forwardNoise(ctx, x0, [B, D], {
    schedule: denoiser.schedule,
    steps: st,
    seed: opts.seed,
    ...(opts.stream !== undefined ? { stream: opts.stream } : {}),
  }))!;
  const bins = maxBin + 1;
  const res: ModeSoftening = {
    imageShape: [H, W, C],
    steps: Array.from(st),
    abar: Array.from(abar),
    h: [],
    modes,
    radius: Float64Array.from({ length: bins }, (_, b) => b),
    gain: [],
    gainStd: [],
    norm: [],
    radialGain: [],
    radialNorm: [],
    softness: new Float64Array(S),
    leadingBin,
    criticalIndex: 0,
    criticalStep: st[0]!,
    points: B,
  };
  for (let s = 0; s < S; s++) {
    const h = hScale * Math.sqrt(1 - abar[s]!);
    const r = await modeJvp(
      ctx,
      denoiser,
      xt.subarray(s * B * D, (s + 1) * B * D),
      B,
      st[s]!,
      v,
      V,
      h,
      opts.maxRows ?? MODE_MAX_ROWS,
    );
    const gain = new Float64Array(V);
    const g2 = new Float64Array(V);
    const norm = new Float64Array(V);
    for (let i = 0; i < B; i++) {
      for (let j = 0; j < V; j++) {
        const q = r.quotient[i * V + j]!;
        gain[j]! += q / B;
        g2[j]! += (q * q) / B;
        norm[j]! += Math.sqrt(r.norm2[i * V + j]!) / B;
      }
    }
    const gainStd = Float64Array.from(gain, (m, j) =>
      B > 1 ? Math.sqrt(Math.max(0, ((g2[j]! - m * m) * B) / (B - 1))) : 0,
    );
    const rg = new Float64Array(bins);
    const rn = new Float64Array(bins);
    const cnt = new Float64Array(bins);
    let lead = 0;
    let nLead = 0;
    modes.forEach((m, j) => {
      rg[m.bin]! += gain[j]!;
      rn[m.bin]! += norm[j]!;
      cnt[m.bin]!++;
      if (m.bin <= leadingBin) {
        lead += gain[j]!;
        nLead++;
      }
    });
    for (let b = 0; b < bins; b++) {
      rg[b] = cnt[b]! ? rg[b]! / cnt[b]! : NaN;
      rn[b] = cnt[b]! ? rn[b]! / cnt[b]! : NaN;
    }
    res.h.push(h);
    res.gain.push(gain);
    res.gainStd.push(gainStd);
    res.norm.push(norm);
    res.radialGain.push(rg);
    res.radialNorm.push(rn);
    res.softness[s] = (Math.sqrt(abar[s]!) * lead) / nLead;
    if (res.softness[s]! > res.softness[res.criticalIndex]!) res.criticalIndex = s;
  }
  res.criticalStep = res.steps[res.criticalIndex]!;
  return res;
}
