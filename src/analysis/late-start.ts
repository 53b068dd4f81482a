// Late-start statistics (Raya & Ambrogioni 2023, DESIGN.md §1): at a start step s, the mean and the
// top-r eigenpairs plus an isotropic rest of the covariance of the noised data, for all data and per
// class, so a sampler can draw x_s ~ N(mu_s, V diag(lambda) V^T + sigma²_rest (I - V V^T)).
// The file format (late-start.json) is src/formats/late-start.ts.
import { symmetricEigen } from '../linalg/eigh-cpu.js';
import type { Schedule } from '../schedule/schedules.js';
import type { FluctuationModel } from './fluctuations.js';
import type { EventPlan } from './events.js';
import { abarOfStep } from './mergers.js';
import {
  LATE_START_FORMAT,
  LATE_START_VERSION,
  type LateStartFile,
  type LateStartGaussian,
  type LateStartStep,
} from '../formats/late-start.js';

export function gaussianOf(
  cov: Float64Array,
  mean: Float64Array,
  D: number,
  r: number,
  abar: number,
): LateStartGaussian {
  const { values, vectors } = symmetricEigen(cov, D, { vectors: true });
  let trace = 0;
  for (let i = 0; i < D; i++) trace += cov[i * D + i]!;
  let top = 0;
  for (let j = 0; j < r; j++) top += values[j]!;
  return {
    mean: Array.from(mean, (m) => Math.sqrt(abar) * m),
    eigenvalues: Array.from(values.subarray(0, r)),
    eigenvectors: Array.from({ length: r }, (_, j) => Array.from(vectors!.subarray(j * D, (j + 1) * D))),
    restVariance: r < D ? Math.max(0, (trace - top) / (D - r)) : 0,
  };
}

export async function lateStartStatistics(
  model: FluctuationModel,
  plan: EventPlan,
  schedule: Schedule,
  steps: number[],
  rank: number,
  data: LateStartFile['data'],
): Promise<LateStartFile> {
  const D = model.dim;
  const r = Math.min(rank, D);
  const out: LateStartStep[] = [];
  for (const step of steps) {
    const abar = abarOfStep(schedule, step);
    const events = [plan.all, ...plan.classEvent];
    const covs = await model.covAt(step, events);
    const g = events.map((e, q) => gaussianOf(covs[q]!, model.means[e]!, D, r, abar));
    out.push({ step, abar, all: g[0]!, classes: g.slice(1) });
  }
  return {
    format: LATE_START_FORMAT,
    version: LATE_START_VERSION,
    data,
    schedule: { name: schedule.name, T: schedule.T },
    method: model.method,
    rank: r,
    steps: out,
  };
}
