// out[o_off + i * ldo + c] = eps(rows[i], c) for c < cols and 0 for cols <= c < ldo, where eps(row, c) is
// component c % 4 of philox_normal4(key, (c / 4, row, tag, stream)): the same numbers standardNormals and
// forward_noise draw for that row (tag = their step), for any list of rows (e.g. rows sorted by class).
// LOWER: entries with c > i are 0 and c == i takes diag[d_off + i] (a Bartlett factor's lower triangle).
// Bindings: 0 Params, 1 rows u32, 2 diag f32, 3 out vec4<f32> read_write. Dispatch: grid2d(count * ldo / 4,
// WG); one invocation per output vec4. Precision: bit-exact normals (lib/normal.wgsl). Reference:
// kernels-test/ref/philox.ts (the per-row draw), kernels-test/ref/normal_rows.ts.
// wrapper: src/kernels/normal_rows.ts
override WG: u32 = 64;

struct Params {
  key: vec2<u32>,
  count: u32,
  cols: u32,
  quads: u32,
  tag: u32,
  stream: u32,
  o_off: u32,
  d_off: u32,
  lower: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> rows: array<u32>;
@group(0) @binding(2) var<storage, read> diag: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<vec4<f32>>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let idx = linear_index(wid, nwg, lid, WG);
  if (idx >= params.count * params.quads) { return; }
  let i = idx / params.quads;
  let q = idx % params.quads;
  var e = philox_normal4(params.key, vec4<u32>(q, rows[i], params.tag, params.stream));
  let c = vec4<u32>(4u * q) + vec4<u32>(0u, 1u, 2u, 3u);
  e = select(vec4<f32>(0.0), e, c < vec4<u32>(params.cols));
  if (params.lower != 0u) {
    e = select(e, vec4<f32>(0.0), c > vec4<u32>(i));
    e = select(e, vec4<f32>(diag[params.d_off + i]), c == vec4<u32>(i));
  }
  out[params.o_off + idx] = e;
}
