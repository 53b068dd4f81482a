// Host time of the tridiagonal eigenvalue solvers on the band reduction's output: implicit QL
// (tridiagonalQl, the dense solver's) against root-free QL (tridiagonalEigenvalues, stage 2 of the full
// spectra), and band -> tridiagonal for scale; the largest difference of the two QLs' sorted values.
//   npx tsx scripts/dev/tridiagonal-ql-time.ts [--n 784] [--b 32] [--reps 10]
import { bandToTridiagonal } from '../../src/linalg/band.js';
import { tridiagonalEigenvalues, tridiagonalQl } from '../../src/linalg/eigh-cpu.js';
import { gaussian } from '../../kernels-test/random.js';
import { numArg } from '../args.js';

const n = numArg('n', 784);
const b = Math.min(numArg('b', 32), n);
const reps = numArg('reps', 10);
const g = gaussian(n);
const ab = Float64Array.from({ length: n * (b + 1) }, g);
const time = (f: () => void) => {
  const t0 = performance.now();
  for (let r = 0; r < reps; r++) f();
  return (performance.now() - t0) / reps;
};
let tri = bandToTridiagonal(ab, n, b);
const band = time(() => (tri = bandToTridiagonal(ab, n, b)));
const run = (solve: (d: Float64Array, e: Float64Array) => void) => {
  let d = tri.d;
  const ms = time(() => {
    d = tri.d.slice();
    solve(d, tri.e.slice());
  });
  return { ms, values: Float64Array.from(d).sort() };
};
for (let round = 0; round < 2; round++) {
  const ql = run((d, e) => tridiagonalQl(d, e, n));
  const rf = run((d, e) => tridiagonalEigenvalues(d, e, n));
  const norm = Math.max(...ql.values.map(Math.abs));
  const diff = Math.max(...ql.values.map((v, i) => Math.abs(v - rf.values[i]!))) / norm;
  console.log(
    `n ${n}, b ${b}: band -> tridiagonal ${band.toFixed(1)} ms; QL ${ql.ms.toFixed(2)} ms, root-free QL ${rf.ms.toFixed(2)} ms (${(ql.ms / rf.ms).toFixed(2)}x); largest difference ${diff.toExponential(1)} of ||T||`,
  );
}
