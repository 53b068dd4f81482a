// For each (image nn, group g), r = nn * groups + g: the group's mean and rstd = 1 / sqrt(M2 / count + eps)
// from group_norm_stats's per-channel block (mean, M2), merged channel by channel and block by block with
// Chan et al.'s update: delta = mb - ma, mean = ma + delta nb / n, M2 = M2a + M2b + delta^2 na nb / n; and
// shift[nn, ci] = mean for the group's channels. OFFSET builds normalise x + e[nn, ci] instead: each
// channel's block means move by e (M2 does not), and shift = mean - e, so x + e - mean = x - shift.
// Bindings: 0 Params, 1 partial (2, n, blocks, c), 2 mean, 3 rstd (n * groups), 4 shift (n, c), OFFSET:
// 5 e (n, c) (all f32). Dispatch: grid2d(n * groups, WG). Precision: f32 merges in (channel, block) order.
// Reference: kernels-test/ref/nn_image_norm.ts groupNorm.
// wrapper: src/kernels/nn_image_norm.ts
override WG: u32 = 64;

struct Params {
  n: u32,
  hw: u32,
  c: u32,
  groups: u32,
  cpg: u32,
  blocks: u32,
  block_rows: u32,
  eps: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> partial: array<f32>;
@group(0) @binding(2) var<storage, read_write> mean: array<f32>;
@group(0) @binding(3) var<storage, read_write> rstd: array<f32>;
@group(0) @binding(4) var<storage, read_write> shift: array<f32>;
#if OFFSET
@group(0) @binding(5) var<storage, read> e: array<f32>;
#endif

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let r = linear_index(wid, nwg, lid, WG);
  if (r >= params.n * params.groups) { return; }
  let c = params.c;
  let nn = r / params.groups;
  let c0 = (r % params.groups) * params.cpg;
  let plane = params.n * params.blocks * c;
  var count = 0.0;
  var mu = 0.0;
  var m2 = 0.0;
  for (var j = 0u; j < params.cpg; j++) {
    for (var blk = 0u; blk < params.blocks; blk++) {
      let k = (nn * params.blocks + blk) * c + c0 + j;
      let nb = f32(min(params.block_rows, params.hw - blk * params.block_rows));
#if OFFSET
      let mb = partial[k] + e[nn * c + c0 + j];
#else
      let mb = partial[k];
#endif
      let total = count + nb;
      let delta = mb - mu;
      mu += delta * (nb / total);
      m2 += partial[plane + k] + delta * delta * (count * nb / total);
      count = total;
    }
  }
  mean[r] = mu;
  rstd[r] = 1.0 / sqrt(m2 / count + params.eps);
  for (var j = 0u; j < params.cpg; j++) {
#if OFFSET
    shift[nn * c + c0 + j] = mu - e[nn * c + c0 + j];
#else
    shift[nn * c + c0 + j] = mu;
#endif
  }
}
