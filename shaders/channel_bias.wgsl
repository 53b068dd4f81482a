// y[nn, p, ci] = x[nn, p, ci] + e[nn, ci] for (n, hw, c) NHWC x and per-image channel offsets e (n, c)
// (time/class conditioning; n = 1 is the bias of a convolution). IN_PLACE: y += e.
// Bindings: 0 Params, IN_PLACE: 1 e, 2 y; else 1 x, 2 e, 3 y (all f32). Dispatch: grid2d(n * hw, WG), one
// invocation per pixel and its c channels. Precision: one f32 add. Reference: ref/nn_image.ts addChannelBias.
// wrapper: src/kernels/nn_image_channel.ts
override WG: u32 = 64;

struct Params {
  hw: u32,
  c: u32,
  pixels: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
#if IN_PLACE
@group(0) @binding(1) var<storage, read> e: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
fn load_x(i: u32) -> f32 { return y[i]; }
#else
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> e: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
fn load_x(i: u32) -> f32 { return x[i]; }
#endif

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let pix = linear_index(wid, nwg, lid, WG);
  if (pix >= params.pixels) { return; }
  let c = params.c;
  let e0 = (pix / params.hw) * c;
  for (var ci = 0u; ci < c; ci++) {
    let i = pix * c + ci;
    y[i] = load_x(i) + e[e0 + ci];
  }
}
