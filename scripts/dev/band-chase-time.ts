// Stage 2's band -> tridiagonal at the analyses' orders: the float64 JS reduction (bandToTridiagonal)
// against the WebAssembly SIMD chase (makeBandChase), interleaved, best and median of the repetitions,
// with the bits checked equal first.
//   npx tsx scripts/dev/band-chase-time.ts [--sizes 784,3072] [--b 32] [--reps 7]
import { WASM_BASE64 } from '../../src/linalg/band-chase.wasm.js';
import { bandToTridiagonal, checkBand, makeBandChase } from '../../src/linalg/band.js';
import { gaussian } from '../../kernels-test/random.js';
import { numArg, strArg } from '../args.js';

const sizes = strArg('sizes', '784,3072').split(',').map(Number);
const b = numArg('b', 32);
const reps = numArg('reps', 7);
const chase = makeBandChase(WASM_BASE64, checkBand);
if (!chase) throw new Error('no WebAssembly SIMD here');
const stats = (t: number[]) => {
  const s = [...t].sort((x, y) => x - y);
  return `best ${s[0]!.toFixed(1)} ms, median ${s[Math.floor(s.length / 2)]!.toFixed(1)} ms`;
};
for (const n of sizes) {
  const g = gaussian(n);
  const ab = Float64Array.from({ length: n * (b + 1) }, g);
  const a = bandToTridiagonal(ab, n, b);
  const w = chase(ab, n, b);
  const same = a.d.every((v, i) => Object.is(v, w.d[i])) && a.e.every((v, i) => Object.is(v, w.e[i]));
  if (!same) throw new Error(`n = ${n}: the chase's bits differ from bandToTridiagonal's`);
  const tJs: number[] = [];
  const tWasm: number[] = [];
  for (let r = 0; r < reps; r++) {
    let t0 = performance.now();
    bandToTridiagonal(ab, n, b);
    tJs.push(performance.now() - t0);
    t0 = performance.now();
    chase(ab, n, b);
    tWasm.push(performance.now() - t0);
  }
  const ratio = [...tJs].sort((x, y) => x - y)[0]! / [...tWasm].sort((x, y) => x - y)[0]!;
  console.log(
    `n = ${n}, b = ${b}: JS ${stats(tJs)}; WebAssembly SIMD ${stats(tWasm)}; ${ratio.toFixed(2)}x (best), same bits`,
  );
}
