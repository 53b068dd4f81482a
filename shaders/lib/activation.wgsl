// Activations of the dense layers and their derivatives: silu(v) = v sigmoid(v),
// silu'(v) = s (1 + v (1 - s)) with s = sigmoid(v) = 1 / (1 + exp(-v)); exp(-v) = +inf gives s = 0.
// Bindings: none. Dispatch: any. Precision: f32, a few ulp from exp.
// silu4 and silu_grad4 are silu and silu_grad per lane of a vec4. Reference: kernels-test/ref/nn_dense.ts (silu, siluGrad).
fn sigmoid(v: f32) -> f32 {
  return 1.0 / (1.0 + exp(-v));
}

fn silu(v: f32) -> f32 {
  return v * sigmoid(v);
}

fn silu_grad(v: f32) -> f32 {
  let s = sigmoid(v);
  return s * (1.0 + v * (1.0 - s));
}

fn silu4(v: vec4<f32>) -> vec4<f32> {
  return v * (1.0 / (1.0 + exp(-v)));
}

fn silu_grad4(v: vec4<f32>) -> vec4<f32> {
  let s = 1.0 / (1.0 + exp(-v));
  return s * (1.0 + v * (1.0 - s));
}
