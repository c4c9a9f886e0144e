// Quantization reports: how far the integer model is from the float one, per layer and end to end.
//   layerErrors  per quantized tensor: SQNR (dB) and max |float − dequantized int| over a sample set, matching
//                tensors between the float graph and the quantized graph by name (quantization keeps names)
//   evaluate     on a labelled set: float accuracy, quantized accuracy, top-1 agreement, confusion matrices
// Rendered as text tables here; the JSON form is the report object itself.

import { diag, fail, type Diagnostic } from '../diagnostics.js';
import { allocArray, castArray, isIntegerDType } from '../ir/dtype.js';
import type { Graph, Tensor } from '../ir/graph.js';
import type { Value } from '../ops/types.js';
import { prepareFloat, runFloat } from '../sim/float.js';
import { runInt } from '../sim/int.js';
import { rha } from '../arith/fixedpoint.js';

export interface IntRunner {
  (g: Graph, inputs: Value[], opts?: { keepAll?: boolean }): { outputs: Value[]; values?: Map<number, Value> };
}

/** The integer simulator's runInt (src/sim/int.ts); a parameter so tests may substitute another executor. */
export async function loadIntRunner(): Promise<IntRunner> {
  return runInt;
}

/**
 * How host data for a graph input is read. `raw`: the values are the input tensor's stored integers (int8 −128..127,
 * …), fed as they are. `real`: the values are real numbers, quantized with the input's scale and zero point.
 */
export type InputKind = 'raw' | 'real';
export const INPUT_KINDS: readonly InputKind[] = ['raw', 'real'];

export interface InputInterpretation {
  kind: InputKind;
  /** Why, in words, for the user: "array dtype int8 = the input's dtype". */
  reason: string;
}

/**
 * THE input rule, used by every command that feeds data to a model (run, eval, build samples, verify): an array
 * whose dtype equals a quantized input's integer dtype holds raw quantized values; a float array holds real values
 * (quantized on the way in); any other integer dtype is ambiguous and needs `kind`. `kind` overrides the rule;
 * asking for raw values with a float array, or for a float model, is an EF1011 error.
 */
export function interpretInput(v: Value, t: Tensor, kind?: InputKind): InputInterpretation {
  const quantized = t.quant !== undefined && isIntegerDType(t.dtype);
  if (!quantized) {
    if (kind === 'raw')
      fail('EF1011', `input '${t.name}' is ${t.dtype} without quantization parameters: it takes real values, not raw quantized ones`, {
        suggestion: 'drop --input-kind raw (or use --input-kind real)',
      });
    return { kind: 'real', reason: `the model input is ${t.dtype}${isIntegerDType(t.dtype) ? '' : ' (float model)'}` };
  }
  if (kind === 'raw') {
    if (!isIntegerDType(v.dtype))
      fail('EF1011', `--input-kind raw, but the data for input '${t.name}' is a ${v.dtype} array; raw quantized values are integers`, {
        suggestion: `give a ${t.dtype} array, or use --input-kind real to quantize these real values`,
      });
    return { kind, reason: '--input-kind raw' };
  }
  if (kind === 'real') return { kind, reason: '--input-kind real' };
  if (v.dtype === t.dtype) return { kind: 'raw', reason: `array dtype ${v.dtype} = the model input's dtype` };
  if (!isIntegerDType(v.dtype)) return { kind: 'real', reason: `${v.dtype} array = real values` };
  return fail('EF1011', `input '${t.name}' is ${t.dtype} (quantized) but the data is a ${v.dtype} array: raw quantized values or real values?`, {
    suggestion: `say which with --input-kind raw (values must fit ${t.dtype}) or --input-kind real (values are quantized), or convert the array to ${t.dtype} or float32`,
  });
}

/**
 * Convert host data for graph input `t` to the input's dtype following `interpretInput`: raw values are checked
 * against the dtype's range and passed through; real values are quantized as clamp(rha(fround(x/s)) + zp).
 */
