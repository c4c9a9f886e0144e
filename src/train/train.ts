// The training loop: seeded shuffling, mini-batches through optimizer.minimize on the wasm backend, validation,
// early stopping, class weights, frozen layers and magnitude pruning. Progress goes to a callback; the library
// prints nothing (the CLI renders a progress bar from the callback).

import { fail } from '../diagnostics.js';
import { datasetSize, stratifiedSplit, take, type Dataset } from '../data/index.js';
import { makeRng, shuffleInPlace } from '../data/rng.js';
import { initBackend, tf } from './backend.js';
import type * as tfl from '@tensorflow/tfjs-layers';
import { MagnitudePruner, sparsityReport, type LayerSparsity, type PruneSchedule } from './prune.js';

export interface Progress {
  phase: 'batch' | 'epoch';
  epoch: number; // 1-based
  epochs: number;
  batch: number; // 1-based within the epoch
  batches: number;
  loss: number;
  accuracy: number;
  valLoss?: number;
  valAccuracy?: number;
  sparsity?: number;
  elapsedMs: number;
  etaMs: number;
}

export interface TrainOptions {
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
  /**
   * Learning-rate decay over the run: 'cosine' goes from learningRate to minLearningRate along half a cosine,
   * 'constant' (default) keeps learningRate. The rate is set before every optimizer step.
   */
  lrSchedule?: 'constant' | 'cosine';
  /** Floor of the decayed learning rate (default learningRate / 50). */
  minLearningRate?: number;
  /** Optional linear warm-up over this many steps (cosine schedule only; default 0). */
  warmupSteps?: number;
  /**
   * Data augmentation for image samples [H, W, C] (training batches only): translate each sample by a seeded
   * random whole-pixel offset in [-shift, shift] on both axes, filling with `fill` (default 0 = background of
   * MNIST-like data).
   */
  augment?: { shift: number; fill?: number };
  /** Hold out this fraction of the training data (stratified) for validation. Ignored with validationData. */
  validationSplit?: number;
  validationData?: Dataset;
  /** Stop when the monitored loss (validation if any, else training) has not improved for `patience` epochs. */
  earlyStopping?: { patience: number; minDelta?: number; restoreBest?: boolean };
  /** Freeze the first fraction of the layers that hold weights (0 = train everything). */
  freezeFraction?: number;
  /** Per-class loss weights, or 'balanced' (n / (k · count_c)). */
  classWeights?: number[] | 'balanced';
  prune?: PruneSchedule;
  /** adam (default), sgd, momentum (SGD, momentum 0.9) or rmsprop. */
  optimizer?: 'adam' | 'sgd' | 'momentum' | 'rmsprop';
  seed?: number;
  /** Stop after this many optimizer steps in total (tests, smoke runs). */
  maxSteps?: number;
  onProgress?: (p: Progress) => void;
}

export interface EpochLog {
  epoch: number;
  loss: number;
  accuracy: number;
  valLoss?: number;
  valAccuracy?: number;
  seconds: number;
  sparsity?: number;
}

export interface TrainResult {
  history: EpochLog[];
  steps: number;
  secondsPerEpoch: number;
  stoppedEarly: boolean;
  sparsity?: LayerSparsity[];
  backend: string;
}

type LossKind = 'softmax-probs' | 'logits' | 'sigmoid';

function lossKind(model: tfl.LayersModel): { kind: LossKind; units: number } {
  const last = model.layers[model.layers.length - 1];
  const shape = model.outputs[0].shape;
  const units = shape[shape.length - 1] ?? 1;
  const cls = last.getClassName();
  const act = cls === 'Softmax' ? 'softmax' : ((last.getConfig() as { activation?: string }).activation ?? 'linear');
  if (act === 'softmax') return { kind: 'softmax-probs', units };
  if (act === 'sigmoid') {
    if (units !== 1) fail('EF5003', 'a sigmoid output must have 1 unit (binary classification); use softmax for more classes');
    return { kind: 'sigmoid', units };
  }
  return { kind: 'logits', units };
}

