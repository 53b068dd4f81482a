// `fluctus train`: trains an MLP or small U-Net denoiser (or a classifier) on a dataset with the
// engine's kernels; writes the checkpoint (safetensors, atomically, also periodically during training)
// and <base>.html with the loss curve and a sample grid (<base>-samples.png) next to it.
// --resume checks the checkpoint before any GPU work: finite tensors (readCheckpoint), no explicit
// option that contradicts it (architecture, size, noise schedule), the same data (fingerprint; other
// data only with --allow-different-data); unset options, the data included, come from it.
import { existsSync } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import cliProgress from 'cli-progress';
import { requestContext, destroyContext, type Context } from '../runtime/context.js';
import { traced } from '../runtime/trace.js';
import { BUILTIN_DATASETS, loadDataset, type Dataset } from '../data/loaders.js';
import type { CsvHeader } from '../data/parse.js';
import { makeSchedule, type ScheduleName } from '../schedule/schedules.js';
import {
  dataFingerprint,
  readCheckpoint,
  writeCheckpoint,
  type Checkpoint,
  type CheckpointInfo,
} from '../models/checkpoint.js';
import { mlpDef, MLP_DEFAULTS } from '../models/mlp.js';
import { unetDef, UNET_DEFAULTS } from '../models/unet.js';
import { classifierDef } from '../models/classifier.js';
import { classifyHost } from '../models/classifier.js';
import { learnedDenoiser } from '../models/learned.js';
import { sampleDdpm } from '../samplers/ddpm.js';
import { ARCHITECTURES, disposeModel, type Architecture, type LearnedModel, type ModelDef } from '../models/model.js';
import { checkTraining, train, type TrainOptions, type TrainResult } from '../models/train.js';
import type { TrainData } from '../models/train-data.js';
import { writeTrainReport, type TrainReport } from '../report/train-report.js';
import {
  intArg,
  realArg,
  seedArg,
  SEED_RANGE,
  LABELS_HELP,
  csvHeaderOption,
  printDataNotes,
  TRACE_HELP,
  writeTrace,
} from './common.js';
import { checkOutFile, onInterrupt } from './out-folder.js';

const DEFAULT_EPOCHS: Record<Architecture, number> = { mlp: 100, 'unet-small': 20, classifier: 10 };
const DEFAULT_LR: Record<Architecture, number> = { mlp: 2e-3, 'unet-small': 1e-3, classifier: 1e-3 };
const DEFAULT_DATA = 'digits';
const DEFAULT_SCHEDULE: ScheduleName = 'linear';
const DEFAULT_T = 1000;

function channelsArg(v: string): [number, number] {
  const p = v.split(',').map((s) => Number(s.trim()));
  if (p.length !== 2 || !p.every((c) => Number.isInteger(c) && c >= 1 && c <= 4096))
    throw new InvalidArgumentError(`--channels must be two integers 'c0,c1' (e.g. 32,64), got '${v}'`);
  return p as [number, number];
}

/** [H, W, C] of image data (C from the row length), else null. */
function imageOf(data: Dataset): [number, number, number] | null {
  const s = data.imageShape;
  return s ? [s[0], s[1], data.shape[1] / (s[0] * s[1])] : null;
}

