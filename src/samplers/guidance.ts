// Classifier-free guidance schedules (Ho & Salimans 2022; intervals: Kynkäänniemi et al. 2024; DESIGN.md §1
// uses 2 and 4, §1 critical phenomena: pulses; information view: negative-guidance windows), pure.
//
// At a step with weight w the prediction is eps = eps_u + w (eps_c - eps_u) (eps_u: unconditional, eps_c:
// the row's class). Convention: outside an interval / pulse / negative window the weight is `outside`,
// default 1, i.e. the conditional prediction alone, which costs one denoiser call. A step whose mix needs
// only one prediction (w = 1: eps_c; w = 0: eps_u) makes one call, so w = 1 equals conditional sampling
// and w = 0 unconditional sampling bit for bit; any other w makes two calls (eps_u and eps_c).
// Negative window: inside [lo, hi] eps = eps_c + w (eps_c - eps_neg), eps_neg the prediction for
// `negativeClass` (a label, a label per row, or NULL_CLASS = unconditional, the default).
// Steps are the schedule's 1..T; an interval [lo, hi] includes both ends.
import { checkInt } from '../runtime/check.js';
import { NULL_CLASS } from '../models/denoiser.js';

export type Guidance =
  | { kind: 'constant'; w: number }
  | { kind: 'interval'; w: number; lo: number; hi: number; outside?: number }
  | { kind: 'pulse'; w: number; centre: number; width: number; outside?: number }
  | { kind: 'negative'; w: number; lo: number; hi: number; negativeClass?: number | Int32Array; outside?: number };

export const GUIDANCE_KINDS: readonly Guidance['kind'][] = ['constant', 'interval', 'pulse', 'negative'];

/** Which predictions a step uses: e = A + w (B - A); B absent when one prediction suffices. */
export interface GuidanceStep {
  a: 'uncond' | 'cond' | 'negative';
  b: 'cond' | null;
  /** Kernel weight in e = A + w (B - A) (0 when b is null). */
  w: number;
  calls: 1 | 2;
}

function finite(name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v))
    throw new Error(`${name} must be a finite number, got ${String(v)}`);
  return v;
}

function checkWindow(lo: number, hi: number, T: number, what: string): void {
  checkInt(`${what}: lo`, lo, 1, T);
  checkInt(`${what}: hi`, hi, 1, T);
  if (lo > hi) throw new Error(`${what}: interval [${lo}, ${hi}] is reversed; lo must be <= hi (steps 1..${T})`);
}

/** The inclusive window [lo, hi] of steps where a pulse applies: |step - centre| <= width / 2. */
export function pulseWindow(centre: number, width: number): [number, number] {
  return [Math.ceil(centre - width / 2), Math.floor(centre + width / 2)];
}

/** Checks a guidance schedule against a schedule of T steps (and n rows for per-row negative classes). */
export function checkGuidance(g: Guidance, T: number, n: number): void {
  if (!g || !GUIDANCE_KINDS.includes(g.kind)) {
    throw new Error(`guidance: unknown kind '${String(g?.kind)}'; valid kinds: ${GUIDANCE_KINDS.join(', ')}`);
  }
  const what = `guidance '${g.kind}'`;
  finite(`${what}: w`, g.w);
  if (g.kind !== 'constant' && g.outside !== undefined) finite(`${what}: outside`, g.outside);
  if (g.kind === 'interval' || g.kind === 'negative') checkWindow(g.lo, g.hi, T, what);
  if (g.kind === 'pulse') {
    const c = finite(`${what}: centre`, g.centre);
    const width = finite(`${what}: width`, g.width);
    if (width < 0) throw new Error(`${what}: width must be >= 0, got ${width}`);
    const [lo, hi] = pulseWindow(c, width);
    if (lo < 1 || hi > T || lo > hi) {
      throw new Error(
        `${what}: the pulse centre ${c} width ${width} covers steps [${lo}, ${hi}], which must be a non-empty interval inside the schedule's steps 1..${T}`,
      );
    }
  }
  if (g.kind === 'negative' && g.negativeClass !== undefined && typeof g.negativeClass !== 'number') {
    if (g.negativeClass.length !== n)
      throw new Error(`${what}: negativeClass has ${g.negativeClass.length} labels for ${n} rows`);
  }
}

/** e = A + w (B - A) reduced to one prediction where w is 0 or 1. */
function mix(a: GuidanceStep['a'], w: number): GuidanceStep {
  if (w === 0) return { a, b: null, w: 0, calls: 1 };
  if (w === 1) return { a: 'cond', b: null, w: 0, calls: 1 };
  return { a, b: 'cond', w, calls: 2 };
}

/** The predictions and weight used at one step (no guidance: the row's own class, one call). */
export function guidanceAt(g: Guidance | undefined, step: number): GuidanceStep {
  if (!g) return { a: 'cond', b: null, w: 0, calls: 1 };
  const outside = g.kind === 'constant' ? g.w : (g.outside ?? 1);
  let inside = false;
  if (g.kind === 'constant') inside = true;
  else if (g.kind === 'pulse') {
    const [lo, hi] = pulseWindow(g.centre, g.width);
    inside = step >= lo && step <= hi;
  } else inside = step >= g.lo && step <= g.hi;
  // Negative window: eps_c + w (eps_c - eps_neg) = eps_neg + (1 + w) (eps_c - eps_neg).
  if (inside && g.kind === 'negative') return mix('negative', 1 + g.w);
  return mix('uncond', inside ? g.w : outside);
}

/** Exact denoiser calls of a chain over these grid steps. */
export function guidanceCalls(g: Guidance | undefined, steps: ArrayLike<number>): number {
  let calls = 0;
  for (let k = 0; k < steps.length; k++) calls += guidanceAt(g, steps[k]!).calls;
  return calls;
}

/** Per-row labels of the negative prediction (n). */
export function negativeLabels(g: Guidance, n: number): Int32Array {
  const c = g.kind === 'negative' ? (g.negativeClass ?? NULL_CLASS) : NULL_CLASS;
  return typeof c === 'number' ? new Int32Array(n).fill(c) : c;
}
