// out = ca x + cb y + cc z element-wise in float64 (shaders/combine3.wgsl).
export function combine3Ref(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  z: ArrayLike<number>,
  coef: readonly [number, number, number],
): Float64Array {
  return Float64Array.from({ length: x.length }, (_, i) => coef[0] * x[i]! + coef[1] * y[i]! + coef[2] * z[i]!);
}