/** The model definition asked for on the command line (or stored in the checkpoint being resumed). */
export function modelFor(
  arch: Architecture,
  data: Dataset,
  o: { schedule?: ScheduleName; steps?: number; hidden?: number; blocks?: number; channels?: [number, number] },
  resume: Checkpoint | null,
): ModelDef {
  const cfg = resume && resume.info.architecture === arch ? resume.info.config : {};
  const num = (k: string) => (typeof cfg[k] === 'number' ? (cfg[k] as number) : undefined);
  const sched = resume?.info.schedule ?? { name: o.schedule ?? DEFAULT_SCHEDULE, T: o.steps ?? DEFAULT_T };
  const schedule = makeSchedule(sched.name, sched.T);
  const [N, D] = data.shape;
  if (arch === 'mlp')
    return mlpDef(D, data.classes, schedule, {
      hidden: o.hidden ?? num('hidden'),
      blocks: o.blocks ?? num('blocks'),
      timeDim: num('timeDim'),
    });
  const image = imageOf(data);
  if (arch === 'unet-small') {
    if (!image)
      throw new Error(
        `--model unet-small needs image data (digits, fashion-mnist, IDX files or PNG folders); ${data.name} holds ${N} vectors of ${D} values`,
      );
    return unetDef(image, data.classes, schedule, {
      c0: o.channels?.[0] ?? num('c0'),
      c1: o.channels?.[1] ?? num('c1'),
      embDim: num('embDim'),
      groups: num('groups'),
    });
  }
  return classifierDef(image ?? [D], data.classes, {
    hidden: o.hidden ?? num('hidden'),
    blocks: o.blocks ?? num('blocks'),
    c0: o.channels?.[0] ?? num('c0'),
    c1: o.channels?.[1] ?? num('c1'),
  });
}

