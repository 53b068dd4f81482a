// MLP eps-predictor for vector data (x (N, D)):
//   emb = time_mlp(sinusoidal(t)) + class_emb[label]      time_mlp = Linear(S, H) -> SiLU -> Linear(H, H)
//   h = input(x) + emb
//   per block: h = h + lin2(silu(lin1(silu(h)) + emb))     (a residual block conditioned on emb)
//   eps_hat = output(silu(h))                              output: Linear(H, D), zero-initialised
// The class table has numClasses + 1 rows; the last is the null class (-1) of classifier-free guidance.
// Parameter names are torch state_dict keys of the equivalent nn.Module. H should be at least D: at
// large noise eps_hat ~ x_t, which an H < D bottleneck cannot carry (the loss then stays near 1 - H / D).
import { checkInt } from '../runtime/check.js';
import { add, embedding, linear, silu, timeFeatures } from './layers.js';
import { withDefaults, type ModelDef } from './model.js';
import { constInit, uniformFanIn, type ParamSpec } from './params.js';
import type { Schedule } from '../schedule/schedules.js';

export interface MlpConfig {
  /** Width H of the hidden layers and of the embeddings (default 256). */
  hidden: number;
  /** Residual blocks (default 3). */
  blocks: number;
  /** Sinusoidal feature size S (default 64, even). */
  timeDim: number;
}

export const MLP_DEFAULTS: MlpConfig = { hidden: 256, blocks: 3, timeDim: 64 };

function linearSpecs(name: string, out: number, inp: number, zero = false): ParamSpec[] {
  const init = zero ? constInit(0) : uniformFanIn(inp);
  return [
    { name: `${name}.weight`, shape: [out, inp], init, decay: true },
    { name: `${name}.bias`, shape: [out], init, decay: false },
  ];
}

export { linearSpecs };

/** Model definition of the MLP denoiser for D-dimensional data with numClasses classes. */
export function mlpDef(dim: number, numClasses: number, schedule: Schedule, config: Partial<MlpConfig> = {}): ModelDef {
  const c = withDefaults(MLP_DEFAULTS, config);
  checkInt('mlp: dim', dim, 1, 2 ** 24);
  checkInt('mlp: numClasses', numClasses, 0, 1 << 20);
  checkInt('mlp: hidden', c.hidden, 1, 1 << 16);
  checkInt('mlp: blocks', c.blocks, 0, 64);
  checkInt('mlp: timeDim', c.timeDim, 2, 1 << 16);
  if (c.timeDim % 2) throw new Error(`mlp: timeDim must be even, got ${c.timeDim}`);
  const H = c.hidden;
  const specs: ParamSpec[] = [
    ...linearSpecs('time_mlp.0', H, c.timeDim),
    ...linearSpecs('time_mlp.2', H, H),
    // Unit-variance uniform start, like torch's N(0, 1) nn.Embedding default in scale.
    {
      name: 'class_emb.weight',
      shape: [numClasses + 1, H],
      init: { kind: 'uniform', bound: Math.sqrt(3) },
      decay: false,
    },
    ...linearSpecs('input', H, dim),
  ];
  for (let i = 0; i < c.blocks; i++)
    specs.push(...linearSpecs(`blocks.${i}.lin1`, H, H), ...linearSpecs(`blocks.${i}.lin2`, H, H));
  specs.push(...linearSpecs('output', dim, H, true));
  return {
    architecture: 'mlp',
    config: { hidden: H, blocks: c.blocks, timeDim: c.timeDim },
    dataShape: [dim],
    numClasses,
    schedule,
    paramSpecs: specs,
    outCols: dim,
    async build(nn, io) {
      const ts = timeFeatures(nn, 'time_mlp.features', io.steps, c.timeDim, schedule.T);
      const t1 = await linear(nn, 'time_mlp.0', ts, H, 'silu');
      const temb = await linear(nn, 'time_mlp.2', t1, H);
      const cemb = embedding(nn, 'class_emb', io.labels, numClasses);
      const emb = add(nn, 'emb', temb, cemb);
      let h = add(nn, 'input.cond', await linear(nn, 'input', io.x, H), emb);
      for (let i = 0; i < c.blocks; i++) {
        const p = `blocks.${i}`;
        const u = await linear(nn, `${p}.lin1`, silu(nn, `${p}.act0`, h), H);
        const r = await linear(nn, `${p}.lin2`, silu(nn, `${p}.act1`, add(nn, `${p}.cond`, u, emb)), H);
        h = add(nn, `${p}.out`, h, r);
      }
      return { out: await linear(nn, 'output', silu(nn, 'output.act', h), dim) };
    },
  };
}
