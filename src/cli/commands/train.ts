// espforge train SPEC --data DATA [--epochs N] [--batch N] [--lr X] [--val F] [--prune I,F] [--structured R]
//                [--fine-tune F] [--class-weights balanced|w1,w2,..] [--patience N] [--limit N] [--seed N] --out DIR
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import { attemptAsync, fail } from '../../diagnostics.js';
import { datasetSize, loadDataset } from '../../data/index.js';
import { initBackend } from '../../train/backend.js';
import { defaultSchedule, structuredPrune } from '../../train/prune.js';
import { saveLayersModel } from '../../train/save.js';
import { buildModel, countMacs, loadSpecBase, parseSpec, setBaseFineTune } from '../../train/spec.js';
import { evaluate, trainModel, type Progress, type TrainResult } from '../../train/train.js';
import { printJson, reportFailure, table } from '../common.js';

/** A progress renderer for training: a bar on a terminal, one line per epoch otherwise. */
export function progressRenderer(json = false): { onProgress: (p: Progress) => void; stop: () => void } {
  if (json) return { onProgress: () => {}, stop: () => {} };
  const tty = Boolean(process.stderr.isTTY);
  let bar: cliProgress.SingleBar | undefined;
  let lastEpoch = 0;
  const fmt = (p: Progress) => ({ epoch: `${p.epoch}/${p.epochs}`, loss: p.loss.toFixed(4), acc: (p.accuracy * 100).toFixed(1) + '%', eta: Math.round(p.etaMs / 1000) + 's' });
  return {
    onProgress: (p) => {
      if (p.phase === 'batch' && tty) {
        if (p.epoch !== lastEpoch) {
          bar?.stop();
          bar = new cliProgress.SingleBar(
            { format: 'epoch {epoch} |{bar}| {value}/{total} loss {loss} acc {acc} ETA {eta}', stream: process.stderr, hideCursor: true, clearOnComplete: false },
            cliProgress.Presets.shades_classic,
          );
          bar.start(p.batches, 0, fmt(p));
          lastEpoch = p.epoch;
        }
        bar!.update(p.batch, fmt(p));
      } else if (p.phase === 'epoch') {
        bar?.stop();
        bar = undefined;
        lastEpoch = 0;
        const val = p.valLoss !== undefined ? `  val_loss ${p.valLoss.toFixed(4)}  val_acc ${((p.valAccuracy ?? 0) * 100).toFixed(1)}%` : '';
        const sp = p.sparsity !== undefined ? `  sparsity ${(p.sparsity * 100).toFixed(1)}%` : '';
        process.stderr.write(`epoch ${p.epoch}/${p.epochs}  loss ${p.loss.toFixed(4)}  acc ${(p.accuracy * 100).toFixed(1)}%${val}${sp}  (${(p.elapsedMs / 1000).toFixed(1)} s)\n`);
      }
    },
    stop: () => bar?.stop(),
  };
}

const num = (name: string, v: string | undefined, lo: number, hi: number, int = false): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < lo || n > hi || (int && !Number.isInteger(n))) fail('EF0006', `--${name} must be ${int ? 'an integer' : 'a number'} in [${lo}, ${hi}], got '${v}'`);
  return n;
};

interface Opts {
  data: string;
  out: string;
  epochs?: string;
  batch?: string;
  lr?: string;
  val?: string;
  prune?: string;
  structured?: string;
  fineTune?: string;
  classWeights?: string;
  patience?: string;
  limit?: string;
  seed?: string;
  force?: boolean;
  json?: boolean;
}

export function register(program: Command, setExit: (c: number) => void): void {
  program
    .command('train')
    .description('train (or fine-tune) a model from a JSON layer spec on a dataset, optionally pruning it')
    .argument('<spec>', 'model spec (.json): input shape, layers, optional MobileNetV2 base')
    .requiredOption('--data <data>', 'builtin:mnist, .npz/.npy, an IDX folder or an image folder')
    .requiredOption('--out <dir>', 'output folder for the TF.js layers model (model.json + weights.bin)')
    .option('--epochs <n>', 'epochs (default: spec, else 5)')
    .option('--batch <n>', 'batch size (default 32)')
    .option('--lr <x>', 'Adam learning rate (default 0.001)')
    .option('--val <f>', 'validation fraction held out from the training data (default 0.1)')
    .option('--prune <i,f>', 'magnitude pruning from initial to final sparsity, polynomial decay, e.g. 0.5,0.8')
    .option('--structured <r>', 'after training, remove this fraction of conv channels (L1) and fine-tune one epoch')
    .option('--fine-tune <f>', 'with a base model: fraction of base layers (from the top) that train')
    .option('--class-weights <w>', "'balanced' or comma-separated weights per class")
    .option('--patience <n>', 'early stopping: epochs without validation improvement')
    .option('--limit <n>', 'use at most N training samples')
    .option('--seed <n>', 'seed for weights, shuffling and splits (default 0)')
    .option('--force', 'overwrite an output folder that holds other files')
    .option('--json', 'machine-readable output')
    .action(async (specFile: string, o: Opts) => {
      const r = await attemptAsync(() => trainCommand(specFile, o), { file: specFile });
      if (reportFailure(r, o.json, setExit)) return;
      if (o.json) printJson(r.value);
    });
}

