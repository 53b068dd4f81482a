// Float64 references for per-class moments, written from the definitions with two passes: the class
// mean m_k = (1/n_k) sum_{i in k} x_i first, then the centred sums M_k = sum_{i in k} (x_i - m_k)(y_i - m'_k)^T.

export interface RefClass {
  count: number;
  meanX: Float64Array;
  meanY: Float64Array;
  /** (D, D) row-major cross co-moment sum (x - mx)(y - my)^T (the co-moment when y = x). */
  comoment: Float64Array;
}

/** Per-class means and (cross) co-moments of x and y (N, D); y defaults to x; labels default to one class. */
export function momentsRef(
  x: ArrayLike<number>,
  rows: number,
  cols: number,
  classes: number,
  labels?: ArrayLike<number>,
  y: ArrayLike<number> = x,
): RefClass[] {
  const label = (i: number) => (labels ? labels[i]! : 0);
  const out: RefClass[] = Array.from({ length: classes }, () => ({
    count: 0,
    meanX: new Float64Array(cols),
    meanY: new Float64Array(cols),
    comoment: new Float64Array(cols * cols),
  }));
  for (let i = 0; i < rows; i++) {
    const c = out[label(i)]!;
    c.count++;
    for (let d = 0; d < cols; d++) {
      c.meanX[d]! += x[i * cols + d]!;
      c.meanY[d]! += y[i * cols + d]!;
    }
  }
  for (const c of out) {
    for (let d = 0; d < cols; d++) {
      if (c.count === 0) continue;
      c.meanX[d]! /= c.count;
      c.meanY[d]! /= c.count;
    }
  }
  const dx = new Float64Array(cols);
  const dy = new Float64Array(cols);
  for (let i = 0; i < rows; i++) {
    const c = out[label(i)]!;
    for (let d = 0; d < cols; d++) {
      dx[d] = x[i * cols + d]! - c.meanX[d]!;
      dy[d] = y[i * cols + d]! - c.meanY[d]!;
    }
    for (let a = 0; a < cols; a++) for (let b = 0; b < cols; b++) c.comoment[a * cols + b]! += dx[a]! * dy[b]!;
  }
  return out;
}

/** ||a - b||_F / ||b||_F. */
export function relFrobenius(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < b.length; i++) {
    num += (a[i]! - b[i]!) ** 2;
    den += b[i]! ** 2;
  }
  return Math.sqrt(num / den);
}
