// da[p, j] (+)= dy[p, j] for j < ca and db[p, j - ca] (+)= dy[p, j] for ca <= j < ca + cb: the backward of
// concat_channels (accumulate = 0 overwrites da and db); DOWN builds, that of its UP builds (da at half
// resolution). Bindings: 0 Params, 1 dy (pixels, ca + cb), 2 da (pixels, ca), 3 db (pixels, cb), all f32.
// Dispatch: grid2d(pixels, WG), one invocation per pixel (of da in DOWN builds). Precision: exact copy, or
// one f32 add (DOWN: the 2 x 2 sum's three, then the add). Reference: kernels-test/ref/nn_image.ts splitChannels.
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
  accumulate: u32,
  // DOWN builds: the width of da (half of dy's and db's).
  w: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> dy: array<V>;
@group(0) @binding(2) var<storage, read_write> da: array<V>;
@group(0) @binding(3) var<storage, read_write> db: array<V>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let p = linear_index(wid, nwg, lid, WG);
  if (p >= params.pixels) { return; }
  let ca = params.ca;
  let cb = params.cb;
#if DOWN
  // DOWN builds (the backward of concat_channels' UP builds): da at half resolution (pixels counts da's)
  // takes the sum over the 2 x 2 block of dy its pixel was upsampled into, in upsample2's backward order
  // (avg_pool2 with scale 1), and db the block's own columns.
  let pq = up_block(p, params.w);
  let acc = params.accumulate != 0u;
  for (var j = 0u; j < ca; j++) {
    let s = ((dy[pq[0] * (ca + cb) + j] + dy[pq[1] * (ca + cb) + j]) + dy[pq[2] * (ca + cb) + j]) +
            dy[pq[3] * (ca + cb) + j];
    let o = p * ca + j;
    if (acc) { da[o] = da[o] + s; } else { da[o] = s; }
  }
  for (var t = 0u; t < 4u; t++) {
    let q = pq[t];
    for (var j = 0u; j < cb; j++) {
      let o = q * cb + j;
      let v = dy[q * (ca + cb) + ca + j];
      if (acc) { db[o] = db[o] + v; } else { db[o] = v; }
    }
  }
#else
  let row = p * (ca + cb);
  if (params.accumulate != 0u) {
    for (var j = 0u; j < ca; j++) { da[p * ca + j] += dy[row + j]; }
    for (var j = 0u; j < cb; j++) { db[p * cb + j] += dy[row + ca + j]; }
  } else {
    for (var j = 0u; j < ca; j++) { da[p * ca + j] = dy[row + j]; }
    for (var j = 0u; j < cb; j++) { db[p * cb + j] = dy[row + ca + j]; }
  }
#endif
}
