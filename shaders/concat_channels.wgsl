// y[p, j] = a[p, j] for j < ca, b[p, j - ca] for ca <= j < ca + cb: channel concatenation of two
// (pixels, ca) and (pixels, cb) row-major f32 images. Bindings: 0 Params, 1 a, 2 b, 3 y (pixels, ca + cb).
// Dispatch: grid2d(pixels, WG), one invocation per pixel. Precision: exact copy.
// Reference: kernels-test/ref/nn_image.ts concatChannels.
// wrapper: src/kernels/nn_image_ops.ts
override WG: u32 = 64;
// VEC4 builds (ca and cb multiples of 4): the images as vec4s of 4 channels and ca, cb counted in them (on
// lavapipe every storage access is a loop over the lanes, so a quarter of them). The same values.
#if VEC4
alias V = vec4<f32>;
#else
alias V = f32;
#endif

struct Params {
  ca: u32,
  cb: u32,
  pixels: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> a: array<V>;
@group(0) @binding(2) var<storage, read> b: array<V>;
@group(0) @binding(3) var<storage, read_write> y: array<V>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let p = linear_index(wid, nwg, lid, WG);
  if (p >= params.pixels) { return; }
  let ca = params.ca;
  let cb = params.cb;
  let row = p * (ca + cb);
  for (var j = 0u; j < ca; j++) { y[row + j] = a[p * ca + j]; }
  for (var j = 0u; j < cb; j++) { y[row + ca + j] = b[p * cb + j]; }
}
