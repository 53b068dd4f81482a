// Helpers shared by the GroupNorm shaders (group_norm_apply, group_norm_backward_sums, _dx), whose VEC4
// builds work on vec4 channel quads and scalar builds on single channels (V = vec4<f32> or f32, declared
// by each shader). group_rstd reads the shader's rstd binding and params.cpg; silu_grad_v (SILU builds,
// with lib/activation.wgsl) is silu' per lane. Bindings: the including shader's. Dispatch: any.
// Precision: f32. Reference: kernels-test/ref/nn_image_norm.ts.

// rstd of the group of channel q (VEC4: of each of the channels 4q .. 4q + 3) of image row ng0 = nn * groups.
fn group_rstd(ng0: u32, q: u32) -> V {
#if VEC4
  let ci = 4u * q;
  let cpg = params.cpg;
  return vec4<f32>(rstd[ng0 + ci / cpg], rstd[ng0 + (ci + 1u) / cpg], rstd[ng0 + (ci + 2u) / cpg],
                   rstd[ng0 + (ci + 3u) / cpg]);
#else
  return rstd[ng0 + q / params.cpg];
#endif
}

#if SILU
fn silu_grad_v(v: V) -> V {
#if VEC4
  return silu_grad4(v);
#else
  return silu_grad(v);
#endif
}
#endif