/** Per-sample loss and the number of correct predictions for a batch. */
function batchLoss(kind: LossKind, units: number, out: tf.Tensor, y: tf.Tensor1D, w: tf.Tensor1D | undefined): { loss: tf.Scalar; correct: tf.Scalar } {
  let per: tf.Tensor1D;
  let correct: tf.Scalar;
  const out2 = tf.reshape(out, [out.shape[0], -1]) as tf.Tensor2D;
  if (kind === 'sigmoid') {
    const p = tf.clipByValue(tf.reshape(out2, [-1]), 1e-7, 1 - 1e-7);
    const yf = tf.cast(y, 'float32');
    per = tf.neg(tf.add(tf.mul(yf, tf.log(p)), tf.mul(tf.sub(1, yf), tf.log(tf.sub(1, p))))) as tf.Tensor1D;
    correct = tf.sum(tf.cast(tf.equal(tf.cast(tf.greater(p, 0.5), 'int32'), y), 'float32'));
  } else {
    const oh = tf.oneHot(y, units);
    const logp = kind === 'softmax-probs' ? tf.log(tf.clipByValue(out2, 1e-7, 1)) : tf.logSoftmax(out2);
    per = tf.neg(tf.sum(tf.mul(oh, logp), -1)) as tf.Tensor1D;
    correct = tf.sum(tf.cast(tf.equal(tf.argMax(out2, -1), y), 'float32'));
  }
  const loss = (w ? tf.div(tf.sum(tf.mul(per, w)), tf.sum(w)) : tf.mean(per)) as tf.Scalar;
  return { loss, correct };
}

function checkData(model: tfl.LayersModel, ds: Dataset, what: string): void {
  const want = model.inputs[0].shape.slice(1) as number[];
  if (want.join() !== ds.shape.join())
    fail('EF5002', `${what} samples have shape [${ds.shape}] but the model input is [${want}]`, { file: ds.source });
  if (!ds.y) fail('EF5001', `${what} has no labels`, { file: ds.source });
  const { kind, units } = lossKind(model);
  const k = kind === 'sigmoid' ? 2 : units;
  for (const v of ds.y!) if (v >= k) fail('EF5002', `${what} has class ${v} but the model has ${k} outputs`, { file: ds.source });
}

/** Copy one [H, W, C] image translated by (dy, dx) pixels into `out` (uncovered pixels = fill). */
export function shiftImage(src: Float32Array, h: number, w: number, c: number, dy: number, dx: number, fill: number, out: Float32Array): void {
  out.fill(fill);
  const y0 = Math.max(0, dy);
  const y1 = Math.min(h, h + dy);
  const x0 = Math.max(0, dx);
  const x1 = Math.min(w, w + dx);
  if (x1 <= x0) return;
  for (let y = y0; y < y1; y++) out.set(src.subarray(((y - dy) * w + (x0 - dx)) * c, ((y - dy) * w + (x1 - dx)) * c), (y * w + x0) * c);
}

function gather(ds: Dataset, idx: ArrayLike<number>, from: number, to: number, aug?: { shift: number; fill?: number; rng: () => number }): { x: tf.Tensor; y: tf.Tensor1D } {
  const per = ds.shape.reduce((a, b) => a * b, 1);
  const n = to - from;
  const xb = new Float32Array(n * per);
  const yb = new Int32Array(n);
  const [h, w, c] = ds.shape;
  const shifting = aug && aug.shift > 0 && ds.shape.length === 3;
  for (let k = 0; k < n; k++) {
    const s = idx[from + k];
    const src = ds.x.subarray(s * per, (s + 1) * per);
    if (shifting) {
      const r = 2 * aug.shift + 1;
      const dy = Math.floor(aug.rng() * r) - aug.shift;
      const dx = Math.floor(aug.rng() * r) - aug.shift;
      shiftImage(src, h, w, c, dy, dx, aug.fill ?? 0, xb.subarray(k * per, (k + 1) * per));
    } else xb.set(src, k * per);
    yb[k] = ds.y![s];
  }
  return { x: tf.tensor(xb, [n, ...ds.shape]), y: tf.tensor1d(yb, 'int32') };
}

/** The learning rate at optimizer step `step` of `total` under a schedule (see TrainOptions.lrSchedule). */
export function learningRateAt(step: number, total: number, o: Pick<TrainOptions, 'learningRate' | 'lrSchedule' | 'minLearningRate' | 'warmupSteps'>): number {
  const lr = o.learningRate ?? 1e-3;
  if ((o.lrSchedule ?? 'constant') === 'constant') return lr;
  const min = o.minLearningRate ?? lr / 50;
  const warm = Math.max(0, o.warmupSteps ?? 0);
  if (step < warm) return (lr * (step + 1)) / warm;
  const span = Math.max(1, total - warm);
  const p = Math.min(1, (step - warm) / span);
  return min + (lr - min) * 0.5 * (1 + Math.cos(Math.PI * p));
}

export interface EvalResult {
  loss: number;
  accuracy: number;
  predictions: Int32Array;
  /** Model outputs, [N, K] row-major. */
  outputs: Float32Array;
}

