// For the images n of group g and each (ky, kx): F[n, ky, kx, c] = sum_y G[n, y, kx, c] exp(-2 pi i ky y / H) (G from dft_rows.wgsl);
// out[g, k, 0] = sum_{n, c} |F|^2, out[g, k, 1 + 2c] = sum_n Re F, out[g, k, 2 + 2c] = sum_n Im F (k = ky * W + kx; the host sums groups in f64).
// Bindings: 0 Params, 1 g (N*H*W*C) vec2, 2 tw (H) vec2 (cos, sin)(2 pi m / H), 3 out (groups, H*W, 1 + 2C) f32 rw.
// Dispatch: grid2d(groups * H * W, WG). Precision: f32, H terms per F, per_group * C per sum; reference kernels-test/ref/spectrum.ts.
// wrapper: src/kernels/dft.ts
override WG: u32 = 64;

struct Params {
  rows: u32,
  h: u32,
  w: u32,
  c: u32,
  per_group: u32,
  groups: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> g: array<vec2<f32>>;
@group(0) @binding(2) var<storage, read> tw: array<vec2<f32>>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let e = linear_index(wid, nwg, lid, WG);
  let hw = params.h * params.w;
  if (e >= params.groups * hw) { return; }
  let k = e % hw;
  let grp = e / hw;
  let ky = k / params.w;
  let kx = k % params.w;
  let n0 = grp * params.per_group;
  let n1 = min(params.rows, n0 + params.per_group);
  let stride = 1u + 2u * params.c;
  let o = e * stride;
  var p = 0.0;
  for (var ch = 0u; ch < params.c; ch++) {
    var sre = 0.0;
    var sim = 0.0;
    for (var n = n0; n < n1; n++) {
      var f = vec2<f32>(0.0);
      var m = 0u;
      for (var y = 0u; y < params.h; y++) {
        let v = g[((n * params.h + y) * params.w + kx) * params.c + ch];
        let t = tw[m];
        f += vec2<f32>(v.x * t.x + v.y * t.y, v.y * t.x - v.x * t.y);
        m += ky;
        if (m >= params.h) { m -= params.h; }
      }
      p += dot(f, f);
      sre += f.x;
      sim += f.y;
    }
    out[o + 1u + 2u * ch] = sre;
    out[o + 2u + 2u * ch] = sim;
  }
  out[o] = p;
}
