// Pruning.
//
// Magnitude pruning follows the TensorFlow Model Optimization toolkit's recipe: a PolynomialDecay schedule
//   s(t) = s_f + (s_i − s_f) · (1 − p)^power,  p = clamp((t − t0) / (t1 − t0), 0, 1)
// updated every `frequency` steps between t0 and t1; at each update the smallest-magnitude weights of every
// prunable kernel (Dense, Conv2D, DepthwiseConv2D) are masked to reach s(t). Masks are re-applied after every
// optimizer step so pruned weights stay zero; "stripping" just drops the masks (the zeros are in the weights).
//
// Structured pruning removes whole conv output channels (smallest L1 norm) and the matching input channels of
// whatever reads them, then rebuilds a smaller model from the spec, so the exported model really shrinks.

import { fail } from '../diagnostics.js';
import { tf } from './backend.js';
import type * as tfl from '@tensorflow/tfjs-layers';
import { buildModel, type LayerSpec, type ModelSpec } from './spec.js';

export interface PruneSchedule {
  initialSparsity: number;
  finalSparsity: number;
  beginStep: number;
  /** -1 = never stop updating. */
  endStep: number;
  frequency: number;
  power: number;
  /**
   * Leave kernels with fewer weights than this dense (default 0 = prune every prunable layer). A first conv of a
   * few hundred weights costs little to keep and loses a lot when cut to 20 %; TF-MOT's guide also recommends
   * not pruning such layers.
   */
  minWeights?: number;
}

export function polynomialDecaySparsity(s: PruneSchedule, step: number): number {
  const span = s.endStep - s.beginStep;
  const p = span <= 0 ? 1 : Math.min(1, Math.max(0, (step - s.beginStep) / span));
  return s.finalSparsity + (s.initialSparsity - s.finalSparsity) * Math.pow(1 - p, s.power);
}

/** Whether masks are recomputed at `step` (TF-MOT's should_prune_in_step). */
export function isUpdateStep(s: PruneSchedule, step: number): boolean {
  return step >= s.beginStep && (s.endStep === -1 || step <= s.endStep) && (step - s.beginStep) % s.frequency === 0;
}

export interface ScheduleOptions {
  /** Fraction of the run after which pruning starts (default 0). */
  begin?: number;
  /** Fraction of the run at which the final sparsity is reached (default 0.75). */
  end?: number;
  /** Mask updates between begin and end (default 10). */
  updates?: number;
  /** See PruneSchedule.minWeights. */
  minWeights?: number;
}

/**
 * A schedule spread over a training run: by default begin at step 0 and reach the final sparsity at 75 % of the
 * steps. Starting later (`begin`) lets the network learn before weights are cut; the steps after `end` fine-tune
 * the remaining weights under fixed masks.
 */
export function defaultSchedule(initial: number, final: number, totalSteps: number, o: ScheduleOptions = {}): PruneSchedule {
  if (!(initial >= 0 && initial < 1 && final >= initial && final < 1)) fail('EF0006', `pruning sparsities must satisfy 0 <= initial <= final < 1, got ${initial},${final}`);
  const b = o.begin ?? 0;
  const e = o.end ?? 0.75;
  if (!(b >= 0 && e > b && e <= 1)) fail('EF0006', `pruning must satisfy 0 <= begin < end <= 1 (fractions of the run), got ${b},${e}`);
  const beginStep = Math.round(totalSteps * b);
  const endStep = Math.max(beginStep + 1, Math.round(totalSteps * e));
  const frequency = Math.max(1, Math.floor((endStep - beginStep) / (o.updates ?? 10)));
  return { initialSparsity: initial, finalSparsity: final, beginStep, endStep, frequency, power: 3, ...(o.minWeights ? { minWeights: o.minWeights } : {}) };
}

const PRUNABLE = new Set(['Dense', 'Conv2D', 'DepthwiseConv2D']);

export interface LayerSparsity {
  layer: string;
  weights: number;
  zeros: number;
  sparsity: number;
}

/** Per-layer share of exactly-zero kernel weights. */
export function sparsityReport(model: tfl.LayersModel): LayerSparsity[] {
  const out: LayerSparsity[] = [];
  for (const l of model.layers) {
    if (!PRUNABLE.has(l.getClassName())) continue;
    const k = l.getWeights()[0].dataSync();
    let z = 0;
    for (const v of k) if (v === 0) z++;
    out.push({ layer: l.name, weights: k.length, zeros: z, sparsity: z / k.length });
  }
  return out;
}

export class MagnitudePruner {
  private targets: { layer: string; variable: tf.Variable }[] = [];
  private masks = new Map<string, tf.Tensor>();
  current = 0;

  constructor(
    model: tfl.LayersModel,
    readonly schedule: PruneSchedule,
  ) {
    for (const l of model.layers) {
      if (!PRUNABLE.has(l.getClassName()) || !l.trainable) continue;
      const lv = (l as unknown as { trainableWeights: { read(): tf.Variable }[] }).trainableWeights[0];
      if (lv && lv.read().size < (schedule.minWeights ?? 0)) continue;
      if (lv) this.targets.push({ layer: l.name, variable: lv.read() });
    }
  }

