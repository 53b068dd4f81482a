// C[i, j] = C[j, i] for j < i: copies the upper triangle of an (n, n) block of C onto its lower triangle.
// Bindings: 0 Params, 1 C f32 (read_write). Dispatch: grid2d(n * n, WG), one invocation per element.
// Precision: exact copies; reference: kernels-test/ref/syrk.ts (mirrorUpper).
// wrapper: src/kernels/syrk.ts
override WG: u32 = 64;

struct Params {
  n: u32,
  ldc: u32,
  off_c: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> c: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let e = linear_index(wid, nwg, lid, WG);
  if (e >= params.n * params.n) { return; }
  let i = e / params.n;
  let j = e % params.n;
  if (j < i) { c[params.off_c + i * params.ldc + j] = c[params.off_c + j * params.ldc + i]; }
}
