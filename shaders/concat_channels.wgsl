// y[p, j] = a[p, j] for j < ca, b[p, j - ca] for ca <= j < ca + cb: channel concatenation of two
// (pixels, ca) and (pixels, cb) row-major f32 images; in UP builds a[up(p), j], a at half resolution
// (lib/up_block.wgsl). Bindings: 0 Params, 1 a, 2 b, 3 y (pixels, ca + cb).
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
  // UP builds: the width of a (half of y's and b's).
  w: u32,
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
#if UP
  // UP builds: a is at half resolution (pixels counts a's), each of its pixels nearest-upsampled into the
  // 2 x 2 block of y it covers: y = [upsample2(a) | b] without upsample2's image in between.
  let pq = up_block(p, params.w);
  for (var j = 0u; j < ca; j++) {
    let v = a[p * ca + j];
    for (var t = 0u; t < 4u; t++) { y[pq[t] * (ca + cb) + j] = v; }
  }
  for (var t = 0u; t < 4u; t++) {
    let q = pq[t];
    for (var j = 0u; j < cb; j++) { y[q * (ca + cb) + ca + j] = b[q * cb + j]; }
  }
#else
  let row = p * (ca + cb);
  for (var j = 0u; j < ca; j++) { y[row + j] = a[p * ca + j]; }
  for (var j = 0u; j < cb; j++) { y[row + ca + j] = b[p * cb + j]; }
#endif
}