  /** Call before the optimizer step `step`: recompute masks when scheduled. */
  beforeStep(step: number): void {
    if (!isUpdateStep(this.schedule, step)) return;
    const s = polynomialDecaySparsity(this.schedule, step);
    this.current = s;
    for (const t of this.targets) {
      const w = t.variable.dataSync();
      const k = Math.floor(s * w.length);
      const mask = new Float32Array(w.length).fill(1);
      if (k > 0) {
        const order = Array.from({ length: w.length }, (_, i) => i).sort((a, b) => Math.abs(w[a]) - Math.abs(w[b]) || a - b);
        for (let i = 0; i < k; i++) mask[order[i]] = 0;
      }
      this.masks.get(t.layer)?.dispose();
      this.masks.set(t.layer, tf.keep(tf.tensor(mask, t.variable.shape)));
    }
    this.apply();
  }

  /** Re-apply the masks (after every optimizer step). */
  apply(): void {
    tf.tidy(() => {
      for (const t of this.targets) {
        const m = this.masks.get(t.layer);
        if (m) t.variable.assign(tf.mul(t.variable, m));
      }
    });
  }

  /** Drop the masks; the pruned zeros stay in the weights. */
  strip(): void {
    for (const m of this.masks.values()) m.dispose();
    this.masks.clear();
  }
}

// ---- structured (channel) pruning -------------------------------------------------------------------------

function sliceAxis(data: Float32Array, shape: number[], axis: number, keep: number[]): { data: Float32Array; shape: number[] } {
  const outer = shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const n = shape[axis];
  const out = new Float32Array(outer * keep.length * inner);
  for (let o = 0; o < outer; o++)
    keep.forEach((c, j) => out.set(data.subarray((o * n + c) * inner, (o * n + c + 1) * inner), (o * keep.length + j) * inner));
  const s = shape.slice();
  s[axis] = keep.length;
  return { data: out, shape: s };
}

export interface StructuredReport {
  /** layer index in the spec → [channels before, after] */
  channels: { layer: number; name: string; before: number; after: number }[];
}

/**
 * Remove the fraction `ratio` of output channels (lowest L1 norm) from every conv2d of a sequential spec model,
 * with the matching slices of the layers that read them (batchnorm, depthwise, the next conv2d's input
 * channels, the dense rows after flatten / global pooling). Returns the smaller model and its spec.
 */
export function structuredPrune(model: tfl.LayersModel, spec: ModelSpec, ratio: number, seed = 0): { model: tfl.LayersModel; spec: ModelSpec; report: StructuredReport } {
  if (spec.base) fail('EF5003', 'structured pruning supports sequential specs only (not a MobileNetV2 base)');
  if (!(ratio >= 0 && ratio < 1)) fail('EF0006', `structured pruning ratio must be in [0, 1), got ${ratio}`);
  const layers = model.layers;
  if (layers.length !== spec.layers.length) fail('EF9001', 'model and spec disagree on the layer count');
  const weights = layers.map((l) => l.getWeights().map((t) => ({ data: t.dataSync() as Float32Array, shape: t.shape as number[] })));
  const newSpecLayers: LayerSpec[] = spec.layers.map((l) => ({ ...l }) as LayerSpec);
  const report: StructuredReport = { channels: [] };
  let sel: number[] | undefined; // kept channel indices flowing forward
  let flatSpatial = 0; // spatial size at a flatten, for dense row selection
  let selChannels = 0; // channel count before selection
  spec.layers.forEach((l, i) => {
    const w = weights[i];
    switch (l.type) {
      case 'conv2d': {
        if (sel) w[0] = sliceAxis(w[0].data, w[0].shape, 2, sel); // input channels
        const [kh, kw, ci, co] = w[0].shape;
        const l1 = new Float64Array(co);
        for (let p = 0; p < kh * kw * ci; p++) for (let c = 0; c < co; c++) l1[c] += Math.abs(w[0].data[p * co + c]);
        const keepN = Math.max(1, Math.round(co * (1 - ratio)));
        const keep = Array.from({ length: co }, (_, c) => c)
          .sort((a, b) => l1[b] - l1[a] || a - b)
          .slice(0, keepN)
          .sort((a, b) => a - b);
        w[0] = sliceAxis(w[0].data, w[0].shape, 3, keep);
        if (w[1]) w[1] = sliceAxis(w[1].data, w[1].shape, 0, keep);
        (newSpecLayers[i] as { filters: number }).filters = keepN;
        report.channels.push({ layer: i, name: layers[i].name, before: co, after: keepN });
        sel = keep;
        selChannels = co;
        break;
      }
      case 'depthwise':
      case 'batchnorm':
        if (sel) {
          const ax = l.type === 'depthwise' ? 2 : 0;
          weights[i] = w.map((t, j) => (l.type === 'depthwise' && j === 0 ? sliceAxis(t.data, t.shape, ax, sel!) : sliceAxis(t.data, t.shape, 0, sel!)));
        }
        break;
      case 'flatten': {
        const inShape = (layers[i].input as tfl.SymbolicTensor).shape;
        flatSpatial = inShape.slice(1, -1).reduce((a: number, b) => a * (b ?? 1), 1);
        if (sel) {
          const s = sel;
          const c = selChannels;
          sel = [];
          for (let p = 0; p < flatSpatial; p++) for (const ch of s) sel.push(p * c + ch);
        }
        break;
      }
      case 'dense':
        if (sel) w[0] = sliceAxis(w[0].data, w[0].shape, 0, sel);
        sel = undefined;
        break;
      default:
        break; // pools, gap, dropout, activation pass channels through
    }
  });
  const newSpec: ModelSpec = { ...spec, layers: newSpecLayers };
  const m = buildModel(newSpec, { seed });
  tf.tidy(() => m.layers.forEach((l, i) => l.setWeights(weights[i].map((t) => tf.tensor(t.data, t.shape)))));
  return { model: m, spec: newSpec, report };
}
