// dx[q, ci] (+)= sum over taps t = ky * 3 + kx of dcols[p - p0, t * c + ci], p = (nn, y - ky + 1, xx - kx + 1)
// the output pixels inside the image with p0 <= p < p0 + rows that read input pixel q = (nn, y, xx): the
// adjoint of im2col3x3 in gather form (no atomics). Pixels q >= overwrite_from are overwritten, others accumulate.
// Bindings: 0 Params, 1 dcols (rows, 9 c) f32, 2 dx (n * h * w, c) f32. Dispatch: grid2d(count, WG) for
// q in [q0, q0 + count), one invocation per pixel (tap offsets found once, then its c channels).
// Precision: f32 sum over t in order. Reference: kernels-test/ref/nn_image.ts col2im3x3.
// wrapper: src/kernels/nn_image_ops.ts
override WG: u32 = 64;

struct Params {
  h: u32,
  w: u32,
  c: u32,
  p0: u32,
  rows: u32,
  q0: u32,
  count: u32,
  overwrite_from: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> dcols: array<f32>;
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let i = linear_index(wid, nwg, lid, WG);
  if (i >= params.count) { return; }
  let c = params.c;
  let q = params.q0 + i;
  let w = i32(params.w);
  let h = i32(params.h);
  let xx = i32(q % params.w);
  let y = i32((q / params.w) % params.h);
  let base = i32(q) - y * w - xx;
  let lo = i32(params.p0);
  let hi = lo + i32(params.rows);
  // Start of tap t's c values in dcols, or -1 when that output pixel is outside the image or the chunk.
  var off: array<i32, 9>;
  for (var t = 0; t < 9; t++) {
    let oy = y + 1 - t / 3;
    let ox = xx + 1 - t % 3;
    let p = base + oy * w + ox;
    off[t] = -1;
    if (oy >= 0 && oy < h && ox >= 0 && ox < w && p >= lo && p < hi) { off[t] = ((p - lo) * 9 + t) * i32(c); }
  }
  let overwrite = q >= params.overwrite_from;
  for (var ci = 0u; ci < c; ci++) {
    var acc = 0.0;
    for (var t = 0; t < 9; t++) {
      if (off[t] >= 0) { acc += dcols[u32(off[t]) + ci]; }
    }
    let at = q * c + ci;
    if (overwrite) { dx[at] = acc; } else { dx[at] += acc; }
  }
}
