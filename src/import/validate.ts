// One validation of every imported graph, whatever the format (called by loadModel after the importer): the
// values a model file carries that later stages trust. Quantization records must have finite, positive, normal
// scales and integer zero points inside the tensor's dtype range (a TFLite int8 zero point of 1000 would build
// and "verify" bit-exactly while computing garbage); a graph must have outputs; non-finite float weights are a
// warning (the float model may still run; quantization refuses them, src/quant/ptq.ts).

import { diag, fail, type Diagnostic } from '../diagnostics.js';
import { dtypeRange } from '../ir/dtype.js';
import type { Graph, Tensor } from '../ir/graph.js';

/** Smallest positive normal float32. */
const MIN_NORMAL = 2 ** -126;
/** Largest scale accepted (any real model is far below; larger ones overflow the fixed-point multipliers). */
const MAX_SCALE = 2 ** 64;

function userOf(g: Graph, id: number): string | undefined {
  return g.nodes.find((n) => n.inputs.includes(id) || n.outputs.includes(id))?.name;
}

/** Check one tensor's quantization record; throws EF2012 naming the file, tensor and node. */
export function validateQuantRecord(g: Graph, t: Tensor, file?: string): void {
  const q = t.quant;
  if (!q) return;
  const where = { file, node: userOf(g, t.id) };
  const bad = (what: string): never =>
    fail('EF2012', `tensor '${t.name}' (${t.dtype}) has ${what}`, {
      ...where,
      suggestion: 'the model file is corrupted or was written by a broken converter; re-export it',
    });
  if (!Array.isArray(q.scale) || !Array.isArray(q.zeroPoint)) bad('a malformed quantization record');
  for (let i = 0; i < q.scale.length; i++) {
    const s = q.scale[i];
    if (typeof s !== 'number' || !Number.isFinite(s) || !(s > 0) || s < MIN_NORMAL || s > MAX_SCALE)
      bad(`quantization scale ${s}${q.scale.length > 1 ? ` (channel ${i})` : ''}: scales must be finite, positive and normal (between 2^-126 and 2^64)`);
  }
  const [lo, hi] = t.dtype === 'float32' || t.dtype === 'float64' ? [-(2 ** 31), 2 ** 31 - 1] : dtypeRange(t.dtype);
  for (let i = 0; i < q.zeroPoint.length; i++) {
    const z = q.zeroPoint[i];
    if (typeof z !== 'number' || !Number.isInteger(z) || z < lo || z > hi)
      bad(`zero point ${z}${q.zeroPoint.length > 1 ? ` (channel ${i})` : ''}, outside the ${t.dtype} range [${lo}, ${hi}]`);
  }
  if (q.scale.length > 1 || q.zeroPoint.length > 1) {
    const ax = q.axis;
    if (!Number.isInteger(ax) || ax < 0 || ax >= Math.max(1, t.shape.length)) bad(`a per-channel quantization axis ${ax} outside its ${t.shape.length} dimensions`);
    const n = t.shape[ax];
    if (n >= 0 && ((q.scale.length !== 1 && q.scale.length !== n) || (q.zeroPoint.length > 1 && q.zeroPoint.length !== q.scale.length)))
      bad(`${q.scale.length} scales and ${q.zeroPoint.length} zero points for ${n} channels`);
  }
}

/** Validate an imported graph; returns warnings (NaN or infinite float weights), throws on invalid data. */
export function validateImport(g: Graph, file?: string): Diagnostic[] {
  if (!g.outputs.length)
    fail('EF2001', 'the model declares no outputs', { file, suggestion: 'the file is corrupted or incomplete; a model needs at least one output' });
  const warnings: Diagnostic[] = [];
  for (const t of g.tensors) {
    validateQuantRecord(g, t, file);
    if (t.data && (t.dtype === 'float32' || t.dtype === 'float64')) {
      const d = t.data as Float32Array;
      let bad = 0;
      for (let i = 0; i < d.length; i++) if (!Number.isFinite(d[i])) bad++;
      if (bad)
        warnings.push(
          diag('EF2012', `weight '${t.name}' holds ${bad} NaN or infinite value(s); the float model's outputs will be NaN and it cannot be quantized`, {
            file,
            node: userOf(g, t.id),
            severity: 'warning',
            suggestion: 'check the training run that produced these weights',
          }),
        );
    }
  }
  return warnings;
}

/** First non-finite float constant of a graph (for stages that must refuse them), or undefined. */
export function nonFiniteWeight(g: Graph): { tensor: Tensor; node?: string; value: number } | undefined {
  for (const t of g.tensors) {
    if (!t.data || (t.dtype !== 'float32' && t.dtype !== 'float64')) continue;
    const d = t.data as Float32Array;
    for (let i = 0; i < d.length; i++) if (!Number.isFinite(d[i])) return { tensor: t, node: userOf(g, t.id), value: d[i] };
  }
  return undefined;
}
