// `espforge train` as a library call: a JSON layer spec + a dataset → a trained (optionally pruned) TF.js layers
// model in a folder, with train/validation/test accuracy. Never prints: progress and log lines go to callbacks.

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { fail } from '../diagnostics.js';
import { datasetSize, loadDataset } from '../data/index.js';
import { initBackend } from '../train/backend.js';
import { defaultSchedule, structuredPrune } from '../train/prune.js';
import { saveLayersModel } from '../train/save.js';
import { buildModel, countMacs, loadSpecBase, parseSpec, setBaseFineTune } from '../train/spec.js';
import { evaluate, trainModel, type Progress, type TrainResult } from '../train/train.js';

export interface TrainOptions {
  /** Dataset: builtin:mnist, .npz/.npy, an IDX folder or an image folder. */
  data: string;
  /** Output folder for model.json + weights.bin. */
  out: string;
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
  /** Validation fraction held out from the training data (when the data has no val/ part). */
  validationSplit?: number;
  /** Magnitude pruning from initial to final sparsity. */
  prune?: [number, number];
  /** After training, remove this fraction of conv channels and fine-tune one epoch. */
  structured?: number;
  /** With a base model: fraction of base layers (from the top) that train. */
  fineTune?: number;
  classWeights?: number[] | 'balanced';
  patience?: number;
  /** At most this many training samples. */
  limit?: number;
  seed?: number;
  force?: boolean;
  onProgress?: (p: Progress) => void;
  onLog?: (line: string) => void;
}

export interface TrainSummary {
  ok: true;
  out: string;
  files: string[];
  parameters: number;
  macs: number;
  epochs: number;
  secondsPerEpoch: number;
  trainAccuracy?: number;
  valAccuracy?: number;
  testAccuracy?: number;
  testSamples: number;
  sparsity?: TrainResult['sparsity'];
  structured?: { layer: number; name: string; before: number; after: number }[];
  stages?: { name: string; epochs: number; learningRate: number; fineTune?: number; frozenBaseLayers?: number; prune?: [number, number]; optimizer: string; valLoss?: number; stoppedEarly: boolean }[];
  validation: string;
}

export async function trainFromSpec(specFile: string, o: TrainOptions): Promise<TrainSummary> {
  if (!existsSync(specFile)) fail('EF0001', 'no such file', { file: specFile });
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(specFile, 'utf8'));
  } catch (e) {
    return fail('EF5003', `spec is not valid JSON: ${(e as Error).message}`, { file: specFile });
  }
  const spec = await loadSpecBase(parseSpec(json, specFile), specFile);
  if (o.fineTune !== undefined) spec.fineTune = o.fineTune;
  const d = spec.train ?? {};
  const epochs = o.epochs ?? d.epochs ?? 5;
  const batchSize = o.batchSize ?? d.batchSize ?? 32;
  const lr = o.learningRate ?? d.learningRate ?? 1e-3;
  const val = o.validationSplit ?? d.validationSplit ?? 0.1;
  const seed = o.seed ?? d.seed ?? 0;
  const structured = o.structured ?? d.structured;
  const prune = o.prune ?? d.prune;
  const classWeights = o.classWeights;
  const out = basename(o.out) === 'model.json' ? dirname(o.out) : o.out;
  if (existsSync(out)) {
    if (!statSync(out).isDirectory()) fail('EF0005', 'output exists and is not a folder', { file: out });
    const foreign = readdirSync(out).filter((f) => f !== 'model.json' && f !== 'weights.bin');
    if (foreign.length && !o.force) fail('EF0005', `output folder holds other files (${foreign.slice(0, 3).join(', ')})`, { file: out, suggestion: 'choose another --out or pass --force' });
  }
  const backend = await initBackend();
  const shape = { inputShape: spec.input, seed };
  const train = await loadDataset(o.data, { ...shape, split: 'train', limit: o.limit });
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
  const log = (s: string) => o.onLog?.(s);
  log(`training ${model.countParams()} parameters on ${datasetSize(train)} samples (${train.source}), backend ${backend}` +
    (valData ? `; validation on ${datasetSize(valData)} samples (${valData.source})` : ''));
  const trainN = valData ? datasetSize(train) : datasetSize(train) * (1 - val);
  const patience = o.patience ?? d.patience;
  // one phase from the flags and `train` defaults, or the spec's stages
  if (spec.stages && (o.epochs !== undefined || o.learningRate !== undefined || o.prune !== undefined || o.fineTune !== undefined))
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
  {
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
        onProgress: o.onProgress,
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
          onProgress: o.onProgress,
        }),
      );
    }
    const ev = test ? await evaluate(model, test) : undefined;
    const saved = await saveLayersModel(model, out, { classes: train.classes, normalization: train.normalization, spec: finalSpec, dataset: train.source });
    const last = results[results.length - 1];
    const summary: TrainSummary = {
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
    return summary;
  }
}

