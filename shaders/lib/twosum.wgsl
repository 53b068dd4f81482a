// Compensated f32 sums as (value, correction) pairs whose exact value is hi + lo: Kahan steps and
// Knuth's TwoSum combine. `one` must be 1.0 from a uniform: it hides the identity (a + b) - a = b from
// the driver's optimiser; with a literal 1.0, lavapipe folds it and lo comes back exactly 0 (measured
// by kernels-test/gpu/frobenius.test.ts's compensation case).
// Bindings: none. Dispatch: any. Reference: the callers' float64 references.
fn kahan_add(acc: vec2<f32>, x: f32, one: f32) -> vec2<f32> {
  let y = x + acc.y;
  let t = acc.x + y;
  return vec2<f32>(t, y - (t * one - acc.x));
}

fn two_sum_add(a: vec2<f32>, b: vec2<f32>, one: f32) -> vec2<f32> {
  let s = a.x + b.x;
  let bv = s * one - a.x;
  let err = (a.x - (s * one - bv)) + (b.x - bv);
  return vec2<f32>(s, a.y + b.y + err);
}

/** (hi, lo) with hi = fl(hi + lo): hi alone is the f32-rounded sum. */
fn renormalise(a: vec2<f32>, one: f32) -> vec2<f32> {
  let s = a.x + a.y;
  return vec2<f32>(s, a.y - (s * one - a.x));
}