export function quantizeInput(v: Value, t: Tensor, kind?: InputKind): Value {
  const how = interpretInput(v, t, kind);
  if (!t.quant || !isIntegerDType(t.dtype)) {
    if (v.dtype === t.dtype) return v;
    if (isIntegerDType(t.dtype) && !isIntegerDType(v.dtype))
      fail('EF3001', `input '${t.name}' is ${t.dtype} but has no quantization parameters to convert float data with`);
    return { ...v, dtype: t.dtype, data: castArray(v.data, t.dtype) };
  }
  const [lo, hi] = t.dtype === 'int16' ? [-32768, 32767] : t.dtype === 'uint8' ? [0, 255] : t.dtype === 'int32' ? [-2147483648, 2147483647] : [-128, 127];
  if (how.kind === 'raw') {
    if (v.dtype === t.dtype) return v;
    for (let i = 0; i < v.data.length; i++) {
      const x = v.data[i];
      if (!Number.isInteger(x) || x < lo || x > hi)
        fail('EF1011', `raw value ${x} at index ${i} does not fit input '${t.name}' (${t.dtype}: ${lo}..${hi})`, {
          suggestion: 'raw values are the stored integers; use --input-kind real if these are real values',
        });
    }
    return { dtype: t.dtype, shape: v.shape, data: castArray(v.data, t.dtype) };
  }
  const s = t.quant.scale[0];
  const zp = t.quant.zeroPoint[0];
  const out = allocArray(t.dtype, v.data.length);
  for (let i = 0; i < v.data.length; i++) {
    const q = rha(Math.fround(v.data[i] / s)) + zp;
    out[i] = q < lo ? lo : q > hi ? hi : q;
  }
  return { dtype: t.dtype, shape: v.shape, data: out };
}

/** Dequantize a value with a tensor's (per-tensor or per-channel) quantization record. */
export function dequantize(v: Value, t: Tensor): Float32Array {
  const out = new Float32Array(v.data.length);
  const q = t.quant;
  if (!q) {
    out.set(v.data);
    return out;
  }
  if (q.scale.length === 1) {
    const s = q.scale[0];
    const zp = q.zeroPoint[0];
    for (let i = 0; i < out.length; i++) out[i] = (v.data[i] - zp) * s;
    return out;
  }
  let inner = 1;
  for (let i = q.axis + 1; i < v.shape.length; i++) inner *= v.shape[i];
  const C = v.shape[q.axis];
  for (let i = 0; i < out.length; i++) {
    const c = Math.floor(i / inner) % C;
    out[i] = (v.data[i] - q.zeroPoint[c]) * q.scale[c];
  }
  return out;
}

export interface LayerError {
  tensor: string;
  /** Producing node in the quantized graph and its op. */
  node: string;
  op: string;
  dtype: string;
  scale: number;
  zeroPoint: number;
  /** 10·log10(Σ f² / Σ (f − dq)²); Infinity when exact. */
  sqnrDb: number;
  maxAbsErr: number;
  /** Largest |f| seen (context for maxAbsErr). */
  maxAbs: number;
}

/** SQNR (dB) below which a layer's quantized output is reported as carrying no signal. */
export const NO_SIGNAL_DB = 1;

/**
 * Warnings (EF3005) for layers whose quantized output has an SQNR of about 0 dB or less against float: the noise
 * is as large as the signal, so everything after them is noise (degenerate scales, or calibration data that does
 * not match the model). Layers whose float output is all zero have no signal to lose and are skipped.
 */
export function sqnrWarnings(r: LayerReport, file?: string): Diagnostic[] {
  return r.layers
    .filter((l) => l.maxAbs > 0 && !(l.sqnrDb >= NO_SIGNAL_DB))
    .map((l) =>
      diag('EF3005', `${l.op} '${l.node}' output '${l.tensor}' has an SQNR of ${l.sqnrDb.toFixed(1)} dB after quantization: its int8 values carry almost none of the float signal`, {
        file,
        node: l.node,
        severity: 'warning',
        notes: [`scale ${l.scale}, zero point ${l.zeroPoint}, max |float| ${l.maxAbs}, max |error| ${l.maxAbsErr}`],
        suggestion: 'check the calibration data (range, scaling: --input-scale/--input-offset) and the layer\'s weights',
      }),
    );
}

export interface LayerReport {
  samples: number;
  layers: LayerError[];
}