async function trainCommand(specFile: string, o: Opts) {
  if (!existsSync(specFile)) fail('EF0001', 'no such file', { file: specFile });
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(specFile, 'utf8'));
  } catch (e) {
    return fail('EF5003', `spec is not valid JSON: ${(e as Error).message}`, { file: specFile });
  }
  const spec = await loadSpecBase(parseSpec(json, specFile), specFile);
  if (o.fineTune !== undefined) spec.fineTune = num('fine-tune', o.fineTune, 0, 1);
  const d = spec.train ?? {};
  const epochs = num('epochs', o.epochs, 1, 10000, true) ?? d.epochs ?? 5;
  const batchSize = num('batch', o.batch, 1, 65536, true) ?? d.batchSize ?? 32;
  const lr = num('lr', o.lr, 0, 10) ?? d.learningRate ?? 1e-3;
  const val = num('val', o.val, 0, 0.9) ?? d.validationSplit ?? 0.1;
  const seed = num('seed', o.seed, 0, 2 ** 31, true) ?? d.seed ?? 0;
  const structured = num('structured', o.structured, 0, 0.95) ?? d.structured;
  let prune = d.prune;
  if (o.prune !== undefined) {
    const p = o.prune.split(',').map(Number);
    if (p.length !== 2 || p.some((x) => !Number.isFinite(x))) fail('EF0006', `--prune takes initial,final sparsity, e.g. 0.5,0.8; got '${o.prune}'`);
    prune = [p[0], p[1]];
  }
  let classWeights: number[] | 'balanced' | undefined;
  if (o.classWeights) classWeights = o.classWeights === 'balanced' ? 'balanced' : o.classWeights.split(',').map(Number);
  const out = basename(o.out) === 'model.json' ? dirname(o.out) : o.out;
  if (existsSync(out)) {
    if (!statSync(out).isDirectory()) fail('EF0005', 'output exists and is not a folder', { file: out });
    const foreign = readdirSync(out).filter((f) => f !== 'model.json' && f !== 'weights.bin');
    if (foreign.length && !o.force) fail('EF0005', `output folder holds other files (${foreign.slice(0, 3).join(', ')})`, { file: out, suggestion: 'choose another --out or pass --force' });
  }
  const backend = await initBackend();
  const shape = { inputShape: spec.input, seed };
  const train = await loadDataset(o.data, { ...shape, split: 'train', limit: num('limit', o.limit, 1, 1e9, true) });
  let test;
  try {
    test = await loadDataset(o.data, { ...shape, split: 'test' });
  } catch {
    test = undefined;
  }
  // the split's val/ folder (espforge split) is the validation set when there is one
  let valData;
  try {
    valData = await loadDataset(o.data, { ...shape, split: 'val' });
  } catch {
    valData = undefined;
  }
  let model = buildModel(spec, { seed });
  const log = (s: string) => !o.json && process.stderr.write(s + '\n');
  log(`training ${model.countParams()} parameters on ${datasetSize(train)} samples (${train.source}), backend ${backend}` +
    (valData ? `; validation on ${datasetSize(valData)} samples (${valData.source})` : ''));
  const pr = progressRenderer(o.json);
  const trainN = valData ? datasetSize(train) : datasetSize(train) * (1 - val);
  const patience = num('patience', o.patience, 1, 1000, true) ?? d.patience;
  // one phase from the flags and `train` defaults, or the spec's stages
  if (spec.stages && (o.epochs !== undefined || o.lr !== undefined || o.prune !== undefined || o.fineTune !== undefined))
    fail('EF0006', 'the spec has "stages": set epochs, learning rate, pruning and fine-tuning per stage, not with --epochs/--lr/--prune/--fine-tune', { file: specFile });
  const phases = (spec.stages ?? [{ epochs, learningRate: lr, prune: prune && !structured ? prune : undefined, fineTune: undefined }]).map((st, i) => ({
    name: st.name ?? (spec.stages ? `stage ${i + 1}` : 'training'),
    epochs: st.epochs,
    learningRate: st.learningRate ?? (spec.stages ? d.learningRate ?? 1e-3 : lr),
    batchSize: ('batchSize' in st ? st.batchSize : undefined) ?? batchSize,
    lrSchedule: ('lrSchedule' in st ? st.lrSchedule : undefined) ?? d.lrSchedule,
    optimizer: ('optimizer' in st ? st.optimizer : undefined) ?? d.optimizer,
    patience: ('patience' in st ? st.patience : undefined) ?? patience,
    prune: st.prune,
    fineTune: st.fineTune,
  }));
  const results: TrainResult[] = [];
  const stageLog: { name: string; epochs: number; learningRate: number; fineTune?: number; frozenBaseLayers?: number; prune?: [number, number]; optimizer: string; valLoss?: number; stoppedEarly: boolean }[] = [];
  try {
    for (const [i, ph] of phases.entries()) {
      const frozen = ph.fineTune !== undefined ? setBaseFineTune(model, spec, ph.fineTune) : undefined;
      if (phases.length > 1)
        log(`${ph.name}: ${ph.epochs} epoch(s), lr ${ph.learningRate}, ${ph.optimizer ?? 'adam'}` +
          (ph.fineTune !== undefined ? `, fine-tune ${Math.round(ph.fineTune * 100)}% of the base (${frozen} base layers frozen)` : '') +
          (ph.prune ? `, pruning ${ph.prune[0]}→${ph.prune[1]}` : ''));
      const steps = Math.ceil(trainN / ph.batchSize) * ph.epochs;
      const r = await trainModel(model, train, {
        epochs: ph.epochs,
        batchSize: ph.batchSize,
        learningRate: ph.learningRate,
        lrSchedule: ph.lrSchedule,
        optimizer: ph.optimizer,
        augment: d.augmentShift ? { shift: d.augmentShift } : undefined,
        validationSplit: valData ? undefined : val,
        validationData: valData,
        seed: seed + i,
        classWeights,
        earlyStopping: ph.patience ? { patience: ph.patience } : undefined,
        prune: ph.prune ? defaultSchedule(ph.prune[0], ph.prune[1], steps) : undefined,
        onProgress: pr.onProgress,
      });
      results.push(r);
      const lastEp = r.history[r.history.length - 1];
      stageLog.push({ name: ph.name, epochs: r.history.length, learningRate: ph.learningRate, fineTune: ph.fineTune, frozenBaseLayers: frozen, prune: ph.prune, optimizer: ph.optimizer ?? 'adam', valLoss: lastEp?.valLoss, stoppedEarly: r.stoppedEarly });
    }
    let finalSpec = spec;
    let channels;
    if (structured) {
      const macsBefore = countMacs(model);
      const s = structuredPrune(model, spec, structured, seed);
      model = s.model;
      finalSpec = s.spec;
      channels = s.report.channels;
      log(`structured pruning: ${s.report.channels.map((c) => `${c.name} ${c.before}→${c.after}`).join(', ')}; MACs ${macsBefore} → ${countMacs(model)}; fine-tuning 1 epoch`);
      const ftSteps = Math.ceil((datasetSize(train) * (1 - val)) / batchSize);
      results.push(
        await trainModel(model, train, {
          epochs: 1,
          batchSize,
          learningRate: lr,
          validationSplit: val,
          seed: seed + 1,
          classWeights,
          prune: prune ? defaultSchedule(prune[0], prune[1], ftSteps) : undefined,
          onProgress: pr.onProgress,
        }),
      );
    }
    pr.stop();
    const ev = test ? await evaluate(model, test) : undefined;
    const saved = await saveLayersModel(model, out, { classes: train.classes, normalization: train.normalization, spec: finalSpec, dataset: train.source });
    const last = results[results.length - 1];
    const summary = {
      ok: true,
      out,
      files: saved.files,
      parameters: model.countParams(),
      macs: countMacs(model),
      epochs: results.reduce((a, r) => a + r.history.length, 0),
      secondsPerEpoch: results[0].secondsPerEpoch,
      trainAccuracy: last.history[last.history.length - 1]?.accuracy,
      valAccuracy: last.history[last.history.length - 1]?.valAccuracy,
      testAccuracy: ev?.accuracy,
      testSamples: test ? datasetSize(test) : 0,
      sparsity: last.sparsity,
      structured: channels,
      stages: spec.stages ? stageLog : undefined,
      validation: valData ? valData.source : `${Math.round(val * 100)}% of the training data`,
    };
    if (!o.json) {
      const rows = [
        ['parameters', String(summary.parameters)],
        ['MACs', String(summary.macs)],
        ['seconds / epoch', summary.secondsPerEpoch.toFixed(1)],
        ['train accuracy', pct(summary.trainAccuracy)],
        ['validation accuracy', pct(summary.valAccuracy)],
        ['test accuracy', test ? `${pct(summary.testAccuracy)} (${summary.testSamples} samples)` : 'no test split'],
      ];
      rows.push(['validation on', summary.validation]);
      for (const st of stageLog.length > 1 ? stageLog : [])
        rows.push([st.name, `${st.epochs} epoch(s)${st.stoppedEarly ? ' (early stop)' : ''}, lr ${st.learningRate}, ${st.optimizer}` +
          (st.fineTune !== undefined ? `, fine-tune ${Math.round(st.fineTune * 100)}%` : '') + (st.prune ? `, prune ${st.prune[0]}→${st.prune[1]}` : '')]);
      if (last.sparsity) for (const l of last.sparsity) rows.push([`sparsity ${l.layer}`, pct(l.sparsity)]);
      process.stdout.write(table(rows, ['l', 'r']) + `\nwrote ${out}/model.json + weights.bin\n`);
    }
    return summary;
  } finally {
    pr.stop();
  }
}

const pct = (v: number | undefined) => (v === undefined || Number.isNaN(v) ? '-' : (v * 100).toFixed(2) + '%');
