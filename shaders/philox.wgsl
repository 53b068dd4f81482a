// out[i] = Philox4x32-10(ctr[i], key) (Random123); with the `normal` variant the four N(0, 1)
// deviates lib/normal.wgsl makes from those words; with `normal` and `transform` the deviates made
// from ctr[i] itself taken as the words (to test the transform at chosen inputs).
// Bindings: 0 Params (uniform), 1 ctr: array<vec4<u32>> (read), 2 out: array<vec4<u32|f32>> (write).
// Dispatch: grid2d(count, WG) workgroups of WG invocations, one counter each. Precision: bit-exact.
// Reference: kernels-test/ref/philox.ts (BigInt Philox, float64 Box-Muller); Random123 KAT vectors.
// wrapper: src/kernels/philox.ts
override WG: u32 = 64;

struct Params {
  key: vec2<u32>,
  count: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> ctr: array<vec4<u32>>;
#if normal
@group(0) @binding(2) var<storage, read_write> out: array<vec4<f32>>;
#else
@group(0) @binding(2) var<storage, read_write> out: array<vec4<u32>>;
#endif

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let i = linear_index(wid, nwg, lid, WG);
  if (i >= params.count) { return; }
#if transform
  out[i] = normal4(ctr[i]);
#elif normal
  out[i] = philox_normal4(params.key, ctr[i]);
#else
  out[i] = philox4x32_10(ctr[i], params.key);
#endif
}
