// out[o_off + i] = ca * x[x_off + i] + cb * y[y_off + i] + cc * z[z_off + i] for vec4 elements i < len:
// the per-step covariance C(i) = abar A + (1 - abar) B + sqrt(abar (1 - abar)) S of one event, written
// straight into a slot of a batch (matrices stored lda x lda with zero padding, so whole rows are vec4s).
// Bindings: 0 Params, 1 x, 2 y, 3 z vec4<f32> (may be one buffer), 4 out vec4<f32> read_write.
// Dispatch: grid2d(parts, WG), invocation p handles elements p, p + parts, ... Precision: f32, three
// products and two sums per element. Reference: kernels-test/ref/combine3.ts.
// wrapper: src/kernels/combine3.ts
override WG: u32 = 64;

struct Params {
  len: u32,
  x_off: u32,
  y_off: u32,
  z_off: u32,
  o_off: u32,
  parts: u32,
  ca: f32,
  cb: f32,
  cc: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> y: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> z: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> out: array<vec4<f32>>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let p = linear_index(wid, nwg, lid, WG);
  if (p >= params.parts) { return; }
  for (var i = p; i < params.len; i += params.parts) {
    out[params.o_off + i] = params.ca * x[params.x_off + i] + params.cb * y[params.y_off + i] + params.cc * z[params.z_off + i];
  }
}
