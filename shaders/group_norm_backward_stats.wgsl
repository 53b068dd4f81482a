// From sums[0, nn, ci] = sum_p dy and sums[1, nn, ci] = sum_p dy xhat (n, c each): for i < c,
// dbeta[i] += sum_nn sums[0, nn, i] and dgamma[i] += sum_nn sums[1, nn, i]; for i = c + nn * groups + g,
// gs[nn, g] = (sum_{ci in g} gamma sums[0], sum_{ci in g} gamma sums[1]). Bindings: 0 Params, 1 sums (2, n, c),
// 2 gamma (c), 3 dgamma, 4 dbeta, 5 gs (n * groups) vec2 (f32). Dispatch: grid2d(c + n * groups, WG).
// Precision: f32 sums in order. Reference: kernels-test/ref/nn_image_norm.ts groupNormBackward.
// wrapper: src/kernels/nn_image_norm.ts
override WG: u32 = 64;

struct Params {
  n: u32,
  c: u32,
  groups: u32,
  cpg: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> sums: array<f32>;
@group(0) @binding(2) var<storage, read> gamma: array<f32>;
@group(0) @binding(3) var<storage, read_write> dgamma: array<f32>;
@group(0) @binding(4) var<storage, read_write> dbeta: array<f32>;
@group(0) @binding(5) var<storage, read_write> gs: array<vec2<f32>>;

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
  if (ng >= params.n * params.groups) { return; }
  let c0 = (ng % params.groups) * params.cpg;
  let row = (ng / params.groups) * c;
  var acc = vec2<f32>(0.0);
  for (var j = 0u; j < params.cpg; j++) {
    let g = gamma[c0 + j];
    acc += g * vec2<f32>(sums[row + c0 + j], sums[plane + row + c0 + j]);
  }
  gs[ng] = acc;
}
