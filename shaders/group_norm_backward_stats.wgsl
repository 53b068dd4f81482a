// From sums[k, nn, ci] (k = 0: sum_p dy, 1: sum_p dy xhat, 2: sum_p xhat; (3, n, c)): for i < c,
// dbeta[i] += sum_nn sums[0, nn, i] and dgamma[i] += sum_nn sums[1, nn, i]; for i = c + nn * groups + g,
// gs[nn, g] = (S0, S1) = (sum_{ci in g} gamma sums[0], sum_{ci in g} gamma sums[1]). OFFSET builds (the norm
// of x + e) also give e's gradient, the pixel sum of dx = rstd (gamma dy - S0 / M - xhat S1 / M), M = hw cpg:
// for i = c + n * groups + nn * c + ci, de[nn, ci] += rstd (gamma sums[0] - hw S0 / M - sums[2] S1 / M).
// Bindings: 0 Params, 1 sums, 2 gamma (c), 3 dgamma, 4 dbeta, 5 gs (n * groups) vec2; OFFSET: 6 rstd
// (n * groups), 7 de (n, c) (f32). Dispatch: grid2d(c + n * groups (+ n * c), WG).
// Precision: f32 sums in order. Reference: kernels-test/ref/nn_image_norm.ts groupNormBackward.
// wrapper: src/kernels/nn_image_norm.ts
override WG: u32 = 64;

struct Params {
  n: u32,
  hw: u32,
  c: u32,
  groups: u32,
  cpg: u32,
  inv_m: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> sums: array<f32>;
@group(0) @binding(2) var<storage, read> gamma: array<f32>;
@group(0) @binding(3) var<storage, read_write> dgamma: array<f32>;
@group(0) @binding(4) var<storage, read_write> dbeta: array<f32>;
@group(0) @binding(5) var<storage, read_write> gs: array<vec2<f32>>;
#if OFFSET
@group(0) @binding(6) var<storage, read> rstd: array<f32>;
@group(0) @binding(7) var<storage, read_write> de: array<f32>;
#endif

// (S0, S1) of image nn, group g.
fn group_sums(nn: u32, g: u32) -> vec2<f32> {
  let c0 = g * params.cpg;
  let row = nn * params.c;
  let plane = params.n * params.c;
  var acc = vec2<f32>(0.0);
  for (var j = 0u; j < params.cpg; j++) {
    acc += gamma[c0 + j] * vec2<f32>(sums[row + c0 + j], sums[plane + row + c0 + j]);
  }
  return acc;
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let i = linear_index(wid, nwg, lid, WG);
  let c = params.c;
  let plane = params.n * c;
  if (i < c) {
    var s0 = 0.0;
    var s1 = 0.0;
    for (var nn = 0u; nn < params.n; nn++) {
      s0 += sums[nn * c + i];
      s1 += sums[plane + nn * c + i];
    }
    dbeta[i] += s0;
    dgamma[i] += s1;
    return;
  }
  let ng = i - c;
  let rows = params.n * params.groups;
  if (ng < rows) {
    gs[ng] = group_sums(ng / params.groups, ng % params.groups);
    return;
  }
#if OFFSET
  let k = ng - rows;
  if (k >= plane) { return; }
  let nn = k / c;
  let g = (k % c) / params.cpg;
  let s = group_sums(nn, g) * params.inv_m;
  let r = rstd[nn * params.groups + g];
  de[k] += r * (gamma[k % c] * sums[k] - f32(params.hw) * s.x - sums[2u * plane + k] * s.y);
#endif
}
