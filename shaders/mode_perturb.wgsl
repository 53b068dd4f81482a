// out[((i * V + j) * 2 + s) * D + d] = x[i, d] + (s == 0 ? h : -h) * v[j, d]: the central-difference inputs x_i +- h v_j of the
// Jacobian-vector products along modes v_j (src/analysis/mode-softening.ts).
// Bindings: 0 Params, 1 x (B, D) f32, 2 v (V, D) f32, 3 out (2 B V, D) f32 rw. Dispatch: grid2d(2 B V D, WG), one element each.
// Precision: one f32 fma (mode_jvp.wgsl uses the stored difference, so the rounding of x +- h v is not an error in J v); reference kernels-test/ref/spectrum.ts.
// wrapper: src/kernels/mode_jvp.ts
override WG: u32 = 64;

struct Params {
  points: u32,
  modes: u32,
  d: u32,
  h: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> v: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let e = linear_index(wid, nwg, lid, WG);
  if (e >= 2u * params.points * params.modes * params.d) { return; }
  let dd = e % params.d;
  let r = e / params.d;
  let s = r % 2u;
  let j = (r / 2u) % params.modes;
  let i = r / (2u * params.modes);
  let sh = select(params.h, -params.h, s == 1u);
  out[e] = fma(sh, v[j * params.d + dd], x[i * params.d + dd]);
}
