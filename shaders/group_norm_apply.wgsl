// y[nn, p, ci] = (x[nn, p, ci] - mean[nn, g]) * rstd[nn, g] * gamma[ci] + beta[ci], g = ci / cpg, for NHWC
// x (n, hw, c); SILU builds write silu(y) (lib/activation.wgsl; inference graphs fuse GroupNorm + SiLU). Bindings: 0 Params, 1 x, 2 mean (n * groups), 3 rstd (n * groups), 4 gamma (c), 5 beta (c),
// 6 y (all f32). Dispatch: grid2d(n * hw, WG), one invocation per pixel and its c channels (integer
// division per element costs lavapipe 5x). Precision: f32, 4 roundings. Reference: ref/nn_image_norm.ts groupNorm.
// wrapper: src/kernels/nn_image_norm.ts
override WG: u32 = 64;

struct Params {
  hw: u32,
  c: u32,
  groups: u32,
  cpg: u32,
  pixels: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> mean: array<f32>;
@group(0) @binding(3) var<storage, read> rstd: array<f32>;
@group(0) @binding(4) var<storage, read> gamma: array<f32>;
@group(0) @binding(5) var<storage, read> beta: array<f32>;
@group(0) @binding(6) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let pix = linear_index(wid, nwg, lid, WG);
  if (pix >= params.pixels) { return; }
  let c = params.c;
  let ng0 = (pix / params.hw) * params.groups;
  var g = 0u;
  var next = params.cpg;
  for (var ci = 0u; ci < c; ci++) {
    if (ci == next) {
      g++;
      next += params.cpg;
    }
    let i = pix * c + ci;
#if SILU
    y[i] = silu((x[i] - mean[ng0 + g]) * rstd[ng0 + g] * gamma[ci] + beta[ci]);
#else
    y[i] = (x[i] - mean[ng0 + g]) * rstd[ng0 + g] * gamma[ci] + beta[ci];
#endif
  }
}
