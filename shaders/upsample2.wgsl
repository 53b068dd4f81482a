// y[nn, Y, X, ci] = scale * x[nn, Y / 2, X / 2, ci] for NHWC x (n, h, w, c) and y (n, 2h, 2w, c): nearest
// Upsample2 forward (scale 1) and AvgPool2 backward (scale 1/4). Bindings: 0 Params, 1 x f32, 2 y f32
// (overwritten; added to in ACCUM builds). Dispatch: grid2d(n * h * w, WG), one invocation per input pixel
// writing its 4 copies.
// Precision: one f32 multiply (exact for scale 1 and 1/4). Reference: kernels-test/ref/nn_image.ts upsample2.
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
  // row = nn * h + i: output rows 2 row and 2 row + 1 of width 2w, columns 2j and 2j + 1.
  let w2 = 2u * params.w;
  let a = ((2u * row) * w2 + 2u * j) * c;
  let b = a + w2 * c;
  for (var ci = 0u; ci < c; ci++) {
    let v = params.scale * x[pix * c + ci];
#if ACCUM
    // ACCUM builds (avgPool2's backward into a gradient another consumer wrote): y + v, the rounding of
    // adding it in a pass of its own.
    y[a + ci] = y[a + ci] + v;
    y[a + c + ci] = y[a + c + ci] + v;
    y[b + ci] = y[b + ci] + v;
    y[b + c + ci] = y[b + c + ci] + v;
#else
    y[a + ci] = v;
    y[a + c + ci] = v;
    y[b + ci] = v;
    y[b + c + ci] = v;
#endif
  }
}
