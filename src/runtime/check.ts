// Argument checks shared by every public function: errors name the argument, the bad value and
// what is allowed (and for data, the first bad row and column).

export function checkInt(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name} must be an integer in [${min}, ${max}], got ${String(value)}`);
  }
  return value;
}

/** Throws naming the first non-finite entry of a row-major (rows, cols) array. */
export function checkFinite(name: string, data: ArrayLike<number>, cols: number, rowOffset = 0): void {
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (!Number.isFinite(v)) {
      const row = Math.floor(i / cols) + rowOffset;
      throw new Error(`${name}: non-finite value ${v} at row ${row}, column ${i % cols}`);
    }
  }
}

/** Checks that `data` holds exactly rows * cols values for the declared shape [rows, cols]. */
export function checkMatrix(name: string, data: ArrayLike<number>, shape: readonly number[]): [number, number] {
  if (shape.length !== 2 || !shape.every((s) => Number.isInteger(s) && s > 0)) {
    throw new Error(`${name}: shape must be [rows, cols] with positive integers, got [${shape}]`);
  }
  const [rows, cols] = shape as [number, number];
  if (data.length !== rows * cols) {
    throw new Error(`${name}: shape [${rows}, ${cols}] needs ${rows * cols} values, got ${data.length}`);
  }
  return [rows, cols];
}

/** A seed (integer in [0, 2^53)) as the two 32-bit words of a Philox key. */
export function seedKey(seed: unknown): [number, number] {
  const s = checkInt('seed', seed, 0, Number.MAX_SAFE_INTEGER);
  return [s % 2 ** 32, Math.floor(s / 2 ** 32)];
}