function progressBar() {
  const bar = new cliProgress.SingleBar(
    // Without a terminal (logs, CI) a line every 10 s instead of the redrawn bar.
    {
      format:
        'training |{bar}| {value}/{total} steps | epoch {epoch} | loss {loss} | {rate} samples/s | ETA {eta_formatted}',
      hideCursor: true,
      etaBuffer: 20,
      noTTYOutput: true,
      notTTYSchedule: 10_000,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(step: number, total: number, payload: { epoch: number; loss: string; rate: string }) {
      if (!started) {
        bar.start(total, step, payload);
        started = true;
      } else bar.update(step, payload);
    },
    stop() {
      if (started) bar.stop();
      started = false;
    },
  };
}

interface ModelOptions {
  model?: string;
  schedule?: ScheduleName;
  steps?: number;
  hidden?: number;
  blocks?: number;
  channels?: [number, number];
}

/**
 * The options given on the command line that contradict the resumed checkpoint (or mean nothing for
 * its model): a resumed run keeps its architecture, size and noise schedule, so there is no override.
 */
export function resumeConflicts(o: ModelOptions, info: CheckpointInfo): string[] {
  const out: string[] = [];
  const a = `a ${info.architecture}`;
  if (o.model !== undefined && o.model !== info.architecture)
    out.push(`--model ${o.model}, but the checkpoint is ${a}`);
  const s = info.schedule;
  if (o.schedule !== undefined && o.schedule !== s?.name)
    out.push(
      `--schedule ${o.schedule}, but the checkpoint ${s ? `has schedule ${s.name}` : `(${a}) has no noise schedule`}`,
    );
  if (o.steps !== undefined && o.steps !== s?.T)
    out.push(`--steps ${o.steps}, but the checkpoint ${s ? `has T = ${s.T}` : `(${a}) has no noise schedule`}`);
  const cfg = info.config;
  for (const k of ['hidden', 'blocks'] as const) {
    if (o[k] !== undefined && o[k] !== cfg[k])
      out.push(
        `--${k} ${o[k]}, but the checkpoint ${cfg[k] === undefined ? `(${a}) has no ${k}` : `has ${k} = ${cfg[k]}`}`,
      );
  }
  const c = o.channels;
  if (c && (c[0] !== cfg.c0 || c[1] !== cfg.c1))
    out.push(
      `--channels ${c.join(',')}, but the checkpoint ${cfg.c0 === undefined ? `(${a}) has no channels` : `has channels ${cfg.c0},${cfg.c1}`}`,
    );
  return out;
}

/** Where the training data come from: a name or path and how to load it. */
interface DataSource {
  name: string;
  labels?: string;
  csvHeader?: CsvHeader;
  samplesPerClass?: number;
  /** The options taken from the resumed checkpoint, as command-line words (empty when none were). */
  fromCheckpoint: string[];
}

/**
 * The data to train on: --data and its loading options as given; on --resume, what is not given comes
 * from the checkpoint (its data name when --data is unset, its loading options when the name is the
 * checkpoint's). A checkpoint whose data cannot be found here needs --data.
 */
function dataSource(
  o: { data?: string; labels?: string; csvHeader?: CsvHeader; samplesPerClass?: number },
  resume: Checkpoint | null,
  resumePath: string | undefined,
): DataSource {
  if (!resume)
    return {
      name: o.data ?? DEFAULT_DATA,
      labels: o.labels,
      csvHeader: o.csvHeader,
      samplesPerClass: o.samplesPerClass,
      fromCheckpoint: [],
    };
  const ck = resume.info;
  const fromCheckpoint: string[] = [];
  if (o.data === undefined) {
    const found = (BUILTIN_DATASETS as readonly string[]).includes(ck.data) || (ck.data !== '' && existsSync(ck.data));
    if (!found)
      throw new Error(
        `resume checkpoint ${resumePath} was trained on '${ck.data}', which is neither a built-in data set (${BUILTIN_DATASETS.join(', ')}) nor a file or folder here; give the data with --data`,
      );
    fromCheckpoint.push(`--data ${ck.data}`);
  }
  const name = o.data ?? ck.data;
  const co = name === ck.data ? (ck.dataOptions ?? {}) : {};
  const take = <T extends string | number>(given: T | undefined, key: string, flag: string, type: string) => {
    if (given !== undefined || typeof co[key] !== type) return given;
    fromCheckpoint.push(`${flag} ${co[key]}`);
    return co[key] as T;
  };
  return {
    name,
    labels: take(o.labels, 'labels', '--labels', 'string'),
    csvHeader: take(o.csvHeader, 'csvHeader', '--csv-header', 'string'),
    samplesPerClass: take(o.samplesPerClass, 'samplesPerClass', '--samples-per-class', 'number'),
    fromCheckpoint,
  };
}

/** The loading options recorded in the checkpoint (only those given). */
function dataOptionsOf(d: DataSource): Record<string, string | number> | undefined {
  const out: Record<string, string | number> = {};
  if (d.labels !== undefined) out.labels = d.labels;
  if (d.csvHeader !== undefined) out.csvHeader = d.csvHeader;
  if (d.samplesPerClass !== undefined) out.samplesPerClass = d.samplesPerClass;
  return Object.keys(out).length ? out : undefined;
}

/** The resumed run's training settings (empty without --resume). */
const rt0 = (resume: Checkpoint | null) => (resume?.info.train ?? {}) as Record<string, number>;

const withoutExt = (p: string) => p.replace(/\.safetensors$/, '');

async function sampleFacts(
  ctx: Context,
  r: TrainResult,
  data: Dataset,
  sampleSteps: number | undefined,
): Promise<TrainReport['samples']> {
  const m = r.model;
  const d = learnedDenoiser(m);
  const K = m.def.numClasses;
  const image = imageOf(data);
  const perRow = image ? (image[0] > 16 ? 8 : 10) : 64;
  const classes = Int32Array.from({ length: Math.max(1, K) * perRow }, (_, i) => (K ? Math.floor(i / perRow) : -1));
  const steps =
    sampleSteps ?? (m.def.architecture === 'unet-small' && image && image[0] > 16 ? 100 : m.def.schedule!.T);
  const bar = new cliProgress.SingleBar(
    { format: 'sampling |{bar}| {value}/{total} DDPM steps | ETA {eta_formatted}', hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  bar.start(steps, 0);
  const seed = 1234;
  const x = await sampleDdpm(ctx, d, { n: classes.length, classes, seed, steps, onStep: (k) => bar.update(k) });
  bar.stop();
  return { x, classes, perRow, classNames: data.classNames, steps, seed };
}

export function trainCommand(): Command {
  return new Command('train')
    .description(
      'train a denoiser (mlp, unet-small) or a classifier on a dataset with the engine; writes the checkpoint (safetensors) and <out>.html with the loss curve and a sample grid',
    )
    .requiredOption('--out <path>', 'checkpoint to write (.safetensors); the report goes next to it')
    .option(
      '--data <name|path>',
      `gmm | digits | fashion-mnist | cifar-shaped | latent-shaped, or a .npy / IDX(.gz) / .csv file or a folder of PNG class subfolders (default: the resumed checkpoint's data, else ${DEFAULT_DATA})`,
    )
    .option('--labels <file|column>', LABELS_HELP)
    .addOption(csvHeaderOption())
    .option(
      '--samples-per-class <n>',
      'train on at most n samples per class (first ones)',
      intArg('--samples-per-class', 1, 2 ** 31 - 1),
    )
    .addOption(
      new Option('--model <name>', "architecture (default: the resumed checkpoint's)").choices([...ARCHITECTURES]),
    )
    .option(
      '--epochs <n>',
      `passes over the data (default: ${Object.entries(DEFAULT_EPOCHS)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')})`,
      intArg('--epochs', 1, 1e6),
    )
    .option(
      '--max-steps <n>',
      'stop after this many optimiser steps in all (resume later with --resume)',
      intArg('--max-steps', 1, 1e9),
    )
    .option(
      '--max-minutes <x>',
      'stop after this much training time (at the next loss readback), write the checkpoint and report; resume later with --resume',
      realArg('--max-minutes', 0, 1e6, true),
    )
    .option('--batch <n>', "batch size (default 128, or the resumed run's)", intArg('--batch', 1, 1 << 16))
    .option(
      '--lr <x>',
      `AdamW learning rate (default: ${Object.entries(DEFAULT_LR)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')})`,
      realArg('--lr', 0, 10, true),
    )
    .option('--weight-decay <x>', 'AdamW decoupled weight decay (default 0)', realArg('--weight-decay', 0, 1))
    .option('--clip <x>', 'global gradient-norm clip, 0: none (default 1)', realArg('--clip', 0, 1e9))
    .option(
      '--ema <x>',
      'EMA decay of the weights; sampling uses the EMA weights (default 0.999)',
      realArg('--ema', 0, 0.999999),
    )
    .option(
      '--p-uncond <p>',
      'class dropout probability for classifier-free guidance (default 0.1)',
      realArg('--p-uncond', 0, 1),
    )
    .option(
      '--seed <n>',
      `seed of initialisation, shuffling and noise (${SEED_RANGE}; default: the resumed checkpoint's, else 0)`,
      seedArg,
    )
    .addOption(
      new Option(
        '--schedule <name>',
        `noise schedule (default: the resumed checkpoint's, else ${DEFAULT_SCHEDULE})`,
      ).choices(['linear', 'cosine']),
    )
    .option(
      '--steps <T>',
      `number of diffusion steps T (default: the resumed checkpoint's, else ${DEFAULT_T})`,
      intArg('--steps', 2, 100_000),
    )
    .option('--hidden <n>', `MLP width (default ${MLP_DEFAULTS.hidden})`, intArg('--hidden', 1, 65536))
    .option('--blocks <n>', `MLP residual blocks (default ${MLP_DEFAULTS.blocks})`, intArg('--blocks', 0, 64))
    .option(
      '--channels <c0,c1>',
      `U-Net / conv classifier channels (default ${UNET_DEFAULTS.c0},${UNET_DEFAULTS.c1} for the U-Net)`,
      channelsArg,
    )
    .option(
      '--resume <ckpt>',
      'continue training from this checkpoint (same data and model; unset options come from it, conflicting ones are refused)',
    )
    .option(
      '--allow-different-data',
      "with --resume: continue training on data that differ from the checkpoint's (refused otherwise)",
    )
    .option(
      '--sample-steps <n>',
      "DDPM steps of the report's sample grid (default T; 100 for the U-Net on images larger than 16x16)",
      intArg('--sample-steps', 1, 100_000),
    )
    .option('--no-report', 'skip the HTML report and the sample grid')
    .option('--trace <file>', TRACE_HELP)
    .action(async (o) => {
      checkOutFile(o.out);
      if (o.trace !== undefined) checkOutFile(o.trace, '--trace');
      // Ctrl-C: the cursor back, and what the checkpoint file holds.
      onInterrupt(
        () => undefined,
        `${o.out} holds the last checkpoint written (periodic saves every minute), if any; resume with --resume ${o.out}`,
      );
      // Everything up to requestContext is host work: a refusal leaves no trace and uses no GPU.
      const resume = o.resume ? readCheckpoint(o.resume) : null;
      if (resume) {
        const c = resumeConflicts(o, resume.info);
        if (c.length)
          throw new Error(
            `resume checkpoint ${o.resume} conflicts with the options given: ${c.join('; ')}. A resumed run keeps the checkpoint's architecture, size and noise schedule: drop these options, or train a new model without --resume`,
          );
      } else if (o.allowDifferentData) throw new Error('--allow-different-data applies only with --resume');
      const arch = (o.model ?? resume?.info.architecture) as Architecture | undefined;
      if (!arch)
        throw new Error(`--model is required (one of ${ARCHITECTURES.join(', ')}) unless --resume gives a checkpoint`);
      if (!ARCHITECTURES.includes(arch))
        throw new Error(`checkpoint architecture '${arch}' is not one of ${ARCHITECTURES.join(', ')}`);
      const src = dataSource(o, resume, o.resume);
      if (src.fromCheckpoint.length) console.log(`data: ${src.fromCheckpoint.join(' ')} (from the resumed checkpoint)`);
      const data = loadDataset(src.name, { labels: src.labels, csvHeader: src.csvHeader, limit: src.samplesPerClass });
      printDataNotes(data);
      const batch = o.batch ?? rt0(resume).batch ?? 128;
      if (batch > data.shape[0])
        console.warn(
          `warning: --batch ${batch} is more than the ${data.shape[0]} rows of ${data.name}: each epoch is one step of all ${data.shape[0]} rows`,
        );
      const def = modelFor(arch, data, o, resume);
      const rt = rt0(resume);
      const seed = o.seed ?? resume?.info.seed ?? 0;
      const trainData: TrainData = {
        x: data.x,
        labels: data.labels,
        rows: data.shape[0],
        dim: data.shape[1],
        name: src.name,
        options: dataOptionsOf(src),
        fingerprint: dataFingerprint(data.x, data.labels),
      };
      const bar = progressBar();
      const trainOpts: TrainOptions = {
        // Unset options continue the resumed run's settings (what an uninterrupted run would have used).
        epochs: o.epochs ?? rt.epochs ?? DEFAULT_EPOCHS[arch],
        batch,
        seed,
        pUncond: o.pUncond ?? rt.pUncond ?? 0.1,
        maxSteps: o.maxSteps,
        maxSeconds: o.maxMinutes === undefined ? undefined : 60 * o.maxMinutes,
        resume,
        allowDifferentData: o.allowDifferentData === true,
        optimizer: {
          lr: o.lr ?? rt.lr ?? DEFAULT_LR[arch],
          weightDecay: o.weightDecay ?? rt.weightDecay ?? 0,
          emaDecay: o.ema ?? rt.emaDecay ?? 0.999,
          maxNorm: (o.clip ?? (rt.maxNorm === undefined ? 1 : rt.maxNorm)) || Infinity,
        },
        onProgress: (p) =>
          bar.update(p.step, p.totalSteps, {
            epoch: p.epoch,
            loss: p.loss.toPrecision(4),
            rate: p.samplesPerSecond.toFixed(0),
          }),
        onCheckpoint: (c) => writeCheckpoint(o.out, c),
      };
      const words = { what: `resume checkpoint ${o.resume}`, override: '--allow-different-data' };
      for (const w of checkTraining(def, trainData, trainOpts, words)) console.warn(`warning: ${w}`);
      const ctx = await requestContext({ trace: o.trace !== undefined });
      const finishTrace = () => {
        if (o.trace !== undefined)
          console.log(`trace: ${o.trace} (${writeTrace(ctx, o.trace, { data: data.name, model: arch })} events)`);
      };
      const a = ctx.adapterInfo;
      console.log(`adapter: ${a.vendor} ${a.architecture} ${a.description}${a.isFallback ? ' (software)' : ''}`);
      const nParams = def.paramSpecs.reduce((s, p) => s + p.shape.reduce((x, y) => x * y, 1), 0);
      console.log(
        `data: ${data.name} ${data.shape[0]} x ${data.shape[1]}, ${data.classes} classes; model ${arch} ${JSON.stringify(def.config)} (${nParams.toLocaleString('en')} parameters)${resume ? `; resuming ${o.resume} at step ${resume.info.step}` : ''}`,
      );
      if (arch === 'mlp' && Number(def.config.hidden) < data.shape[1]) {
        // At large noise eps ~ x_t: a hidden width below D cannot pass x_t through (loss floor ~ 1 - hidden / D).
        console.warn(
          `warning: the MLP's width ${def.config.hidden} is below the data dimension ${data.shape[1]}, so it cannot carry x_t through; use --hidden ${data.shape[1]} or more${data.imageShape ? ', or --model unet-small' : ''}`,
        );
      }
      let model: LearnedModel | null = null;
      try {
        const r = await traced(ctx, 'train', () => train(ctx, def, trainData, trainOpts));
        bar.stop();
        model = r.model;
        console.log(
          `trained ${r.stepsRun} steps in ${r.seconds.toFixed(1)} s (${r.samplesPerSecond.toFixed(0)} samples/s); final loss ${r.losses.length ? r.losses[r.losses.length - 1]!.toPrecision(4) : '-'}`,
        );
        console.log(`checkpoint: ${o.out} (step ${r.checkpoint.info.step})`);
        if (!o.report) return finishTrace();
        const facts: [string, string][] = [
          [
            'training time',
            `${r.seconds.toFixed(1)} s for ${r.stepsRun} steps (${r.samplesPerSecond.toFixed(0)} samples/s)`,
          ],
          ['adapter', `${a.vendor} ${a.description}`],
        ];
        let samples: TrainReport['samples'] = null;
        if (arch === 'classifier') {
          const acc = async (d: Dataset) => {
            const pred = await classifyHost(ctx, r.model, d.x, d.shape[0]);
            return pred.reduce((s, p, i) => s + Number(p === d.labels[i]), 0) / d.shape[0];
          };
          facts.push(['accuracy (training data)', (await acc(data)).toFixed(4)]);
          if (src.name === 'fashion-mnist')
            facts.push([
              'accuracy (fashion-mnist test split)',
              (await acc(loadDataset('fashion-mnist', { split: 'test' }))).toFixed(4),
            ]);
          for (const [k, v] of facts.slice(2)) console.log(`${k}: ${v}`);
        } else {
          samples = await traced(ctx, 'sample', () => sampleFacts(ctx, r, data, o.sampleSteps));
        }
        const files = await traced(ctx, 'write report', () =>
          writeTrainReport(withoutExt(o.out), {
            title: `fluctus train — ${arch} on ${data.name}`,
            info: r.checkpoint.info,
            losses: r.losses,
            lossName: arch === 'classifier' ? 'cross-entropy' : 'MSE of eps',
            samples,
            facts,
            data: { x: data.x, labels: data.labels, dim: data.shape[1] },
            imageShape: imageOf(data),
          }),
        );
        console.log(`report: ${files.join(', ')}`);
        finishTrace();
      } finally {
        bar.stop();
        if (model) disposeModel(model);
        destroyContext(ctx);
      }
    });
}