/** Loss, accuracy and predictions over a dataset (inference mode). */
export async function evaluate(model: tfl.LayersModel, ds: Dataset, batchSize = 256): Promise<EvalResult> {
  await initBackend();
  const n = datasetSize(ds);
  const { kind, units } = lossKind(model);
  const preds = new Int32Array(n);
  const outs = new Float32Array(n * units);
  const idx = Array.from({ length: n }, (_, i) => i);
  let lossSum = 0;
  let correct = 0;
  for (let b = 0; b < n; b += batchSize) {
    const e = Math.min(n, b + batchSize);
    const r = tf.tidy(() => {
      const per = ds.shape.reduce((a, c) => a * c, 1);
      const x = tf.tensor(ds.x.subarray(b * per, e * per), [e - b, ...ds.shape]);
      const out = model.predict(x) as tf.Tensor;
      const o = out.dataSync() as Float32Array;
      if (!ds.y) return { o, l: 0, c: 0 };
      const { y } = gather(ds, idx, b, e);
      const { loss, correct } = batchLoss(kind, units, out, y, undefined);
      return { o, l: loss.dataSync()[0] * (e - b), c: correct.dataSync()[0] };
    });
    outs.set(r.o, b * units);
    lossSum += r.l;
    correct += r.c;
    for (let i = b; i < e; i++) {
      if (kind === 'sigmoid') preds[i] = outs[i] > 0.5 ? 1 : 0;
      else {
        let best = 0;
        for (let j = 1; j < units; j++) if (outs[i * units + j] > outs[i * units + best]) best = j;
        preds[i] = best;
      }
    }
  }
  return { loss: ds.y ? lossSum / n : NaN, accuracy: ds.y ? correct / n : NaN, predictions: preds, outputs: outs };
}

/** Freeze the first `fraction` of the weighted layers. Returns how many layers were frozen. */
export function freezeLayers(model: tfl.LayersModel, fraction: number): number {
  const weighted = model.layers.filter((l) => l.getWeights().length > 0);
  const k = Math.round(fraction * weighted.length);
  weighted.forEach((l, i) => (l.trainable = i >= k ? l.trainable : false));
  return k;
}

