// Times the row kernels' two builds (src/linalg/rows.ts) on the tracker's and the subspace iteration's
// shapes (m = 12 rows, the Gram of 4m = 48 rows), interleaved, best of --reps rounds:
//   npx tsx scripts/dev/rows-time.ts [--d 784] [--m 12] [--reps 7]
import { jsRows, makeWasmRows } from '../../src/linalg/rows.js';
import { WASM_BASE64 } from '../../src/linalg/rows.wasm.js';
import { numArg } from '../args.js';

const D = numArg('d', 784);
const m = numArg('m', 12);
const reps = numArg('reps', 7);
const wasm = makeWasmRows(WASM_BASE64);
if (!wasm) throw new Error('no WebAssembly SIMD here');
let seed = 1;
const rand = () => {
  seed = (seed * 16807) % 2147483647;
  return seed / 2147483647 - 0.5;
};
const Z = Float64Array.from({ length: 4 * m * D }, rand);
const V = Float64Array.from({ length: m * D }, rand);
const S = Float64Array.from({ length: m * m }, rand);
const out = new Float64Array(m * D);
const fill = () => Float64Array.from({ length: D }, rand);
const cases = {
  [`gram ${4 * m} rows`]: (k: typeof jsRows) => k.gram(Z, 4 * m, D),
  [`cross ${m} x ${m}`]: (k: typeof jsRows) => k.cross(V, m, Z, m, D),
  [`combine ${m}`]: (k: typeof jsRows) => k.combine(S, V, out, m, D),
  [`orthonormalise ${m}`]: (k: typeof jsRows) => k.orthonormalise(V.slice(), m, D, fill),
};
for (const [name, run] of Object.entries(cases)) {
  const best = { js: Number.POSITIVE_INFINITY, wasm: Number.POSITIVE_INFINITY };
  for (let r = 0; r < reps; r++)
    for (const [label, k] of [
      ['js', jsRows],
      ['wasm', wasm],
    ] as const) {
      const t0 = performance.now();
      for (let i = 0; i < 20; i++) run(k);
      best[label] = Math.min(best[label], (performance.now() - t0) / 20);
    }
  console.log(
    `${name} (D ${D}): js ${best.js.toFixed(3)} ms, wasm ${best.wasm.toFixed(3)} ms (${(best.js / best.wasm).toFixed(2)}x)`,
  );
}