/** Per-layer error of the quantized graph against the float graph, over float input samples. */
export async function layerErrors(floatGraph: Graph, qGraph: Graph, samples: Value[][], runInt?: IntRunner): Promise<LayerReport> {
  const run = runInt ?? (await loadIntRunner());
  const fp = prepareFloat(floatGraph);
  const floatByName = new Map(floatGraph.tensors.map((t) => [t.name, t.id]));
  const tracked: { qId: number; fId: number; node: string; op: string }[] = [];
  for (const n of qGraph.nodes)
    n.outputs.forEach((o) => {
      const t = qGraph.tensors[o];
      const fId = floatByName.get(t.name);
      if (t.quant && fId !== undefined && !floatGraph.tensors[fId].data) tracked.push({ qId: o, fId, node: n.name, op: n.op });
    });
  const acc = tracked.map(() => ({ sig: 0, noise: 0, maxErr: 0, maxAbs: 0 }));
  for (const s of samples) {
    const f = runFloat(fp, s, { keepAll: true }).values!;
    const qIn = qGraph.inputs.map((id, k) => quantizeInput(s[k], qGraph.tensors[id]));
    const q = run(qGraph, qIn, { keepAll: true }).values;
    if (!q) fail('EF9001', 'the integer simulator did not return intermediate values');
    tracked.forEach((tr, k) => {
      const fv = f.get(tr.fId);
      const qv = q.get(tr.qId);
      if (!fv || !qv) return;
      const dq = dequantize(qv, qGraph.tensors[tr.qId]);
      const a = acc[k];
      for (let i = 0; i < dq.length; i++) {
        const x = fv.data[i];
        const e = x - dq[i];
        a.sig += x * x;
        a.noise += e * e;
        const ae = Math.abs(e);
        if (ae > a.maxErr) a.maxErr = ae;
        if (Math.abs(x) > a.maxAbs) a.maxAbs = Math.abs(x);
      }
    });
  }
  const layers = tracked.map((tr, k) => {
    const t = qGraph.tensors[tr.qId];
    const a = acc[k];
    return {
      tensor: t.name,
      node: tr.node,
      op: tr.op,
      dtype: t.dtype,
      scale: t.quant!.scale[0],
      zeroPoint: t.quant!.zeroPoint[0],
      sqnrDb: a.noise === 0 ? Infinity : 10 * Math.log10(a.sig / a.noise),
      maxAbsErr: a.maxErr,
      maxAbs: a.maxAbs,
    };
  });
  return { samples: samples.length, layers };
}

export interface AccuracyReport {
  samples: number;
  classes: number;
  /** Fraction of samples whose float top-1 equals the label (undefined without labels). */
  floatAccuracy?: number;
  quantAccuracy?: number;
  /** Fraction of samples where float and quantized top-1 agree. */
  agreement?: number;
  disagreements?: number;
  /** confusion[label][predicted], for the quantized model when there is one, else the float model. */
  confusion?: number[][];
  floatConfusion?: number[][];
  /** With EvalOptions.perSample: top-1 class and its score per sample (float and/or quantized model). */
  perSample?: { index: number; label?: number; floatPred?: number; floatScore?: number; quantPred?: number; quantScore?: number }[];
}

function argmax(d: ArrayLike<number>): number {
  let b = 0;
  for (let i = 1; i < d.length; i++) if (d[i] > d[b]) b = i;
  return b;
}

export interface EvalOptions {
  labels?: ArrayLike<number>;
  classes?: number;
  runInt?: IntRunner;
  onProgress?: (done: number) => void;
  /** Record every sample's prediction (AccuracyReport.perSample). */
  perSample?: boolean;
}

