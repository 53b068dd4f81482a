// Robustness flags of a pair's merger step, for the explorer's headline: a merger step is fragile when
// d(i) re-crosses eps after it (finite-sample d is not monotone, DESIGN §1), or when d's finite-sample
// floor is comparable to eps, so that sampling noise rather than structure decides where d meets eps.
// Pure: no DOM, no Node APIs.
import { stepRanges } from '../../analysis/merger-search.js';
import type { MergerReport, PairReport } from '../../formats/report-types.js';
import { pairLabel } from '../../report/charts-common.js';

/**
 * d(T) >= FLOOR_FRACTION * eps marks a pair as floor-dominated. At step T both events are almost pure
 * noise (abar_T ~ 4e-5 for the linear schedule), so their population spectra agree to abar_T times the
 * data's scale and d(T) is the sampling floor (~2 sqrt(D / n) for n rows in D dimensions, Marchenko-
 * Pastur). With the floor at half of eps or more, d's descent meets eps where noise, not structure, puts it.
 */
export const FLOOR_FRACTION = 0.5;

export interface PairFlags {
  label: string;
  mergerStep: number | null;
  /** Steps after the merger step where d is above eps again ("400-580, 610"), or null. */
  recross: string | null;
  /** d at the last spectral step over eps. */
  floorRatio: number;
  floorDominated: boolean;
}

export function pairFlags(r: MergerReport, p: PairReport): PairFlags {
  const eps = r.eps.value;
  const i = p.mergerStep;
  const above = new Set<number>(p.recrossings ?? []);
  // crn's d is the tracked top-k distance, a lower estimate of d: above eps there means certainly above.
  if (i !== null) r.spectralSteps.forEach((s, j) => s > i && p.d[j]! > eps && above.add(s));
  const steps = [...above].sort((a, b) => a - b);
  const floorRatio = (p.d[p.d.length - 1] ?? 0) / eps;
  return {
    label: pairLabel(r, p),
    mergerStep: i,
    recross: i !== null && steps.length ? stepRanges(steps) : null,
    floorRatio,
    floorDominated: r.method !== 'exact' && floorRatio >= FLOOR_FRACTION,
  };
}

/** The flags as words ('' when the step is robust). */
export function flagText(f: PairFlags): string {
  const out: string[] = [];
  if (f.recross) out.push(`d re-crosses eps at ${f.recross}`);
  const ratio = f.floorRatio < 100 ? f.floorRatio.toFixed(2) : f.floorRatio.toPrecision(2);
  if (f.floorDominated) out.push(`floor-dominated: d(T) = ${ratio} eps`);
  return out.join('; ');
}

/** Every pair whose merger step is fragile, in report order. */
export function fragilePairs(r: MergerReport): PairFlags[] {
  return r.pairs.map((p) => pairFlags(r, p)).filter((f) => f.recross !== null || f.floorDominated);
}

/** The class-class pair of classes a and b. */
export function classPair(r: MergerReport, a: number, b: number): PairReport | undefined {
  return r.pairs.find((p) => p.kind === 'class-class' && ((p.a === a && p.b === b) || (p.a === b && p.b === a)));
}