export async function trainModel(model: tfl.LayersModel, data: Dataset, opts: TrainOptions = {}): Promise<TrainResult> {
  const backend = await initBackend();
  checkData(model, data, 'training data');
  const epochs = opts.epochs ?? 1;
  const batchSize = opts.batchSize ?? 32;
  const seed = opts.seed ?? 0;
  let train = data;
  let val = opts.validationData;
  if (val) checkData(model, val, 'validation data');
  else if (opts.validationSplit && opts.validationSplit > 0) {
    const n = datasetSize(data);
    const [tr, va] = stratifiedSplit(data.y, n, [1 - opts.validationSplit, opts.validationSplit], seed + 17);
    const a = take(data.x, data.y, data.shape, tr);
    const b = take(data.x, data.y, data.shape, va);
    train = { ...data, ...a };
    val = { ...data, ...b, source: data.source + ' (validation)' };
  }
  if (opts.freezeFraction) freezeLayers(model, opts.freezeFraction);
  const { kind, units } = lossKind(model);
  const n = datasetSize(train);
  if (n === 0) fail('EF5001', 'no training samples', { file: data.source });
  // class weights
  let cw: Float32Array | undefined;
  if (opts.classWeights) {
    const k = kind === 'sigmoid' ? 2 : units;
    if (opts.classWeights === 'balanced') {
      const cnt = new Array(k).fill(0);
      for (const v of train.y!) cnt[v]++;
      cw = Float32Array.from(cnt, (c) => (c ? n / (k * c) : 0));
    } else {
      if (opts.classWeights.length !== k) fail('EF0006', `${opts.classWeights.length} class weights for ${k} classes`);
      cw = Float32Array.from(opts.classWeights);
    }
  }
  if (opts.lrSchedule !== undefined && opts.lrSchedule !== 'constant' && opts.lrSchedule !== 'cosine') fail('EF0006', `unknown learning-rate schedule '${String(opts.lrSchedule)}' (constant or cosine)`);
  if (opts.augment && !(opts.augment.shift >= 0 && Number.isInteger(opts.augment.shift))) fail('EF0006', `augmentation shift must be a whole number of pixels >= 0, got ${opts.augment.shift}`);
  const lr0 = opts.learningRate ?? 1e-3;
  const optName = opts.optimizer ?? 'adam';
  const optimizer: tf.Optimizer =
    optName === 'adam' ? tf.train.adam(lr0)
    : optName === 'sgd' ? tf.train.sgd(lr0)
    : optName === 'momentum' ? tf.train.momentum(lr0, 0.9)
    : optName === 'rmsprop' ? tf.train.rmsprop(lr0)
    : fail('EF0006', `unknown optimizer '${String(optName)}' (adam, sgd, momentum or rmsprop)`);
  // Adam and RMSProp read their (protected) learningRate on every step; SGD/momentum cache it as a tensor and
  // have setLearningRate. A schedule updates it before each step.
  let lrNow = lr0;
  const setLr = (v: number) => {
    if (v === lrNow) return;
    lrNow = v;
    const o = optimizer as unknown as { learningRate: number; setLearningRate?: (x: number) => void };
    if (o.setLearningRate) o.setLearningRate(v);
    else o.learningRate = v;
  };
  const augRng = makeRng(seed * 7919 + 3);
  const aug = opts.augment && opts.augment.shift > 0 ? { ...opts.augment, rng: augRng } : undefined;
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  if (vars.length === 0) fail('EF5003', 'every layer is frozen: nothing to train');
  const pruner = opts.prune ? new MagnitudePruner(model, opts.prune) : undefined;
  const batches = Math.ceil(n / batchSize);
  const totalSteps = Math.min(opts.maxSteps ?? Infinity, epochs * batches);
  const history: EpochLog[] = [];
  const t0 = performance.now();
  let step = 0;
  let best = Infinity;
  let bestWeights: tf.Tensor[] | undefined;
  let waited = 0;
  let stoppedEarly = false;
  const idx = Array.from({ length: n }, (_, i) => i);
  const restore = opts.earlyStopping?.restoreBest ?? true;
  for (let ep = 1; ep <= epochs && step < totalSteps; ep++) {
    const te = performance.now();
    shuffleInPlace(idx, makeRng(seed * 1009 + ep));
    let lossSum = 0;
    let correct = 0;
    let seen = 0;
    for (let b = 0; b < batches && step < totalSteps; b++) {
      const from = b * batchSize;
      const to = Math.min(n, from + batchSize);
      pruner?.beforeStep(step);
      setLr(learningRateAt(step, totalSteps, opts));
      const { x, y } = gather(train, idx, from, to, aug);
      const w = cw ? tf.gather(tf.tensor1d(cw), y) as tf.Tensor1D : undefined;
      let correctT: tf.Scalar | undefined;
      const lossT = optimizer.minimize(
        () => {
          const out = model.apply(x, { training: true }) as tf.Tensor;
          const r = batchLoss(kind, units, out, y, w);
          correctT = tf.keep(r.correct);
          return r.loss;
        },
        true,
        vars,
      );
      pruner?.apply();
      const l = lossT!.dataSync()[0];
      lossSum += l * (to - from);
      correct += correctT!.dataSync()[0];
      seen += to - from;
      tf.dispose([x, y, lossT!, correctT!, ...(w ? [w] : [])]);
      step++;
      if (!Number.isFinite(l)) fail('EF5003', `training diverged (loss ${l}) at epoch ${ep}, batch ${b + 1}`, { suggestion: 'lower the learning rate (--lr)' });
      const el = performance.now() - t0;
      opts.onProgress?.({
        phase: 'batch',
        epoch: ep,
        epochs,
        batch: b + 1,
        batches,
        loss: lossSum / seen,
        accuracy: correct / seen,
        sparsity: pruner?.current,
        elapsedMs: el,
        etaMs: (el / step) * (totalSteps - step),
      });
    }
    const log: EpochLog = { epoch: ep, loss: lossSum / seen, accuracy: correct / seen, seconds: (performance.now() - te) / 1000, sparsity: pruner?.current };
    if (val) {
      const r = await evaluate(model, val);
      log.valLoss = r.loss;
      log.valAccuracy = r.accuracy;
    }
    history.push(log);
    const el = performance.now() - t0;
    opts.onProgress?.({ phase: 'epoch', epoch: ep, epochs, batch: batches, batches, loss: log.loss, accuracy: log.accuracy, valLoss: log.valLoss, valAccuracy: log.valAccuracy, sparsity: pruner?.current, elapsedMs: el, etaMs: (el / step) * (totalSteps - step) });
    if (opts.earlyStopping) {
      const mon = log.valLoss ?? log.loss;
      if (mon < best - (opts.earlyStopping.minDelta ?? 0)) {
        best = mon;
        waited = 0;
        if (restore && !pruner) {
          tf.dispose(bestWeights ?? []);
          bestWeights = model.getWeights().map((t) => tf.keep(tf.clone(t)));
        }
      } else if (++waited >= opts.earlyStopping.patience) {
        stoppedEarly = true;
        break;
      }
    }
  }
  if (stoppedEarly && bestWeights) model.setWeights(bestWeights);
  tf.dispose(bestWeights ?? []);
  if (pruner) {
    pruner.apply();
    pruner.strip();
  }
  optimizer.dispose();
  const secs = history.reduce((a, h) => a + h.seconds, 0);
  return {
    history,
    steps: step,
    secondsPerEpoch: history.length ? secs / history.length : 0,
    stoppedEarly,
    sparsity: pruner ? sparsityReport(model) : undefined,
    backend,
  };
}