/** Top-1 accuracy / agreement / confusion of the float graph and (optionally) the quantized graph. */
export async function evaluate(floatGraph: Graph | undefined, qGraph: Graph | undefined, samples: Value[][], opts: EvalOptions = {}): Promise<AccuracyReport> {
  if (!floatGraph && !qGraph) fail('EF9001', 'evaluate needs a graph');
  const run = qGraph ? (opts.runInt ?? (await loadIntRunner())) : undefined;
  const fp = floatGraph ? prepareFloat(floatGraph) : undefined;
  const labels = opts.labels;
  const outLen = (g: Graph) => g.tensors[g.outputs[0]].shape.reduce((a, b) => a * b, 1);
  const C = opts.classes ?? Math.max(outLen((floatGraph ?? qGraph)!), labels ? Math.max(...Array.from(labels)) + 1 : 0);
  const conf = () => Array.from({ length: C }, () => new Array<number>(C).fill(0));
  const fConf = conf();
  const qConf = conf();
  let fOk = 0;
  let qOk = 0;
  let agree = 0;
  const per: NonNullable<AccuracyReport['perSample']> = [];
  samples.forEach((s, k) => {
    const y = labels ? labels[k] : undefined;
    let fTop: number | undefined;
    let qTop: number | undefined;
    const row: NonNullable<AccuracyReport['perSample']>[number] = { index: k, label: y };
    if (fp) {
      const fo = runFloat(fp, s).outputs[0].data;
      fTop = argmax(fo);
      row.floatPred = fTop;
      row.floatScore = fo[fTop];
      if (y !== undefined) {
        if (fTop === y) fOk++;
        if (y < C && fTop < C) fConf[y][fTop]++;
      }
    }
    if (qGraph && run) {
      const qIn = qGraph.inputs.map((id, j) => quantizeInput(s[j], qGraph.tensors[id]));
      const out = run(qGraph, qIn).outputs[0];
      const qo = dequantize(out, qGraph.tensors[qGraph.outputs[0]]);
      qTop = argmax(qo);
      row.quantPred = qTop;
      row.quantScore = qo[qTop];
      if (y !== undefined) {
        if (qTop === y) qOk++;
        if (y < C && qTop < C) qConf[y][qTop]++;
      }
    }
    if (fTop !== undefined && qTop !== undefined && fTop === qTop) agree++;
    if (opts.perSample) per.push(row);
    opts.onProgress?.(k + 1);
  });
  const n = samples.length;
  const r: AccuracyReport = { samples: n, classes: C };
  if (labels && fp) r.floatAccuracy = fOk / n;
  if (labels && qGraph) r.quantAccuracy = qOk / n;
  if (fp && qGraph) {
    r.agreement = agree / n;
    r.disagreements = n - agree;
  }
  if (opts.perSample) r.perSample = per;
  if (labels) {
    r.confusion = qGraph ? qConf : fConf;
    if (qGraph && fp) r.floatConfusion = fConf;
  }
  return r;
}

/** Fixed-width text table (column alignment per column). */
function table(rows: string[][], align: ('l' | 'r')[] = []): string {
  const w: number[] = [];
  for (const r of rows) r.forEach((c, i) => (w[i] = Math.max(w[i] ?? 0, c.length)));
  return rows.map((r) => r.map((c, i) => (align[i] === 'r' ? c.padStart(w[i]) : c.padEnd(w[i]))).join('  ').trimEnd()).join('\n');
}

const pct = (x: number | undefined) => (x === undefined ? '-' : `${(100 * x).toFixed(2)}%`);
const db = (x: number) => (x === Infinity ? 'exact' : x.toFixed(1));
const num = (x: number) => (x === 0 ? '0' : Math.abs(x) >= 0.01 && Math.abs(x) < 1e4 ? x.toFixed(4) : x.toExponential(3));

export function renderLayerReport(r: LayerReport): string {
  const rows = [['tensor', 'op', 'dtype', 'scale', 'zp', 'SQNR dB', 'max |err|', 'max |x|']];
  for (const l of r.layers) rows.push([l.tensor, l.op, l.dtype, num(l.scale), String(l.zeroPoint), db(l.sqnrDb), num(l.maxAbsErr), num(l.maxAbs)]);
  return `per-layer error over ${r.samples} sample(s) (float vs dequantized integer):\n` + table(rows, ['l', 'l', 'l', 'r', 'r', 'r', 'r', 'r']);
}

export function renderAccuracyReport(r: AccuracyReport): string {
  const lines = [`samples: ${r.samples}`];
  if (r.floatAccuracy !== undefined) lines.push(`float accuracy:      ${pct(r.floatAccuracy)}`);
  if (r.quantAccuracy !== undefined) lines.push(`quantized accuracy:  ${pct(r.quantAccuracy)}`);
  if (r.agreement !== undefined) lines.push(`top-1 agreement:     ${pct(r.agreement)} (${r.disagreements} disagreement(s))`);
  if (r.confusion) {
    const C = r.confusion.length;
    const rows = [['label\\pred', ...Array.from({ length: C }, (_, i) => String(i))]];
    r.confusion.forEach((row, i) => rows.push([String(i), ...row.map(String)]));
    lines.push(`confusion matrix (${r.quantAccuracy !== undefined ? 'quantized' : 'float'}; rows = label, columns = prediction):`);
    lines.push(table(rows, ['l', ...Array.from({ length: C }, () => 'r' as const)]));
  }
  return lines.join('\n');
}

/** JSON-safe copy (Infinity SQNR becomes null). */
export function reportJson<T>(r: T): unknown {
  return JSON.parse(JSON.stringify(r, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v)));
}
