// Small U-Net eps-predictor for NHWC images with H, W divisible by 4 (28 -> 14 -> 7; 8 -> 4 -> 2):
//   emb  = time_mlp(sinusoidal(t)) + class_emb[label]                     (N, E)
//   h0   = conv_in(x)                                   C0 at H x W
//   s0   = down.0(h0)            ResBlock C0 -> C0      C0 at H            (skip)
//   s1   = down.1(pool(s0))      ResBlock C0 -> C1      C1 at H/2          (skip)
//   m    = mid(pool(s1))         ResBlock C1 -> C1      C1 at H/4
//   u1   = up.1([up(m) | s1])    ResBlock 2C1 -> C1     C1 at H/2
//   u0   = up.0([up(u1) | s0])   ResBlock C1+C0 -> C0   C0 at H
//   eps  = conv_out(silu(out_norm(u0)))                 C at H, conv_out zero-initialised
// ResBlock(x): h = conv1(silu(norm1(x))) + emb_proj(silu(emb)) per channel; h = conv2(silu(norm2(h)));
// out = skip(x) + h, skip a 1x1 convolution (a Linear over channels) when the channel count changes.
// Pooling is 2x2 average, upsampling nearest; convolutions are 3x3 with padding 1, weights (cout, 3, 3, cin).
import { checkInt } from '../runtime/check.js';
import { add, embedding, linear, reshape, silu, timeFeatures, type Nn } from './layers.js';
import { avgPool2, concatChannels, conv3x3, groupNormSilu, type Img } from './layers-image.js';
import type { Act } from './graph.js';
import { withDefaults, type ModelDef } from './model.js';
import { linearSpecs } from './mlp.js';
import { constInit, uniformFanIn, type ParamSpec } from './params.js';
import type { Schedule } from '../schedule/schedules.js';

export interface UnetConfig {
  /** Channels at full and half resolution (default 32, 64). */
  c0: number;
  c1: number;
  /** Width E of the time / class embedding (default 128). */
  embDim: number;
  /** GroupNorm groups (default 8; must divide every normalised channel count). */
  groups: number;
}

export const UNET_DEFAULTS: UnetConfig = { c0: 32, c1: 64, embDim: 128, groups: 8 };

export function convSpecs(name: string, cout: number, cin: number, zero = false): ParamSpec[] {
  const init = zero ? constInit(0) : uniformFanIn(9 * cin);
  return [
    { name: `${name}.weight`, shape: [cout, 3, 3, cin], init, decay: true },
    { name: `${name}.bias`, shape: [cout], init, decay: false },
  ];
}

export function normSpecs(name: string, c: number): ParamSpec[] {
  return [
    { name: `${name}.weight`, shape: [c], init: constInit(1), decay: false },
    { name: `${name}.bias`, shape: [c], init: constInit(0), decay: false },
  ];
}

function resSpecs(p: string, cin: number, cout: number, E: number): ParamSpec[] {
  const s = [
    ...normSpecs(`${p}.norm1`, cin),
    ...convSpecs(`${p}.conv1`, cout, cin),
    ...linearSpecs(`${p}.emb`, cout, E),
    ...normSpecs(`${p}.norm2`, cout),
    ...convSpecs(`${p}.conv2`, cout, cout),
  ];
  if (cin !== cout) s.push(...linearSpecs(`${p}.skip`, cout, cin));
  return s;
}

/** ResBlock (see the header); `embAct` is silu(emb), shared by every block. */
export async function resBlock(
  nn: Nn,
  p: string,
  x: Act,
  img: Img,
  cout: number,
  groups: number,
  embAct: Act | null,
): Promise<Act> {
  const h = await conv3x3(nn, `${p}.conv1`, await groupNormSilu(nn, `${p}.norm1`, x, img, groups), img, cout);
  // The conditioning offset goes into norm2's passes (GroupNorm of h + e) rather than a pass over h.
  const e = embAct ? await linear(nn, `${p}.emb`, embAct, cout) : null;
  // The skip path is added by conv2's pass: x itself, or a 1x1 projection whose bias conv2 adds with it.
  const skip = x.cols === cout ? null : await linear(nn, `${p}.skip`, x, cout, 'none', { bias: false });
  const residual = skip ? { act: skip, bias: `${p}.skip.bias` } : { act: x };
  const norm2 = await groupNormSilu(nn, `${p}.norm2`, h, img, groups, e);
  return conv3x3(nn, `${p}.conv2`, norm2, img, cout, residual);
}

