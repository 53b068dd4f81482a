// Inputs of the browser check, shared by the page and the Node side of kernels-test/browser.
export function browserCheckInputs() {
  const count = 1031; // a prime number of counters
  const counters = new Uint32Array(4 * count);
  for (let i = 0; i < count; i++) {
    // counters that exercise every word, including the all-ones corner
    counters.set([i, (i * 2654435761) >>> 0, i === count - 1 ? 0xffffffff : i >> 3, 7], 4 * i);
  }
  const shape: [number, number] = [37, 13];
  const x0 = new Float32Array(shape[0] * shape[1]);
  for (let i = 0; i < x0.length; i++) x0[i] = Math.sin(i * 0.37) * 3 + (i % 5) - 2;
  return {
    counters,
    key: [0x12345678, 0x9abcdef0] as [number, number],
    shape,
    x0,
    steps: [1, 17, 250, 999],
    seed: 20261123,
  };
}
