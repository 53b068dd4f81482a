// y[nn, i, j, ci] = scale * (x[nn, 2i, 2j, ci] + x[nn, 2i, 2j + 1, ci] + x[nn, 2i + 1, 2j, ci] + x[nn, 2i + 1, 2j + 1, ci])
// for NHWC x (n, 2h, 2w, c) and y (n, h, w, c): AvgPool2 forward (scale 1/4) and Upsample2 backward (scale 1).
// Bindings: 0 Params, 1 x f32, 2 y f32 (overwritten). Dispatch: grid2d(n * h * w, WG), one invocation per
// output pixel and its c channels. Precision: f32, 3 adds in that order, 1 multiply. Reference: ref/nn_image.ts avgPool2.
// wrapper: src/kernels/nn_image_ops.ts
override WG: u32 = 64;
// VEC4 builds (c a multiple of 4): x and y as vec4s of 4 channels and c counted in them (on lavapipe every
// storage access is a loop over the lanes, so a quarter of them). The same operations per value.
#if VEC4
alias V = vec4<f32>;
#else
alias V = f32;
#endif

struct Params {
  h: u32,
  w: u32,
  c: u32,
  pixels: u32,
  scale: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<V>;
@group(0) @binding(2) var<storage, read_write> y: array<V>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let pix = linear_index(wid, nwg, lid, WG);
  if (pix >= params.pixels) { return; }
  let c = params.c;
  let j = pix % params.w;
  let row = pix / params.w;
  // row = nn * h + i: the input row 2i of image nn is 2 * row, its width 2w.
  let w2 = 2u * params.w;
  let a = ((2u * row) * w2 + 2u * j) * c;
  let b = a + w2 * c;
  for (var ci = 0u; ci < c; ci++) {
    y[pix * c + ci] = params.scale * (((x[a + ci] + x[a + c + ci]) + x[b + ci]) + x[b + c + ci]);
  }
}