export function checkImageShape(
  what: string,
  shape: readonly number[],
  groups: number,
  channels: number[],
): [number, number, number] {
  if (shape.length !== 3) throw new Error(`${what}: needs image data [H, W, C], got shape [${shape}]`);
  const [H, W, C] = shape as [number, number, number];
  if (H % 4 || W % 4) throw new Error(`${what}: H and W must be divisible by 4 (two 2x2 poolings), got ${H} x ${W}`);
  for (const c of channels)
    if (c % groups)
      throw new Error(
        `${what}: groups = ${groups} must divide every normalised channel count (${channels.join(', ')})`,
      );
  return [H, W, C];
}

/** Model definition of the small U-Net denoiser for images [H, W, C] with numClasses classes. */
export function unetDef(
  imageShape: readonly number[],
  numClasses: number,
  schedule: Schedule,
  config: Partial<UnetConfig> = {},
): ModelDef {
  const c = withDefaults(UNET_DEFAULTS, config);
  for (const k of ['c0', 'c1', 'embDim', 'groups'] as const) checkInt(`unet: ${k}`, c[k], 1, 4096);
  checkInt('unet: numClasses', numClasses, 0, 1 << 20);
  const { c0, c1, embDim: E, groups } = c;
  const [H, W, C] = checkImageShape('unet', imageShape, groups, [c0, c1, 2 * c1, c1 + c0]);
  const S = Math.max(2, 2 * Math.round(c0 / 2));
  const specs: ParamSpec[] = [
    ...linearSpecs('time_mlp.0', E, S),
    ...linearSpecs('time_mlp.2', E, E),
    {
      name: 'class_emb.weight',
      shape: [numClasses + 1, E],
      init: { kind: 'uniform', bound: Math.sqrt(3) },
      decay: false,
    },
    ...convSpecs('conv_in', c0, C),
    ...resSpecs('down.0', c0, c0, E),
    ...resSpecs('down.1', c0, c1, E),
    ...resSpecs('mid', c1, c1, E),
    ...resSpecs('up.1', 2 * c1, c1, E),
    ...resSpecs('up.0', c1 + c0, c0, E),
    ...normSpecs('out_norm', c0),
    ...convSpecs('conv_out', C, c0, true),
  ];
  return {
    architecture: 'unet-small',
    config: { c0, c1, embDim: E, groups },
    dataShape: [H, W, C],
    numClasses,
    schedule,
    paramSpecs: specs,
    outCols: H * W * C,
    async build(nn, io) {
      const N = io.x.rows;
      const img0: Img = { n: N, h: H, w: W };
      const img1: Img = { n: N, h: H / 2, w: W / 2 };
      const img2: Img = { n: N, h: H / 4, w: W / 4 };
      const ts = timeFeatures(nn, 'time_mlp.features', io.steps, S, schedule.T);
      const temb = await linear(nn, 'time_mlp.2', await linear(nn, 'time_mlp.0', ts, E, 'silu'), E);
      const embAct = silu(nn, 'emb.act', add(nn, 'emb', temb, embedding(nn, 'class_emb', io.labels, numClasses)));
      const x = reshape(nn, 'input.image', io.x, N * H * W, C);
      const h0 = await conv3x3(nn, 'conv_in', x, img0, c0);
      const s0 = await resBlock(nn, 'down.0', h0, img0, c0, groups, embAct);
      const s1 = await resBlock(nn, 'down.1', await avgPool2(nn, 'down.0.pool', s0, img0), img1, c1, groups, embAct);
      const m = await resBlock(nn, 'mid', await avgPool2(nn, 'down.1.pool', s1, img1), img2, c1, groups, embAct);
      const u1 = await resBlock(
        nn,
        'up.1',
        await concatChannels(nn, 'up.1.cat', m, s1, img2),
        img1,
        c1,
        groups,
        embAct,
      );
      const u0 = await resBlock(
        nn,
        'up.0',
        await concatChannels(nn, 'up.0.cat', u1, s0, img1),
        img0,
        c0,
        groups,
        embAct,
      );
      const o = await conv3x3(nn, 'conv_out', await groupNormSilu(nn, 'out_norm', u0, img0, groups), img0, C);
      return { out: reshape(nn, 'output', o, N, H * W * C) };
    },
  };
}
