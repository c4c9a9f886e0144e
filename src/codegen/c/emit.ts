// C emitter: a prepared int8 graph (node.qparams filled in by src/quant/prepare.ts) → a C library:
//   NAME.h            public API: shapes, quantization, arena size, NAME_invoke, float wrappers
//   NAME.c            the static arena, the memory plan as a comment table, one kernel call per layer
//   NAME_weights.c    const weights and folded biases (stay in flash)
//   espforge_kernels.{c,h}  the portable kernels this model uses, prefixed with NAME_
// The emitter only reads node.qparams (STYLE.md 6): it never recomputes a multiplier. What it does compute
// at generation time is layout work and exact integer folding (bias - zp_in * sum(w), depthwise filter
// re-layout), which changes no arithmetic result.

import { EspforgeError, diag, fail, type Diagnostic } from '../../diagnostics.js';
import { shapeSize } from '../../ir/dtype.js';
import type { Graph, Node, Tensor } from '../../ir/graph.js';
import { getOp, noIntegerKernelAdvice, normalizeAttrs } from '../../ops/index.js';
import { planMemory, type MemoryPlan } from '../../plan/planner.js';
import { banner, cArrayBody, commentSafe, sanitizeName, type Provenance } from '../common/cwriter.js';
import { kernelFiles } from './kernels.js';
import { INT8_ONLY_OPS } from '../../quant/ptq.js';
import { SIGMOID_TABLE_UINT16 } from '../../sim/int/lut16.js';
import { emitLstm } from './lstm.js';

export interface EmitOptions extends Provenance {
  /** Symbol prefix (sanitised); default from the model file stem. */
  name?: string;
  /** A target back end (e.g. ESP-NN, src/codegen/espnn/) that takes some layers instead of the portable kernels. */
  backend?: LayerBackend;
}

/** What a target back end gets to emit one layer: arena pointers and its planned scratch block. */
export interface BackendCtx {
  P: string;
  /** Symbol stem of this layer's constants. */
  L: string;
  ptr: (id: number, cast?: string) => string;
  cptr: (id: number, cast?: string) => string;
  scratchOffset?: number;
  scratchSize?: number;
  /** Do two tensors share their arena bytes (in-place plan)? */
  samePlace: (a: number, b: number) => boolean;
}

/** A target back end selected per layer; layers it does not take get the portable kernel. */
export interface LayerBackend {
  name: string;
  takes(i: number): boolean;
  /** Arena scratch bytes the back end needs for layer i (0 = none). */
  scratchBytes(i: number): number;
  /** Why the back end left layer i to the portable kernel (for the report), if it considered it. */
  note?(i: number): string | undefined;
  /** Headers NAME.c includes. */
  includes: string[];
  emit(n: Node, i: number, ctx: BackendCtx): LayerCode;
}

export interface LayerInfo {
  index: number;
  op: string;
  name: string;
  kernel: string;
  macs: number;
  weightBytes: number;
  /** Why a target back end left this layer to the portable kernel. */
  backendNote?: string;
}

export interface EmitResult {
  prefix: string;
  files: Record<string, string>;
  plan: MemoryPlan;
  layers: LayerInfo[];
  weightBytes: number;
  /** Bytes of the static const parameter tables in NAME.c (requantization tables, broadcast descriptions...). */
  tableBytes: number;
  kernels: string[];
}

type QP = Record<string, number | number[]>;

const INT32_MIN = -2147483648;

function num(q: QP | undefined, k: string, node: Node): number {
  const v = q?.[k];
  if (typeof v === 'number') return v;
  if (Array.isArray(v) && v.length === 1) return v[0];
  return fail('EF3001', `node '${node.name}' (${node.op}) has no integer parameter '${k}'`, {
    node: node.name,
    suggestion: 'prepare the graph for integer execution first (prepareIntGraph)',
  });
}

function arr(q: QP | undefined, k: string, n: number, node: Node): number[] {
  const v = q?.[k];
  const a = typeof v === 'number' ? [v] : v;
  if (!Array.isArray(a)) return fail('EF3001', `node '${node.name}' (${node.op}) has no integer parameter '${k}'`, { node: node.name });
  if (a.length === 1 && n > 1) return new Array<number>(n).fill(a[0]);
  if (a.length !== n) fail('EF3001', `node '${node.name}': '${k}' has ${a.length} entries, expected ${n}`, { node: node.name });
  return a;
}

function checkMult(ms: number[], node: Node) {
  for (const m of ms)
    if (!Number.isInteger(m) || m < 0 || m > 2147483647 || m === INT32_MIN)
      fail('EF9001', `node '${node.name}': multiplier ${m} is outside [0, 2^31)`, { node: node.name });
}

const ctype = (t: Tensor) =>
  t.dtype === 'int8' ? 'int8_t' : t.dtype === 'uint8' ? 'uint8_t' : t.dtype === 'int16' ? 'int16_t' : t.dtype === 'int32' ? 'int32_t' : t.dtype === 'float32' ? 'float' : '';

const shp = (t: Tensor) => `[${t.shape.join(',')}]`;
const qstr = (t: Tensor) =>
  t.quant ? (t.quant.scale.length === 1 ? `s=${fmtF(t.quant.scale[0])} zp=${t.quant.zeroPoint[0]}` : `per-channel(${t.quant.scale.length}) axis ${t.quant.axis}`) : 'no quant';

function fmtF(x: number): string {
  return Number.isFinite(x) ? Number(x.toPrecision(9)).toString() : String(x);
}

/** C float literal that reads back as exactly this float32. */
function floatLit(x: number): string {
  const f = Math.fround(x);
  for (let p = 6; p <= 12; p++) {
    const s = f.toPrecision(p);
    if (Math.fround(Number(s)) === f) return (/[.eE]/.test(s) ? s : s + '.0') + 'f';
  }
  return f.toPrecision(17) + 'f';
}

export interface ConstArray {
  sym: string;
  ctype: 'int8_t' | 'int32_t' | 'uint8_t' | 'int16_t' | 'uint16_t' | 'int64_t';
  data: ArrayLike<number>;
  comment: string;
  /** In NAME_weights.c (flash, extern) or in NAME.c (static const qparams). */
  where: 'weights' | 'model';
  /** One array for the whole model (a fixed table): emitted once however many layers use it. */
  shared?: boolean;
}

const CTYPE_BYTES: Record<ConstArray['ctype'], number> = { int8_t: 1, uint8_t: 1, int16_t: 2, uint16_t: 2, int32_t: 4, int64_t: 8 };

/** Ops whose C kernels also take int16 activations (16x8: int8 weights, int64 bias): every op the quantizer makes
 * int16 (src/quant/ptq.ts; test/codegen/ops-schemes.test.ts enumerates the registry to keep the two in step). */
export const INT16_C_OPS: ReadonlySet<string> = new Set([
  'Conv', 'FullyConnected', 'Quantize', 'Add', 'Sub', 'Mul', 'Reshape', 'Identity', 'Transpose', 'MaxPool', 'AveragePool', 'ReduceMean',
  'Softmax', 'Sigmoid', 'Tanh', 'Relu', 'Clip', 'LeakyRelu', 'Pad', 'Concat', 'Max', 'Min', 'Slice', 'Gather', 'ReduceMax', 'Resize',
]);


export interface LayerCode {
  kernel: string[];
  call: string;
  consts: ConstArray[];
  notes: string[];
}

/** Kernels whose output may overwrite input 0 element by element. */
const IN_PLACE_OPS = new Set(['Relu', 'Clip', 'LeakyRelu', 'HardSwish', 'Softmax', 'LogSoftmax', 'Sigmoid', 'Tanh', 'Quantize_int']);

/**
 * What `build` would refuse in a quantized graph, as warnings (the emitter's own checks, run without writing
 * anything): quantize reports them so that it never succeeds silently on a model build then rejects.
 */
export function buildWarnings(g: Graph, file?: string): Diagnostic[] {
  try {
    emitC(g, { name: 'check' });
    return [];
  } catch (e) {
    if (!(e instanceof EspforgeError)) throw e;
    return e.diagnostics.map((d) => ({
      ...d,
      severity: 'warning' as const,
      file: d.file ?? file,
      notes: [...d.notes, 'the quantized model was written and runs in the simulator (`espforge run --quantized`), but `espforge build` will refuse it'],
    }));
  }
}

export function emitC(g: Graph, opts: EmitOptions = {}): EmitResult {
  const prefix = sanitizeName(opts.name ?? (opts.modelFile ?? g.meta.source ?? 'model').split(/[\\/]/).pop()!);
  const P = prefix;
  const PU = prefix.toUpperCase();

  // Validate dtypes early, collecting every unsupported node at once.
  const problems: Diagnostic[] = [];
  // Float islands (PTQ keeps ops without an integer kernel in float behind Dequantize ... Quantize): one
  // diagnostic naming every float operator, instead of one per Dequantize / Quantize / float node.
  const isFloatT = (id: number) => id >= 0 && (g.tensors[id].dtype === 'float32' || g.tensors[id].dtype === 'float64');
  const islandNode = (n: Node) =>
    (n.op === 'Dequantize' && isFloatT(n.outputs[0])) ||
    (n.op === 'Quantize' && isFloatT(n.inputs[0])) ||
    n.qparams?.float_node === 1 ||
    [...n.inputs.filter((id) => id >= 0 && !g.tensors[id].data), ...n.outputs].every(isFloatT);
  const floatOps = g.nodes.filter((n) => islandNode(n) && n.op !== 'Dequantize' && n.op !== 'Quantize');
  if (floatOps.length) {
    const list = floatOps.map((n) => `${n.op} '${n.name}'`);
    const kinds = [...new Set(floatOps.map((n) => n.op))];
    problems.push(
      diag('EF3002', `the quantized model still runs ${floatOps.length} operator(s) in float, which the integer-only C library cannot do: ${list.join(', ')}`, {
        node: floatOps[0].name,
        suggestion: kinds.filter((k) => !SUPPORTED.has(k)).map(noIntegerKernelAdvice).join('; ') || undefined,
        notes: [
          'PTQ kept these in float between Dequantize and Quantize nodes (float islands); `espforge run --quantized` can still simulate the model',
          ...kinds
            .filter((k) => SUPPORTED.has(k) && !INT8_ONLY_OPS.has(k))
            .map((k) => `${k} has an int8 kernel: it is float here because PTQ kept it in the float island with the operators above`),
          ...kinds.filter((k) => INT8_ONLY_OPS.has(k)).map((k) => `${k} has an int8 kernel but no int16 one: quantize with espforge (which runs it as an int8 island under --scheme int16) to keep it integer`),
        ],
      }),
    );
  }
  for (const n of g.nodes) {
    if (islandNode(n)) continue;
    if (!SUPPORTED.has(n.op)) {
      problems.push(diag('EF3002', `${n.op} has no C kernel in espforge yet`, { node: n.name }));
      continue;
    }
    if (n.op === 'Lstm') continue; // int8 with an int16 cell: emitLstm checks its own dtypes
    for (const id of [...n.inputs, ...n.outputs]) {
      if (id < 0) continue;
      const t = g.tensors[id];
      if (t.data) continue;
      if (!['int8', 'uint8'].includes(t.dtype) && !(t.dtype === 'int16' && INT16_C_OPS.has(n.op)))
        problems.push(
          diag('EF3002', `${n.op} on ${t.dtype} tensor '${t.name}' has no C kernel (int8/uint8${INT16_C_OPS.has(n.op) ? '/int16' : ''} only)`, { node: n.name }),
        );
    }
  }
  if (problems.length) throw new EspforgeError(problems);

  const backend = opts.backend;
  const plan = planMemory(g, {
    scratchBytes: backend ? (i) => (backend.takes(i) ? backend.scratchBytes(i) : 0) : undefined,
    alias: (i) => g.nodes[i].op === 'Reshape' || g.nodes[i].op === 'Identity',
    inPlace: (i) => {
      const n = g.nodes[i];
      const key = n.op === 'Quantize' ? 'Quantize_int' : n.op;
      if (!IN_PLACE_OPS.has(key)) return false;
      const a = g.tensors[n.inputs[0]];
      const b = g.tensors[n.outputs[0]];
      return a.dtype === b.dtype || (n.op === 'Quantize' && ['int8', 'uint8'].includes(a.dtype) && ['int8', 'uint8'].includes(b.dtype));
    },
  });

  const consts: ConstArray[] = [];
  const used = new Set<string>(['copy']);
  const layers: LayerInfo[] = [];
  const body: string[] = [];
  // A constant tensor read as a data input (a constant operand of Add, a pool over a constant, ...) has no arena
  // place: it goes to flash as a const array, once, and the kernel reads it there.
  const constSyms = new Map<number, string>();
  const constData = (id: number): string | undefined => {
    const t = g.tensors[id];
    if (!t?.data || plan.tensors.has(id)) return undefined;
    let sym = constSyms.get(id);
    if (!sym) {
      const ctype = ({ int8: 'int8_t', uint8: 'uint8_t', int16: 'int16_t', int32: 'int32_t' } as const)[t.dtype as 'int8'];
      if (!ctype) fail('EF3002', `constant data input '${t.name}' has dtype ${t.dtype}, which the C kernels do not read`, { node: g.nodes.find((n) => n.inputs.includes(id))?.name });
      sym = `${P}_const${id}`;
      constSyms.set(id, sym);
      consts.push({ sym, ctype, data: t.data, comment: `constant data input '${commentSafe(t.name)}' [${t.shape.join(',')}]`, where: 'weights' });
    }
    return sym;
  };
  const ptr = (id: number, cast = 'int8_t') => {
    const c = constData(id);
    if (c) return `(${cast} *)${c}`;
    const p = plan.tensors.get(id);
    if (!p) return fail('EF9001', `tensor ${g.tensors[id].name} has no place in the memory plan`);
    return `(${cast} *)(arena + ${p.offset})`;
  };
  const cptr = (id: number, cast = 'int8_t') => {
    const c = constData(id);
    if (c) return `(const ${cast} *)${c}`;
    const p = plan.tensors.get(id);
    if (!p) return fail('EF9001', `tensor ${g.tensors[id].name} has no place in the memory plan`);
    return `(const ${cast} *)(arena + ${p.offset})`;
  };

  g.nodes.forEach((n, i) => {
    const sc = plan.scratch.get(i);
    const samePlace = (a: number, b: number) => plan.tensors.get(a)?.offset === plan.tensors.get(b)?.offset;
    const lc = backend?.takes(i)
      ? backend.emit(n, i, { P, L: `${P}_L${i}`, ptr, cptr, scratchOffset: sc?.offset, scratchSize: sc?.size, samePlace })
      : emitLayer(g, n, i, P, ptr, cptr);
    lc.kernel.forEach((k) => used.add(k));
    for (const k of lc.consts) {
      const prev = k.shared ? consts.find((x) => x.sym === k.sym) : undefined;
      if (!prev) consts.push(k);
      else if (prev.data.length !== k.data.length || Array.from(prev.data).some((v, j) => v !== k.data[j]))
        fail('EF9001', `shared table ${k.sym} differs between layers`, { node: n.name });
    }
    const ins = n.inputs.filter((t) => t >= 0 && !g.tensors[t].data).map((t) => g.tensors[t]);
    const outs = n.outputs.map((t) => g.tensors[t]);
    const q = n.qparams ?? {};
    const qdesc = Object.entries(q)
      .map(([k, v]) => (Array.isArray(v) ? (v.length > 4 ? `${k}[${v.length}]` : `${k}={${v.join(',')}}`) : `${k}=${v}`))
      .join(' ');
    const wBytes = lc.consts.filter((c) => c.where === 'weights').reduce((s, c) => s + c.data.length * CTYPE_BYTES[c.ctype], 0);
    const lines = [
      `    /* [${i}] ${n.op} '${commentSafe(n.name)}'`,
      `     *   in:  ${ins.map((t) => `${commentSafe(t.name)} ${t.dtype}${shp(t)} ${qstr(t)}`).join('; ') || '-'}`,
      `     *   out: ${outs.map((t) => `${commentSafe(t.name)} ${t.dtype}${shp(t)} ${qstr(t)}`).join('; ')}`,
      ...(qdesc ? [`     *   q:   ${commentSafe(qdesc)}`] : []),
      ...lc.notes.map((s) => `     *   ${s}`),
      `     */`,
    ];
    body.push(lines.join('\n') + `\n    ${PU}_PROFILE(${i}, 0);\n` + lc.call + `\n    ${PU}_PROFILE(${i}, 1);`);
    const backendNote = backend && !backend.takes(i) ? backend.note?.(i) : undefined;
    layers.push({ index: i, op: n.op, name: n.name, kernel: lc.kernel.join(',') || 'none', macs: 0, weightBytes: wBytes, ...(backendNote ? { backendNote } : {}) });
  });

  const prov: Provenance = opts;
  const arenaSize = Math.max(16, plan.arenaSize);
  const inT = g.inputs.map((id) => g.tensors[id]);
  const outT = g.outputs.map((id) => g.tensors[id]);
  for (const t of [...inT, ...outT])
    if (!['int8', 'uint8', 'int16'].includes(t.dtype))
      fail('EF3002', `graph input/output '${t.name}' is ${t.dtype}; the C library takes int8/uint8/int16 (quantize the model's I/O)`);
  const ioName = (kind: 'input' | 'output', k: number, count: number) => (count === 1 ? kind : `${kind}${k}`);

  // ---- header
  const hguard = `${PU}_H`;
  const h: string[] = [banner(`${P}.h: public interface of the generated model library`, prov)];
  h.push(`#ifndef ${hguard}\n#define ${hguard}\n\n#include <stdint.h>\n\n#ifdef __cplusplus\nextern "C" {\n#endif\n`);
  h.push(`/* Bytes of the one static activation arena (sized by espforge's memory planner). */`);
  h.push(`#define ${PU}_ARENA_SIZE ${arenaSize}\n`);
  const ioMacros = (t: Tensor, base: string) => {
    const q = t.quant;
    return [
      `/* ${commentSafe(t.name)}: ${t.dtype}${shp(t)} */`,
      `#define ${base}_RANK ${t.shape.length}`,
      ...t.shape.map((d, k) => `#define ${base}_DIM${k} ${d}`),
      `#define ${base}_SIZE ${shapeSize(t.shape)}`,
      `#define ${base}_SCALE ${floatLit(q?.scale[0] ?? 1)}`,
      `#define ${base}_ZERO_POINT ${q?.zeroPoint[0] ?? 0}`,
      '',
    ].join('\n');
  };
  inT.forEach((t, k) => h.push(ioMacros(t, `${PU}_${ioName('input', k, inT.length).toUpperCase()}`)));
  outT.forEach((t, k) => h.push(ioMacros(t, `${PU}_${ioName('output', k, outT.length).toUpperCase()}`)));
  const params = [
    ...inT.map((t, k) => `const ${ctype(t)} *${ioName('input', k, inT.length)}`),
    ...outT.map((t, k) => `${ctype(t)} *${ioName('output', k, outT.length)}`),
  ].join(', ');
  h.push(
    backend && g.nodes.some((_, i) => backend.takes(i))
      ? `/* Run the model once. Returns 0, or -1 when a ${backend.name} kernel asks for more scratch than the plan reserved. Not re-entrant (one static arena). */`
      : `/* Run the model once. Returns 0. Not re-entrant (one static arena). */`,
  );
  h.push(`int ${P}_invoke(${params});\n`);
  inT.forEach((t, k) => {
    const nm = ioName('input', k, inT.length);
    h.push(`/* float -> quantized ${nm}: clamp(round_half_away(x / scale) + zero_point) */`);
    h.push(`void ${P}_quantize_${nm}(const float *x, ${ctype(t)} *q);\n`);
  });
  outT.forEach((t, k) => {
    const nm = ioName('output', k, outT.length);
    h.push(`/* quantized ${nm} -> float: (q - zero_point) * scale */`);
    h.push(`void ${P}_dequantize_${nm}(const ${ctype(t)} *q, float *y);\n`);
  });
  h.push(`#ifdef __cplusplus\n}\n#endif\n\n#endif /* ${hguard} */\n`);

  // ---- weights file
  const weightConsts = consts.filter((c) => c.where === 'weights');
  const w: string[] = [banner(`${P}_weights.c: constant weights (flash)`, prov), `#include <stdint.h>\n`];
  for (const c of weightConsts) {
    w.push(`/* ${c.comment} */`);
    w.push(`const ${c.ctype} ${c.sym}[${c.data.length}] __attribute__((aligned(16))) = {\n${cArrayBody(c.data, CTYPE_BYTES[c.ctype] >= 4 ? 8 : 16)}\n};\n`);
  }
  if (weightConsts.length === 0) w.push(`/* this model has no weights */\nconst int8_t ${P}_no_weights __attribute__((aligned(16))) = 0;\n`);
  const weightBytes = weightConsts.reduce((s, c) => s + c.data.length * CTYPE_BYTES[c.ctype], 0);

  // ---- model file
  const c: string[] = [banner(`${P}.c: the model as one kernel call per layer`, prov)];
  c.push(`#include "${P}.h"\n#include "espforge_kernels.h"\n`);
  if (backend && g.nodes.some((_, i) => backend.takes(i))) c.push(`#include <stddef.h>\n${backend.includes.map((f) => `#include "${f}"`).join('\n')}\n`);
  c.push(`/* Per-layer profiling hook, compiled out by default. Build with -DESPFORGE_PROFILE and define`);
  c.push(` * ${P}_profile(layer, end) (e.g. reading a cycle counter) to time each layer; the production code is unchanged. */`);
  c.push(`#ifdef ESPFORGE_PROFILE\nvoid ${P}_profile(int layer, int end);\n#define ${PU}_PROFILE(layer, end) ${P}_profile(layer, end)`);
  c.push(`#else\n#define ${PU}_PROFILE(layer, end) ((void)0)\n#endif\n`);
  c.push(`/* Weights (${P}_weights.c) */`);
  for (const k of weightConsts) c.push(`extern const ${k.ctype} ${k.sym}[${k.data.length}];`);
  c.push('');
  c.push(`/* Integer execution parameters (computed once by espforge's quantization prepare step) */`);
  for (const k of consts.filter((x) => x.where === 'model')) {
    c.push(`/* ${k.comment} */`);
    c.push(`static const ${k.ctype} ${k.sym}[${k.data.length}] = {\n${cArrayBody(k.data, 8)}\n};`);
  }
  c.push('');
  c.push(`/* Memory plan: one static arena, ${arenaSize} bytes (lower bound ${plan.lowerBound}, alignment ${plan.alignment}).`);
  c.push(` *   tensor                                   offset     size  live`);
  const rows = [...plan.tensors.values()].sort((a, b) => a.offset - b.offset || a.firstUse - b.firstUse);
  for (const r of rows)
    c.push(
      ` *   ${commentSafe(r.name).slice(0, 40).padEnd(40)} ${String(r.offset).padStart(7)}  ${String(r.size).padStart(7)}  [${r.firstUse},${r.lastUse}]${
        r.aliasOf !== undefined ? ` alias of ${commentSafe(g.tensors[r.aliasOf].name).slice(0, 30)}` : ''
      }`,
    );
  for (const s of plan.scratch.values()) c.push(` *   (scratch of layer ${s.node})${''.padEnd(20)} ${String(s.offset).padStart(7)}  ${String(s.size).padStart(7)}`);
  c.push(` */`);
  c.push(`static uint8_t arena[${PU}_ARENA_SIZE] __attribute__((aligned(16)));`);
  c.push(`_Static_assert(${PU}_ARENA_SIZE % 16 == 0, "arena size is a multiple of the alignment");`);
  c.push(`_Static_assert(${PU}_ARENA_SIZE >= ${plan.arenaSize}, "arena holds the memory plan");\n`);
  c.push(`int ${P}_invoke(${params})\n{`);
  inT.forEach((t, k) => {
    c.push(`    ${P}_copy(arena + ${plan.tensors.get(t.id)!.offset}, ${ioName('input', k, inT.length)}, ${shapeSize(t.shape) * (t.dtype === 'int16' ? 2 : 1)});`);
  });
  c.push('');
  c.push(body.join('\n\n'));
  c.push('');
  outT.forEach((t, k) => {
    c.push(`    ${P}_copy(${ioName('output', k, outT.length)}, arena + ${plan.tensors.get(t.id)!.offset}, ${shapeSize(t.shape) * (t.dtype === 'int16' ? 2 : 1)});`);
  });
  c.push(`    return 0;\n}\n`);
  inT.forEach((t, k) => {
    const nm = ioName('input', k, inT.length);
    const [lo, hi] = t.dtype === 'uint8' ? [0, 255] : t.dtype === 'int16' ? [-32768, 32767] : [-128, 127];
    const MU = `${PU}_${nm.toUpperCase()}`;
    c.push(`void ${P}_quantize_${nm}(const float *x, ${ctype(t)} *q)\n{`);
    c.push(`    int i;\n    for (i = 0; i < ${MU}_SIZE; ++i) {`);
    c.push(`        float v = x[i] / ${MU}_SCALE;`);
    c.push(`        int32_t r;`);
    const lim = t.dtype === 'int16' ? '100000.0f' : '1000.0f';
    c.push(`        if (!(v > -${lim})) v = -${lim}; /* also catches NaN */`);
    c.push(`        if (v > ${lim}) v = ${lim};`);
    c.push(`        r = (int32_t)v; /* truncates; then round half away from zero */`);
    c.push(`        if (v - (float)r >= 0.5f) r += 1;`);
    c.push(`        else if (v - (float)r <= -0.5f) r -= 1;`);
    c.push(`        r += ${MU}_ZERO_POINT;`);
    c.push(`        q[i] = (${ctype(t)})(r < ${lo} ? ${lo} : (r > ${hi} ? ${hi} : r));`);
    c.push(`    }\n}\n`);
  });
  outT.forEach((t, k) => {
    const nm = ioName('output', k, outT.length);
    const MU = `${PU}_${nm.toUpperCase()}`;
    c.push(`void ${P}_dequantize_${nm}(const ${ctype(t)} *q, float *y)\n{`);
    c.push(`    int i;\n    for (i = 0; i < ${MU}_SIZE; ++i) y[i] = (float)((int32_t)q[i] - ${MU}_ZERO_POINT) * ${MU}_SCALE;\n}\n`);
  });

  const kb = banner('espforge_kernels: portable int8 kernels used by this model', prov);
  const kf = kernelFiles([...used].filter((k) => !k.includes(':')), P, kb);
  return {
    prefix: P,
    files: {
      [`${P}.h`]: h.join('\n'),
      [`${P}.c`]: c.join('\n'),
      [`${P}_weights.c`]: w.join('\n'),
      'espforge_kernels.h': kf.header,
      'espforge_kernels.c': kf.source,
    },
    plan,
    layers,
    weightBytes,
    tableBytes: consts.filter((x) => x.where === 'model').reduce((t, x) => t + x.data.length * CTYPE_BYTES[x.ctype], 0),
    kernels: [...used].filter((k) => !k.includes(':')).sort(),
  };
}

/** Ops with an int8 C kernel (the emitter's coverage; `inspect --list-ops` shows it). */
export const SUPPORTED: ReadonlySet<string> = new Set([
  'Conv',
  'FullyConnected',
  'AveragePool',
  'MaxPool',
  'Add',
  'Sub',
  'Mul',
  'ReduceMean',
  'Softmax',
  'LogSoftmax',
  'Sigmoid',
  'Tanh',
  'Quantize',
  'Reshape',
  'Identity',
  'Relu',
  'Clip',
  'Pad',
  'Concat',
  'LeakyRelu',
  'PRelu',
  'HardSwish',
  'Transpose',
  'Max',
  'Min',
  'Slice',
  'Gather',
  'ReduceMax',
  'Resize',
  'Lstm',
]);

/**
 * Requantization table of the conv / depthwise / GEMM kernels (kernels.c section rq): four int32 per channel,
 * {2*M as a uint32 bit pattern, max(S, 0), r = max(-S, 0), (2^r - 1) >> 1}. Exact re-encodings of the prepared (M, S), not new
 * multipliers.
 */
export function rqTable(ms: number[], ss: number[]): number[] {
  const out: number[] = [];
  ms.forEach((m, k) => {
    const r = Math.max(-ss[k], 0);
    out.push((2 * m) | 0, Math.max(ss[k], 0), r, (2 ** r - 1) >>> 1);
  });
  return out;
}

/**
 * GEMM filter layout (kernels.c section gemm): rows [N][K] grouped in column blocks of 8 while 8 remain, then
 * one block of 4, then single columns; the block of width B at column o fills [o*K, (o+B)*K) as [k][B].
 */
export function packColumns(w: ArrayLike<number>, N: number, K: number): Int8Array {
  const out = new Int8Array(N * K);
  let o = 0;
  while (o < N) {
    const B = N - o >= 8 ? 8 : N - o >= 4 ? 4 : 1;
    for (let k = 0; k < K; k++) for (let j = 0; j < B; j++) out[o * K + k * B + j] = w[(o + j) * K + k];
    o += B;
  }
  return out;
}

/** For a pure selection op: the flat input index each output element reads, from the op's float evaluation on a
 * tensor holding its own indices (other inputs as stored). */
function sourceIndex(n: Node, X: Tensor): ArrayLike<number> {
  const def = getOp(n.op);
  const attrs = normalizeAttrs(def, n.attrs, n.name);
  const ins = [{ dtype: 'float64' as const, shape: X.shape, data: Float64Array.from({ length: shapeSize(X.shape) }, (_, k) => k) }];
  return def.evalFloat(ins, attrs, n)[0].data;
}

function attrNums(n: Node, k: string, dflt: number[]): number[] {
  const v = n.attrs[k];
  return Array.isArray(v) ? (v as number[]) : dflt;
}

/** Broadcast description for the element-wise kernels: 4-D output dims and per-input element strides. */
function bcast4(out: number[], a: number[]): number[] {
  const r = out.length;
  if (r > 4) fail('EF3002', `element-wise op on rank ${r} > 4 is not supported in C`);
  const pa = [...new Array(r - a.length).fill(1), ...a];
  const st = new Array<number>(r).fill(0);
  let acc = 1;
  for (let k = r - 1; k >= 0; k--) {
    st[k] = pa[k] === 1 && out[k] !== 1 ? 0 : acc;
    acc *= pa[k];
  }
  return [...new Array(4 - r).fill(0), ...st];
}

function emitLayer(
  g: Graph,
  n: Node,
  i: number,
  P: string,
  ptr: (id: number, cast?: string) => string,
  cptr: (id: number, cast?: string) => string,
): LayerCode {
  const q = n.qparams as QP | undefined;
  const T = (id: number) => g.tensors[id];
  const X = T(n.inputs[0]);
  const Y = T(n.outputs[0]);
  const L = `${P}_L${i}`;
  const consts: ConstArray[] = [];
  const notes: string[] = [];
  const qArrays = (ms: number[], ss: number[]) => {
    checkMult(ms, n);
    for (const v of ss) if (!Number.isInteger(v) || v < -31 || v > 31) fail('EF3004', `node '${n.name}': shift ${v} is outside [-31, 31]`, { node: n.name });
    consts.push({ sym: `${L}_rq`, ctype: 'int32_t', data: rqTable(ms, ss), comment: `layer ${i}: requantization per output channel {2*M (uint32 bits), max(S,0), r = max(-S,0), (2^r-1)>>1} from the prepared Q31 multiplier M and shift S`, where: 'model' });
  };
  const a = (s: string) => s;
  const shiftOk = (v: number) => {
    if (!Number.isInteger(v) || v < -31 || v > 31) fail('EF9001', `node '${n.name}': shift ${v} is outside [-31, 31]`, { node: n.name });
  };
  /** int16 element-wise kernels read and write int16 on both sides. */
  const same16 = () => {
    if (X.dtype !== 'int16' || Y.dtype !== 'int16') fail('EF3002', `${n.op} from ${X.dtype} to ${Y.dtype} has no C kernel`, { node: n.name });
  };
  /** 16x8 LOGISTIC / TANH: the input rescale and TFLite's sigmoid(i/24) table (one copy per model). */
  const logistic16 = (k: 'logistic' | 'tanh'): LayerCode => {
    same16();
    const m = num(q, 'input_multiplier', n);
    const sh = num(q, 'input_left_shift', n);
    if (!Number.isInteger(m) || m < 0 || m > 32767 || !Number.isInteger(sh) || sh < 0 || sh > 31)
      fail('EF9001', `node '${n.name}': int16 ${n.op} input rescale (${m}, ${sh}) is outside the kernel's range`, { node: n.name });
    consts.push({ sym: `${P}_sigmoid_table_u16`, ctype: 'uint16_t', data: [...SIGMOID_TABLE_UINT16], comment: 'TFLite sigmoid(i/24), i = 0..255, in 0.16 fixed point (int16 LOGISTIC and TANH)', where: 'weights', shared: true });
    const call = `    ${P}_${k}_s16(${cptr(X.id, 'int16_t')}, ${ptr(Y.id, 'int16_t')}, ${shapeSize(X.shape)}, ${m}, ${sh}, ${P}_sigmoid_table_u16);`;
    return { kernel: [`${k}16`], call, consts, notes: ['16x8: TFLM int16 table lookup'] };
  };
  /** 16x8 Conv / depthwise / FullyConnected (int16 activations): one generic kernel, FC as a 1x1 conv over rows. */
  const conv16 = (): LayerCode => {
    const W = T(n.inputs[1]);
    const B = n.inputs[2] !== undefined && n.inputs[2] >= 0 ? T(n.inputs[2]) : undefined;
    const fc = n.op === 'FullyConnected';
    const OC = W.shape[0];
    const acc64 = num(q, 'acc64', n);
    if (B && !B.data) fail('EF2005', `${n.op} bias must be constant`, { node: n.name });
    if (acc64 !== 1 && B && B.dtype !== 'int32') fail('EF3002', `${n.op} int16 with a ${B.dtype} bias and no int64 accumulator has no C kernel`, { node: n.name });
    if (num(q, 'w_zp', n) !== 0) fail('EF3002', `${n.op} weights with a nonzero zero point`, { node: n.name });
    const ms = arr(q, 'mult', OC, n);
    const ss = arr(q, 'shift', OC, n);
    checkMult(ms, n);
    const maxShift = acc64 === 1 ? 7 : 31; // the int64 requantization takes shifts up to 7 (checked at prepare)
    for (const v of ss) if (!Number.isInteger(v) || v < -31 || v > maxShift) fail('EF3004', `node '${n.name}': shift ${v} is outside [-31, ${maxShift}] for the 16x8 requantization`, { node: n.name });
    consts.push({ sym: `${L}_mult`, ctype: 'int32_t', data: ms, comment: `layer ${i}: Q31 multiplier per output channel`, where: 'model' });
    consts.push({ sym: `${L}_shift`, ctype: 'int32_t', data: ss, comment: `layer ${i}: shift per output channel (> 0 left)`, where: 'model' });
    consts.push({ sym: `${L}_w`, ctype: 'int8_t', data: W.data!, comment: `layer ${i} '${commentSafe(n.name)}': filter [${W.shape.join(',')}]${fc ? '' : ' OHWI'}`, where: 'weights' });
    if (B) consts.push({ sym: `${L}_bias`, ctype: 'int64_t', data: B.data!, comment: `layer ${i}: bias [${OC}] (int64 for the 16x8 kernel)`, where: 'weights' });
    const bias = B ? `${L}_bias` : '0';
    const tail = `${L}_mult, ${L}_shift, ${acc64}, ${num(q, 'act_min', n)}, ${num(q, 'act_max', n)}`;
    let call: string;
    if (fc) {
      const K = W.shape[1];
      const rows = shapeSize(X.shape) / K;
      call = `    ${P}_conv_s16(${cptr(X.id, 'int16_t')}, ${rows}, 1, ${K}, ${L}_w, ${bias}, ${ptr(Y.id, 'int16_t')}, ${rows}, 1, ${OC}, 1, 1, 1, 1, 1, 1, 0, 0, 1, ${tail});`;
    } else {
      const [N, IH, IW, IC] = X.shape;
      const [, OH, OW] = Y.shape;
      const [, KH, KW] = W.shape;
      const [sh, sw] = attrNums(n, 'strides', [1, 1]);
      const [dh, dw] = attrNums(n, 'dilations', [1, 1]);
      const [pt, pl] = attrNums(n, 'pads', [0, 0, 0, 0]);
      const group = (n.attrs.group as number | undefined) ?? 1;
      const lines: string[] = [];
      if (group === IC && group > 1 && W.shape[3] === 1 && acc64 === 1 && KH * KW <= 512) {
        // depthwise with an int64 accumulator: channels innermost, filter re-laid out [KH][KW][OC]
        const wt = new Int8Array(KH * KW * OC);
        for (let o = 0; o < OC; o++) for (let t = 0; t < KH * KW; t++) wt[t * OC + o] = W.data![o * KH * KW + t];
        const wi = consts.findIndex((c) => c.sym === `${L}_w`);
        consts[wi] = { sym: `${L}_w`, ctype: 'int8_t', data: wt, comment: `layer ${i} '${commentSafe(n.name)}': depthwise filter, layout [KH=${KH}][KW=${KW}][C=${OC}] (re-laid from [${W.shape.join(',')}])`, where: 'weights' };
        for (let b = 0; b < N; b++)
          lines.push(`    ${P}_dwconv_s16(${cptr(X.id, 'int16_t')} + ${b * IH * IW * IC}, ${IH}, ${IW}, ${IC}, ${OC / IC}, ${L}_w, ${bias}, ${ptr(Y.id, 'int16_t')} + ${b * OH * OW * OC}, ${OH}, ${OW}, ${KH}, ${KW}, ${sh}, ${sw}, ${dh}, ${dw}, ${pt}, ${pl}, ${L}_mult, ${L}_shift, ${num(q, 'act_min', n)}, ${num(q, 'act_max', n)});`);
        return { kernel: ['dwconv16'], call: lines.join('\n'), consts, notes: ['16x8 depthwise: int16 activations, int8 weights, int64 accumulator'] };
      }
      for (let b = 0; b < N; b++)
        lines.push(`    ${P}_conv_s16(${cptr(X.id, 'int16_t')} + ${b * IH * IW * IC}, ${IH}, ${IW}, ${IC}, ${L}_w, ${bias}, ${ptr(Y.id, 'int16_t')} + ${b * OH * OW * OC}, ${OH}, ${OW}, ${OC}, ${KH}, ${KW}, ${sh}, ${sw}, ${dh}, ${dw}, ${pt}, ${pl}, ${group}, ${tail});`);
      call = lines.join('\n');
    }
    return { kernel: ['conv16'], call, consts, notes: ['16x8: int16 activations, int8 weights' + (acc64 ? ', int64 accumulator' : '')] };
  };
  /** A data operand: its arena place, or for a constant tensor a const array in flash. */
  const operand = (t: Tensor, port: number): string => {
    if (!t.data) return cptr(t.id, t.dtype === 'int16' ? 'int16_t' : 'int8_t');
    if (t.dtype !== 'int8' && t.dtype !== 'int16') fail('EF3002', `${n.op} with a constant ${t.dtype} operand has no C kernel`, { node: n.name });
    consts.push({ sym: `${L}_k${port}`, ctype: t.dtype === 'int16' ? 'int16_t' : 'int8_t', data: t.data, comment: `layer ${i} '${commentSafe(n.name)}': constant operand ${port} '${commentSafe(t.name)}' ${shp(t)} ${qstr(t)}`, where: 'weights' });
    return `${L}_k${port}`;
  };
  switch (n.op) {
    case 'Lstm':
      return emitLstm(g, n, i, P, ptr, cptr);
    case 'Conv': {
      const W = T(n.inputs[1]);
      const B = n.inputs[2] !== undefined && n.inputs[2] >= 0 ? T(n.inputs[2]) : undefined;
      if (!W.data) fail('EF2005', 'Conv weights must be constant', { node: n.name });
      if (W.dtype !== 'int8') fail('EF3002', `Conv with ${W.dtype} weights has no C kernel`, { node: n.name });
      if (X.dtype === 'int16') return conv16();
      const [N, IH, IW, IC] = X.shape;
      const [, OH, OW, OC] = Y.shape;
      const [, KH, KW] = W.shape;
      const [sh, sw] = attrNums(n, 'strides', [1, 1]);
      const [dh, dw] = attrNums(n, 'dilations', [1, 1]);
      const [pt, pl] = attrNums(n, 'pads', [0, 0, 0, 0]);
      const group = (n.attrs.group as number | undefined) ?? 1;
      const inZp = num(q, 'in_zp', n);
      const ms = arr(q, 'mult', OC, n);
      const ss = arr(q, 'shift', OC, n);
      qArrays(ms, ss);
      const icg = IC / group;
      const ksz = KH * KW * icg;
      const wd = W.data;
      const bias = new Int32Array(OC);
      const rawBias = new Int32Array(OC);
      for (let o = 0; o < OC; o++) {
        let s = 0;
        for (let k = 0; k < ksz; k++) s += wd[o * ksz + k];
        rawBias[o] = B?.data ? B.data[o] : 0;
        bias[o] = (rawBias[o] - inZp * s) | 0;
      }
      const common = `${num(q, 'out_zp', n)}, ${L}_rq, ${num(q, 'act_min', n)}, ${num(q, 'act_max', n)}`;
      const depthwise = group === IC && group > 1 && W.shape[3] === 1;
      let call: string;
      let kernel: string;
      const inB = IH * IW * IC;
      const outB = OH * OW * OC;
      if (depthwise) {
        kernel = 'dwconv';
        const wt = new Int8Array(KH * KW * OC);
        for (let o = 0; o < OC; o++) for (let t = 0; t < KH * KW; t++) wt[t * OC + o] = wd[o * KH * KW + t];
        consts.push({ sym: `${L}_w`, ctype: 'int8_t', data: wt, comment: `layer ${i} '${commentSafe(n.name)}': depthwise filter, layout [KH=${KH}][KW=${KW}][C=${OC}] (re-laid from [${W.shape.join(',')}])`, where: 'weights' });
        call = `${P}_dwconv_s8(x, ${IH}, ${IW}, ${IC}, ${OC / IC}, ${L}_w, ${L}_bias_adj, ${L}_bias, y, ${OH}, ${OW}, ${KH}, ${KW}, ${sh}, ${sw}, ${dh}, ${dw}, ${pt}, ${pl}, ${inZp}, ${common});`;
      } else {
        const gemm = KH === 1 && KW === 1 && sh === 1 && sw === 1 && group === 1 && attrNums(n, 'pads', [0, 0, 0, 0]).every((p) => p === 0);
        if (gemm)
          consts.push({ sym: `${L}_w`, ctype: 'int8_t', data: packColumns(wd, OC, IC), comment: `layer ${i} '${commentSafe(n.name)}': 1x1 filter [${W.shape.join(',')}] packed in column blocks of 8/4/1 as [block][IC][width]`, where: 'weights' });
        else consts.push({ sym: `${L}_w`, ctype: 'int8_t', data: wd, comment: `layer ${i} '${commentSafe(n.name)}': filter, layout OHWI [${W.shape.join(',')}]`, where: 'weights' });
        if (gemm) {
          kernel = 'gemm';
          notes.push('1x1 convolution as an int8 GEMM (pixels x channels)');
          call = `${P}_gemm_s8(x, ${OH * OW}, ${IC}, ${L}_w, ${L}_bias_adj, y, ${OC}, ${common});`;
        } else {
          kernel = 'conv';
          call = `${P}_conv_s8(x, ${IH}, ${IW}, ${IC}, ${L}_w, ${L}_bias_adj, ${L}_bias, y, ${OH}, ${OW}, ${OC}, ${KH}, ${KW}, ${sh}, ${sw}, ${dh}, ${dw}, ${pt}, ${pl}, ${group}, ${inZp}, ${common});`;
        }
      }
      consts.push({ sym: `${L}_bias_adj`, ctype: 'int32_t', data: bias, comment: `layer ${i}: bias - in_zp(${inZp}) * sum(filter) per output channel [${OC}] (windows inside the input)`, where: 'weights' });
      if (kernel !== 'gemm')
        consts.push({ sym: `${L}_bias`, ctype: 'int32_t', data: rawBias, comment: `layer ${i}: bias [${OC}] (windows crossing the border)`, where: 'weights' });
      const loop = N > 1;
      const code = [
        `    {`,
        loop ? `        int b;\n        for (b = 0; b < ${N}; ++b) {` : '',
        `        const int8_t *x = ${cptr(X.id)}${loop ? ` + (size_t)b * ${inB}` : ''};`,
        `        int8_t *y = ${ptr(Y.id)}${loop ? ` + (size_t)b * ${outB}` : ''};`,
        `        ${call}`,
        loop ? `        }` : '',
        `    }`,
      ].filter((s) => s !== '');
      return { kernel: [kernel], call: code.join('\n'), consts, notes };
    }
    case 'FullyConnected': {
      const W = T(n.inputs[1]);
      const B = n.inputs[2] !== undefined && n.inputs[2] >= 0 ? T(n.inputs[2]) : undefined;
      if (!W.data || W.dtype !== 'int8') fail('EF3002', 'FullyConnected needs constant int8 weights', { node: n.name });
      if (X.dtype === 'int16') return conv16();
      const [No, K] = W.shape;
      const rows = shapeSize(X.shape) / K;
      const inZp = num(q, 'in_zp', n);
      if (W.quant && W.quant.zeroPoint.some((z) => z !== 0)) fail('EF3002', 'FullyConnected weights with a nonzero zero point', { node: n.name });
      qArrays(arr(q, 'mult', No, n), arr(q, 'shift', No, n));
      const bias = new Int32Array(No);
      for (let o = 0; o < No; o++) {
        let s = 0;
        for (let k = 0; k < K; k++) s += W.data[o * K + k];
        bias[o] = ((B?.data ? B.data[o] : 0) - inZp * s) | 0;
      }
      consts.push({ sym: `${L}_w`, ctype: 'int8_t', data: packColumns(W.data, No, K), comment: `layer ${i} '${commentSafe(n.name)}': weights [N=${No}][K=${K}] packed in column blocks of 8/4/1 as [block][K][width]`, where: 'weights' });
      consts.push({ sym: `${L}_bias`, ctype: 'int32_t', data: bias, comment: `layer ${i}: bias - in_zp(${inZp}) * sum(row) [${No}]`, where: 'weights' });
      const call = `    ${P}_gemm_s8(${cptr(X.id)}, ${rows}, ${K}, ${L}_w, ${L}_bias, ${ptr(Y.id)}, ${No}, ${num(q, 'out_zp', n)}, ${L}_rq, ${num(q, 'act_min', n)}, ${num(q, 'act_max', n)});`;
      return { kernel: ['gemm'], call, consts, notes };
    }
    case 'AveragePool':
    case 'MaxPool': {
      const [N, IH, IW, C] = X.shape;
      const [, OH, OW] = Y.shape;
      const [kh, kw] = attrNums(n, 'kernel', [1, 1]);
      const [sh, sw] = attrNums(n, 'strides', [1, 1]);
      const [pt, pl] = attrNums(n, 'pads', [0, 0, 0, 0]);
      if (attrNums(n, 'dilations', [1, 1]).some((d) => d !== 1)) fail('EF3002', 'dilated pooling has no C kernel', { node: n.name });
      if (n.op === 'AveragePool' && n.attrs.count_include_pad === 1 && (pt > 0 || pl > 0)) fail('EF3002', 'count_include_pad average pooling has no int8 kernel', { node: n.name });
      const w16 = X.dtype === 'int16';
      if (w16 !== (Y.dtype === 'int16')) fail('EF3002', `${n.op} from ${X.dtype} to ${Y.dtype} has no C kernel`, { node: n.name });
      const k = n.op === 'AveragePool' ? 'avgpool' : 'maxpool';
      const et = w16 ? 'int16_t' : 'int8_t';
      const lines: string[] = [];
      for (let b = 0; b < N; b++)
        lines.push(
          `    ${P}_${k}_${w16 ? 's16' : 's8'}(${cptr(X.id, et)} + ${b * IH * IW * C}, ${IH}, ${IW}, ${C}, ${ptr(Y.id, et)} + ${b * OH * OW * C}, ${OH}, ${OW}, ${kh}, ${kw}, ${sh}, ${sw}, ${pt}, ${pl}, ${num(q, 'act_min', n)}, ${num(q, 'act_max', n)});`,
        );
      return { kernel: [w16 ? `${k}16` : k], call: lines.join('\n'), consts, notes };
    }
    case 'Add':
    case 'Sub':
    case 'Mul': {
      const X2 = T(n.inputs[1]);
      const in1 = operand(X, 0);
      const in2 = operand(X2, 1);
      const out = Y.shape;
      const pad4 = (s: number[]) => [...new Array(4 - s.length).fill(1), ...s];
      const dims = pad4(out);
      const st1 = bcast4(out, X.shape);
      const st2 = bcast4(out, X2.shape);
      consts.push({ sym: `${L}_bc`, ctype: 'int32_t', data: [...dims, ...st1, ...st2], comment: `layer ${i}: output dims[4], input 1 strides[4], input 2 strides[4]`, where: 'model' });
      const bc = `${L}_bc, ${L}_bc + 4, ${L}_bc + 8`;
      const w16 = Y.dtype === 'int16';
      const sfx = w16 ? 's16' : 's8';
      if (n.op === 'Mul') {
        checkMult([num(q, 'mult', n)], n);
        const call = `    ${P}_mul_${sfx}(${in1}, ${in2}, ${ptr(Y.id, w16 ? 'int16_t' : 'int8_t')}, ${bc}, ${num(q, 'in_zp', n)}, ${num(q, 'in2_zp', n)}, ${num(q, 'mult', n)}, ${num(q, 'shift', n)}, ${num(q, 'out_zp', n)}, ${num(q, 'act_min', n)}, ${num(q, 'act_max', n)});`;
        return { kernel: [w16 ? 'mul16' : 'mul'], call, consts, notes };
      }
      checkMult([num(q, 'in_mult', n), num(q, 'in2_mult', n), num(q, 'out_mult', n)], n);
      const call = `    ${P}_add_${sfx}(${in1}, ${in2}, ${ptr(Y.id, w16 ? 'int16_t' : 'int8_t')}, ${bc}, ${n.op === 'Sub' ? -1 : 1}, ${num(q, 'in_zp', n)}, ${num(q, 'in2_zp', n)}, ${num(q, 'left_shift', n)}, ${num(q, 'in_mult', n)}, ${num(q, 'in_shift', n)}, ${num(q, 'in2_mult', n)}, ${num(q, 'in2_shift', n)}, ${num(q, 'out_mult', n)}, ${num(q, 'out_shift', n)}, ${num(q, 'out_zp', n)}, ${num(q, 'act_min', n)}, ${num(q, 'act_max', n)});`;
      return { kernel: [w16 ? 'add16' : 'add'], call, consts, notes };
    }
    case 'ReduceMean': {
      const r = X.shape.length;
      const axesRaw = attrNums(n, 'axes', []);
      const axes = (axesRaw.length ? axesRaw.map((v) => (v < 0 ? v + r : v)) : X.shape.map((_, k) => k)).sort((p, q2) => p - q2);
      const contiguous = axes.every((v, k) => k === 0 || v === axes[k - 1] + 1);
      if (!contiguous) fail('EF3002', 'ReduceMean over non-adjacent axes has no C kernel', { node: n.name });
      const outer = shapeSize(X.shape.slice(0, axes[0]));
      const red = shapeSize(axes.map((v) => X.shape[v]));
      const inner = shapeSize(X.shape.slice(axes[axes.length - 1] + 1));
      const { m, s } = meanMultiplier(q, red, n);
      notes.push(`multiplier adjusted for N=${red} at prepare time`);
      const w16 = X.dtype === 'int16';
      if (w16 !== (Y.dtype === 'int16')) fail('EF3002', `ReduceMean from ${X.dtype} to ${Y.dtype} has no C kernel`, { node: n.name });
      if (w16) {
        const call16 = `    ${P}_mean_s16(${cptr(X.id, 'int16_t')}, ${ptr(Y.id, 'int16_t')}, ${outer}, ${red}, ${inner}, ${num(q, 'in_zp', n)}, ${num(q, 'out_zp', n)}, ${m}, ${s});`;
        return { kernel: ['mean16'], call: call16, consts, notes };
      }
      const call = `    ${P}_mean_s8(${cptr(X.id)}, ${ptr(Y.id)}, ${outer}, ${red}, ${inner}, ${num(q, 'in_zp', n)}, ${num(q, 'out_zp', n)}, ${m}, ${s});`;
      return { kernel: ['mean'], call, consts, notes };
    }
    case 'Softmax': {
      const r = X.shape.length;
      const axis = (((n.attrs.axis as number | undefined) ?? -1) + r) % r;
      if (axis !== r - 1) fail('EF3002', 'Softmax over a non-last axis has no C kernel', { node: n.name });
      const depth = X.shape[r - 1];
      const rows = shapeSize(X.shape) / depth;
      if (X.dtype === 'int16') {
        if (Y.dtype !== 'int16') fail('EF3002', `Softmax from int16 to ${Y.dtype} has no C kernel`, { node: n.name });
        checkMult([num(q, 'input_multiplier', n)], n);
        shiftOk(num(q, 'input_left_shift', n));
        consts.push({ sym: `${P}_softmax16_exp_lut`, ctype: 'int16_t', data: arr(q, 'exp_lut', 513, n), comment: 'TFLM softmax exp table: exp on [-10, 0], Q0.15 (513 entries, from the prepare step)', where: 'weights', shared: true });
        consts.push({ sym: `${P}_softmax16_recip_lut`, ctype: 'int16_t', data: arr(q, 'one_over_one_plus_x_lut', 513, n), comment: 'TFLM softmax 1/(1+x) table on [0, 1], Q0.15 (513 entries, from the prepare step)', where: 'weights', shared: true });
        const call16 = `    ${P}_softmax_s16(${cptr(X.id, 'int16_t')}, ${ptr(Y.id, 'int16_t')}, ${rows}, ${depth}, ${num(q, 'input_multiplier', n)}, ${num(q, 'input_left_shift', n)}, ${P}_softmax16_exp_lut, ${P}_softmax16_recip_lut);`;
        return { kernel: ['softmax16'], call: call16, consts, notes: ['16x8: TFLM SoftmaxInt16 (table exp and reciprocal)'] };
      }
      const call = `    ${P}_softmax_s8(${cptr(X.id)}, ${ptr(Y.id)}, ${rows}, ${depth}, ${num(q, 'input_multiplier', n)}, ${num(q, 'input_left_shift', n)}, ${num(q, 'diff_min', n)});`;
      return { kernel: ['softmax'], call, consts, notes };
    }
    case 'LogSoftmax': {
      const r = X.shape.length;
      const axis = (((n.attrs.axis as number | undefined) ?? -1) + r) % r;
      if (axis !== r - 1) fail('EF3002', 'LogSoftmax over a non-last axis has no C kernel', { node: n.name });
      const depth = X.shape[r - 1];
      const rows = shapeSize(X.shape) / depth;
      checkMult([num(q, 'input_multiplier', n), num(q, 'reverse_multiplier', n)], n);
      const call = `    ${P}_log_softmax_s8(${cptr(X.id)}, ${ptr(Y.id)}, ${rows}, ${depth}, ${num(q, 'input_multiplier', n)}, ${num(q, 'input_left_shift', n)}, ${num(q, 'reverse_multiplier', n)}, ${num(q, 'reverse_shift', n)}, ${num(q, 'diff_min', n)});`;
      return { kernel: ['logsoftmax'], call, consts, notes };
    }
    case 'LeakyRelu': {
      checkMult([num(q, 'mult_identity', n), num(q, 'mult_alpha', n)], n);
      if (X.dtype === 'int16' || Y.dtype === 'int16') {
        same16();
        const call16 = `    ${P}_leaky_relu_s16(${cptr(X.id, 'int16_t')}, ${ptr(Y.id, 'int16_t')}, ${shapeSize(X.shape)}, ${num(q, 'in_zp', n)}, ${num(q, 'out_zp', n)}, ${num(q, 'mult_identity', n)}, ${num(q, 'shift_identity', n)}, ${num(q, 'mult_alpha', n)}, ${num(q, 'shift_alpha', n)});`;
        return { kernel: ['leakyrelu16'], call: call16, consts, notes };
      }
      const call = `    ${P}_leaky_relu_s8(${cptr(X.id)}, ${ptr(Y.id)}, ${shapeSize(X.shape)}, ${num(q, 'in_zp', n)}, ${num(q, 'out_zp', n)}, ${num(q, 'mult_identity', n)}, ${num(q, 'shift_identity', n)}, ${num(q, 'mult_alpha', n)}, ${num(q, 'shift_alpha', n)});`;
      return { kernel: ['leakyrelu'], call, consts, notes };
    }
    case 'PRelu': {
      const A = T(n.inputs[1]);
      if (X.dtype !== 'int8' || A.dtype !== 'int8') fail('EF3002', `PRelu on ${X.dtype} with a ${A.dtype} slope has no C kernel (int8 only)`, { node: n.name });
      checkMult([num(q, 'mult_identity', n), num(q, 'mult_alpha', n)], n);
      const out = Y.shape;
      consts.push({ sym: `${L}_bc`, ctype: 'int32_t', data: [...new Array(4 - out.length).fill(1), ...out, ...bcast4(out, X.shape), ...bcast4(out, A.shape)], comment: `layer ${i}: output dims[4], element strides of x[4] and of the slope[4]`, where: 'model' });
      const call = `    ${P}_prelu_s8(${cptr(X.id)}, ${operand(A, 1)}, ${ptr(Y.id)}, ${L}_bc, ${L}_bc + 4, ${L}_bc + 8, ${num(q, 'in_zp', n)}, ${num(q, 'alpha_zp', n)}, ${num(q, 'out_zp', n)}, ${num(q, 'mult_identity', n)}, ${num(q, 'shift_identity', n)}, ${num(q, 'mult_alpha', n)}, ${num(q, 'shift_alpha', n)});`;
      return { kernel: ['prelu'], call, consts, notes };
    }
    case 'HardSwish': {
      const call = `    ${P}_hard_swish_s8(${cptr(X.id)}, ${ptr(Y.id)}, ${shapeSize(X.shape)}, ${num(q, 'in_zp', n)}, ${num(q, 'out_zp', n)}, ${num(q, 'output_multiplier', n)}, ${num(q, 'output_multiplier_exponent', n)}, ${num(q, 'reluish_multiplier', n)}, ${num(q, 'reluish_multiplier_exponent', n)});`;
      return { kernel: ['hardswish'], call, consts, notes };
    }
    case 'Transpose': {
      const r = X.shape.length;
      if (r > 4) fail('EF3002', `Transpose of a rank-${r} tensor has no C kernel (rank <= 4)`, { node: n.name });
      const perm = attrNums(n, 'perm', X.shape.map((_, k) => r - 1 - k));
      const inStr = X.shape.map((_, k) => shapeSize(X.shape.slice(k + 1)));
      const dims = [...new Array(4 - r).fill(1), ...perm.map((p) => X.shape[p])];
      const st = [...new Array(4 - r).fill(0), ...perm.map((p) => inStr[p])];
      consts.push({ sym: `${L}_tr`, ctype: 'int32_t', data: [...dims, ...st], comment: `layer ${i}: output dims[4], input element strides of the output axes[4] (perm ${perm.join(',')})`, where: 'model' });
      const es = X.dtype === 'int16' ? 2 : 1;
      const call = `    ${P}_transpose(${cptr(X.id)}, ${ptr(Y.id)}, ${L}_tr, ${L}_tr + 4, ${es});`;
      return { kernel: ['transpose'], call, consts, notes: [`perm [${perm.join(',')}]`] };
    }
    case 'Max':
    case 'Min': {
      if (((n.attrs.activation as string | undefined) ?? 'none') !== 'none') fail('EF3002', `${n.op} with a fused activation has no C kernel`, { node: n.name });
      const ins = n.inputs.filter((id) => id >= 0);
      const isMax = n.op === 'Max' ? 1 : 0;
      const out = Y.shape;
      const w16 = Y.dtype === 'int16';
      if (ins.some((id) => (T(id).dtype === 'int16') !== w16)) fail('EF3002', `${n.op} of int8 and int16 tensors has no C kernel`, { node: n.name });
      const et = w16 ? 'int16_t' : 'int8_t';
      if (ins.length === 1) return { kernel: ['copy'], call: `    ${P}_copy(${ptr(Y.id)}, ${operand(T(ins[0]), 0)}, ${shapeSize(out) * (w16 ? 2 : 1)});`, consts, notes };
      const st = (id: number) => bcast4(out, T(id).shape);
      const dims = [...new Array(4 - out.length).fill(1), ...out];
      const lines: string[] = [];
      ins.slice(1).forEach((id, k) => {
        const sym = `${L}_bc${k}`;
        const first = k === 0;
        consts.push({ sym, ctype: 'int32_t', data: [...dims, ...(first ? st(ins[0]) : bcast4(out, out)), ...st(id)], comment: `layer ${i}: output dims[4], input strides[4] x2 (step ${k})`, where: 'model' });
        lines.push(`    ${P}_minmax_${w16 ? 's16' : 's8'}(${first ? operand(T(ins[0]), 0) : cptr(Y.id, et)}, ${operand(T(id), k + 1)}, ${ptr(Y.id, et)}, ${sym}, ${sym} + 4, ${sym} + 8, ${isMax});`);
      });
      return { kernel: [w16 ? 'minmax16' : 'minmax'], call: lines.join('\n'), consts, notes };
    }
    case 'Sigmoid': {
      if (X.dtype === 'int16') return logistic16('logistic');
      const call = `    ${P}_logistic_s8(${cptr(X.id)}, ${ptr(Y.id)}, ${shapeSize(X.shape)}, ${num(q, 'in_zp', n)}, ${num(q, 'input_multiplier', n)}, ${num(q, 'input_left_shift', n)}, ${num(q, 'input_range_radius', n)});`;
      return { kernel: ['logistic'], call, consts, notes };
    }
    case 'Quantize': {
      if ((X.dtype === 'int16' || Y.dtype === 'int16') && num(q, 'requant', n) === 1) {
        if (X.dtype === 'uint8' || Y.dtype === 'uint8') fail('EF3002', 'Quantize between uint8 and int16 has no C kernel', { node: n.name });
        checkMult([num(q, 'mult', n)], n);
        const call = `    ${P}_requant_s16(${cptr(X.id, 'void')}, ${X.dtype === 'int16' ? 16 : 8}, ${ptr(Y.id, 'void')}, ${Y.dtype === 'int16' ? 16 : 8}, ${shapeSize(X.shape)}, ${num(q, 'in_zp', n)}, ${num(q, 'out_zp', n)}, ${num(q, 'mult', n)}, ${num(q, 'shift', n)});`;
        return { kernel: ['requant16'], call, consts, notes };
      }
      if (!['int8', 'uint8'].includes(X.dtype) || num(q, 'requant', n) !== 1)
        fail('EF3002', `Quantize from ${X.dtype} has no C kernel (the C library takes integer I/O)`, { node: n.name });
      checkMult([num(q, 'mult', n)], n);
      const call = `    ${P}_requant_s8u8(${cptr(X.id, 'uint8_t')}, ${X.dtype === 'uint8' ? 1 : 0}, ${ptr(Y.id, 'uint8_t')}, ${Y.dtype === 'uint8' ? 1 : 0}, ${shapeSize(X.shape)}, ${num(q, 'in_zp', n)}, ${num(q, 'out_zp', n)}, ${num(q, 'mult', n)}, ${num(q, 'shift', n)});`;
      return { kernel: ['requant'], call, consts, notes };
    }
    case 'Relu':
    case 'Clip': {
      if (X.dtype === 'int16' || Y.dtype === 'int16') {
        same16();
        const sameQ = num(q, 'same_quant', n);
        if (sameQ !== 1) checkMult([num(q, 'mult', n)], n);
        const call16 = `    ${P}_clamp_s16(${cptr(X.id, 'int16_t')}, ${ptr(Y.id, 'int16_t')}, ${shapeSize(X.shape)}, ${sameQ}, ${num(q, 'in_zp', n)}, ${num(q, 'out_zp', n)}, ${num(q, 'mult', n)}, ${num(q, 'shift', n)}, ${num(q, 'act_min', n)}, ${num(q, 'act_max', n)});`;
        return { kernel: ['clamp16'], call: call16, consts, notes };
      }
      if (num(q, 'same_quant', n) === 1) {
        const call = `    ${P}_clamp_s8(${cptr(X.id)}, ${ptr(Y.id)}, ${shapeSize(X.shape)}, ${num(q, 'act_min', n)}, ${num(q, 'act_max', n)});`;
        return { kernel: ['clamp'], call, consts, notes };
      }
      checkMult([num(q, 'mult', n)], n);
      const call = `    ${P}_requant_clamp_s8(${cptr(X.id)}, ${ptr(Y.id)}, ${shapeSize(X.shape)}, ${num(q, 'in_zp', n)}, ${num(q, 'out_zp', n)}, ${num(q, 'mult', n)}, ${num(q, 'shift', n)}, ${num(q, 'act_min', n)}, ${num(q, 'act_max', n)});`;
      return { kernel: ['rqclamp'], call, consts, notes };
    }
    case 'Tanh': {
      if (X.dtype === 'int16') return logistic16('tanh');
      const call = `    ${P}_tanh_s8(${cptr(X.id)}, ${ptr(Y.id)}, ${shapeSize(X.shape)}, ${num(q, 'in_zp', n)}, ${num(q, 'input_multiplier', n)}, ${num(q, 'input_left_shift', n)}, ${num(q, 'input_range_radius', n)});`;
      return { kernel: ['tanh'], call, consts, notes };
    }
    case 'Reshape':
    case 'Identity': {
      return {
        kernel: ['copy'],
        call: `    ${P}_copy(${ptr(Y.id)}, ${cptr(X.id)}, ${shapeSize(X.shape) * (X.dtype === 'int16' ? 2 : 1)}); /* no-op when the plan aliased the two */`,
        consts,
        notes: ['bytes unchanged'],
      };
    }
    case 'Pad': {
      const r = X.shape.length;
      if (r > 4 || r < 1) fail('EF3002', `Pad of a rank-${r} tensor has no C kernel (ranks 1 to 4)`, { node: n.name });
      if (((n.attrs.mode as string | undefined) ?? 'constant') !== 'constant') fail('EF3002', 'only constant Pad has a C kernel', { node: n.name });
      // ranks below 4 run as 4-D with leading unit axes (no padding on them)
      const p0 = attrNums(n, 'pads', new Array(2 * r).fill(0));
      const lead = new Array(4 - r).fill(0);
      const pads = [...lead, ...p0.slice(0, r), ...lead, ...p0.slice(r)];
      const X4 = [...new Array(4 - r).fill(1), ...X.shape];
      const Y4 = [...new Array(4 - r).fill(1), ...Y.shape];
      if (pads.some((v) => v < 0)) fail('EF3002', 'Pad with negative pads (cropping) has no C kernel', { node: n.name });
      const value = num(q, 'pad_value', n);
      consts.push({ sym: `${L}_dims`, ctype: 'int32_t', data: [...X4, ...Y4, ...pads.slice(0, 4)], comment: `layer ${i}: input dims, output dims, pads before (4-D)`, where: 'model' });
      if (X.dtype === 'int16' || Y.dtype === 'int16') {
        same16();
        const call16 = `    ${P}_pad_s16(${cptr(X.id, 'int16_t')}, ${L}_dims, ${ptr(Y.id, 'int16_t')}, ${L}_dims + 4, ${L}_dims + 8, ${value});`;
        return { kernel: ['pad16'], call: call16, consts, notes: [`filled with ${value}`] };
      }
      const call = `    ${P}_pad_s8(${cptr(X.id)}, ${L}_dims, ${ptr(Y.id)}, ${L}_dims + 4, ${L}_dims + 8, ${value});`;
      return { kernel: ['pad'], call, consts, notes: [`filled with ${value}`] };
    }
    case 'Concat': {
      const r = Y.shape.length;
      const axis = (((n.attrs.axis as number) ?? 0) + r) % r;
      const outer = shapeSize(Y.shape.slice(0, axis));
      const inner = shapeSize(Y.shape.slice(axis + 1));
      const ins = n.inputs.filter((id) => id >= 0);
      const rq = arr(q, 'requant', ins.length, n);
      const zps = arr(q, 'in_zp', ins.length, n);
      const ms = arr(q, 'mult', ins.length, n);
      const ss = arr(q, 'shift', ins.length, n);
      const lines: string[] = [];
      const kernels = ['copy'];
      let off = 0;
      const rowOut = Y.shape[axis] * inner;
      const w16 = Y.dtype === 'int16';
      if (ins.some((id) => (T(id).dtype === 'int16') !== w16)) fail('EF3002', 'Concat of int8 and int16 tensors has no C kernel', { node: n.name });
      ins.forEach((id, k) => {
        const t = T(id);
        const rowIn = t.shape[axis] * inner;
        const dst = `${ptr(Y.id, w16 ? 'int16_t' : 'int8_t')} + (size_t)o * ${rowOut} + ${off}`;
        const src = `${operand(t, k)} + (size_t)o * ${rowIn}`;
        if (rq[k] === 0) lines.push(`        for (o = 0; o < ${outer}; ++o) ${P}_copy(${dst}, ${src}, ${w16 ? rowIn * 2 : rowIn});`);
        else if (w16) {
          checkMult([ms[k]], n);
          kernels.push('requant16');
          lines.push(`        for (o = 0; o < ${outer}; ++o) ${P}_requant_s16(${src}, 16, ${dst}, 16, ${rowIn}, ${zps[k]}, ${num(q, 'out_zp', n)}, ${ms[k]}, ${ss[k]});`);
        } else {
          checkMult([ms[k]], n);
          kernels.push('requant');
          lines.push(`        for (o = 0; o < ${outer}; ++o) ${P}_requant_s8u8(${src}, 0, ${dst}, 0, ${rowIn}, ${zps[k]}, ${num(q, 'out_zp', n)}, ${ms[k]}, ${ss[k]});`);
        }
        off += rowIn;
      });
      return { kernel: kernels, call: `    {\n        int o;\n${lines.join('\n')}\n    }`, consts, notes };
    }
    case 'Slice': {
      const r = X.shape.length;
      if (r > 4) fail('EF3002', `Slice of a rank-${r} tensor has no C kernel (rank <= 4)`, { node: n.name });
      if (X.dtype !== 'int8' && X.dtype !== 'uint8' && X.dtype !== 'int16') fail('EF3002', `Slice on ${X.dtype} has no C kernel`, { node: n.name });
      const total = shapeSize(Y.shape);
      if (total === 0) return { kernel: [], call: '    /* empty slice */', consts, notes };
      // The source element of every output element, from the op's own evaluation on an index tensor: the map is
      // affine (base + sum i_k * stride_k); derive base and strides and check them on every element.
      const src = sourceIndex(n, X);
      const inStr = X.shape.map((_, k) => shapeSize(X.shape.slice(k + 1)));
      const outStr = Y.shape.map((_, k) => shapeSize(Y.shape.slice(k + 1)));
      const base = src[0];
      const st = Y.shape.map((d, k) => (d > 1 ? src[outStr[k]] - base : inStr[k]));
      for (let e = 0; e < total; e++) {
        let want = base;
        for (let k = 0; k < r; k++) want += Math.floor(e / outStr[k]) % Y.shape[k] * st[k];
        if (src[e] !== want) fail('EF9001', `Slice '${n.name}': the selection is not a strided copy`, { node: n.name });
      }
      const dims = [...new Array(4 - r).fill(1), ...Y.shape];
      consts.push({ sym: `${L}_sl`, ctype: 'int32_t', data: [...dims, ...new Array(4 - r).fill(0), ...st], comment: `layer ${i}: output dims[4], signed input element strides of the output axes[4]`, where: 'model' });
      if (X.dtype === 'int16') {
        const call16 = `    ${P}_strided_s16(${cptr(X.id, 'int16_t')} + ${base}, ${ptr(Y.id, 'int16_t')}, ${L}_sl, ${L}_sl + 4);`;
        return { kernel: ['strided16'], call: call16, consts, notes: [`first element read: ${base}`] };
      }
      const call = `    ${P}_strided_s8(${cptr(X.id)} + ${base}, ${ptr(Y.id)}, ${L}_sl, ${L}_sl + 4);`;
      return { kernel: ['strided'], call, consts, notes: [`first element read: ${base}`] };
    }
    case 'Gather': {
      const I = T(n.inputs[1]);
      if (!I.data) fail('EF3002', 'Gather with non-constant indices has no C kernel', { node: n.name });
      if (X.dtype !== 'int8' && X.dtype !== 'uint8' && X.dtype !== 'int16') fail('EF3002', `Gather on ${X.dtype} has no C kernel`, { node: n.name });
      const es = X.dtype === 'int16' ? 2 : 1;
      const r = X.shape.length;
      const axis = ((((n.attrs.axis as number | undefined) ?? 0) % r) + r) % r;
      const dim = X.shape[axis];
      const idx = Array.from(I.data as ArrayLike<number>, (v) => (v < 0 ? v + dim : v));
      if (idx.some((v) => !Number.isInteger(v) || v < 0 || v >= dim)) fail('EF1004', `Gather '${n.name}': index out of range for an axis of size ${dim}`, { node: n.name });
      const outer = shapeSize(X.shape.slice(0, axis));
      const inner = shapeSize(X.shape.slice(axis + 1));
      if (idx.length === 0 || outer * inner === 0) return { kernel: [], call: '    /* empty gather */', consts, notes };
      consts.push({ sym: `${L}_idx`, ctype: 'int32_t', data: idx, comment: `layer ${i}: indices along axis ${axis} (normalised)`, where: 'model' });
      // rows of `inner` elements are moved as bytes: an int16 row is 2 * inner bytes
      const call = `    ${P}_gather_s8(${cptr(X.id)}, ${ptr(Y.id)}, ${outer}, ${dim}, ${inner * es}, ${L}_idx, ${idx.length});`;
      return { kernel: ['gather'], call, consts, notes: [`axis ${axis}`] };
    }
    case 'ReduceMax': {
      if (X.dtype !== 'int8' && X.dtype !== 'int16') fail('EF3002', `ReduceMax on ${X.dtype} has no C kernel (int8/int16 only: the kernel compares signed values)`, { node: n.name });
      const r = X.shape.length;
      const axesRaw = attrNums(n, 'axes', []);
      const axes = [...new Set(axesRaw.length ? axesRaw.map((v) => (v < 0 ? v + r : v)) : X.shape.map((_, k) => k))].sort((p, q2) => p - q2);
      if (!axes.every((v, k) => k === 0 || v === axes[k - 1] + 1)) fail('EF3002', 'ReduceMax over non-adjacent axes has no C kernel', { node: n.name });
      const outer = shapeSize(X.shape.slice(0, axes[0]));
      const red = shapeSize(axes.map((v) => X.shape[v]));
      const inner = shapeSize(X.shape.slice(axes[axes.length - 1] + 1));
      if (red < 1) fail('EF3002', 'ReduceMax over an empty axis has no C kernel', { node: n.name });
      if (X.dtype === 'int16') {
        const call16 = `    ${P}_reduce_max_s16(${cptr(X.id, 'int16_t')}, ${ptr(Y.id, 'int16_t')}, ${outer}, ${red}, ${inner});`;
        return { kernel: ['reducemax16'], call: call16, consts, notes: [`axes [${axes.join(',')}]`] };
      }
      const call = `    ${P}_reduce_max_s8(${cptr(X.id)}, ${ptr(Y.id)}, ${outer}, ${red}, ${inner});`;
      return { kernel: ['reducemax'], call, consts, notes: [`axes [${axes.join(',')}]`] };
    }
    case 'Resize': {
      const attrs = normalizeAttrs(getOp('Resize'), n.attrs, n.name);
      if (attrs.mode !== 'nearest') fail('EF3002', `Resize mode '${String(attrs.mode)}' has no C kernel (nearest only)`, { node: n.name });
      if (X.dtype !== 'int8' && X.dtype !== 'uint8' && X.dtype !== 'int16') fail('EF3002', `Resize on ${X.dtype} has no C kernel`, { node: n.name });
      const [N, H, W, C] = X.shape;
      const [, OH, OW] = Y.shape;
      // Row and column tables from the op's own evaluation on a one-image, one-channel index tensor (same
      // coordinate map: the scales do not depend on N or C).
      const probe = getOp('Resize').evalFloat(
        [{ dtype: 'float64', shape: [1, H, W, 1], data: Float64Array.from({ length: H * W }, (_, k) => k) }],
        { ...attrs, sizes: [1, OH, OW, 1] },
        n,
      )[0].data;
      const ty = Array.from({ length: OH }, (_, y) => Math.floor(probe[y * OW] / W));
      const tx = Array.from({ length: OW }, (_, x) => probe[x] % W);
      for (let y = 0; y < OH; y++) for (let x = 0; x < OW; x++) if (probe[y * OW + x] !== ty[y] * W + tx[x]) fail('EF9001', `Resize '${n.name}': the nearest map is not separable`, { node: n.name });
      consts.push({ sym: `${L}_tab`, ctype: 'int32_t', data: [...ty, ...tx], comment: `layer ${i}: source row per output row [${OH}], source column per output column [${OW}]`, where: 'model' });
      // a pixel of C elements is moved as bytes: an int16 pixel is 2 * C bytes
      const call = `    ${P}_resize_nearest_s8(${cptr(X.id)}, ${ptr(Y.id)}, ${N}, ${H}, ${W}, ${C * (X.dtype === 'int16' ? 2 : 1)}, ${OH}, ${OW}, ${L}_tab, ${L}_tab + ${OH});`;
      return { kernel: ['resizenn'], call, consts, notes: [`${String(attrs.coordinate_transformation_mode)}, ${String(attrs.nearest_mode)}`] };
    }
  }
  a('');
  return fail('EF3002', `${n.op} has no C kernel`, { node: n.name });
}

/**
 * MEAN's multiplier: the prepare step (src/sim/int/reduce-mean.ts) stores the count-adjusted pair
 * M' = (M·2^sh)/N, S' = S − sh (INT8-ARITHMETIC.md 11) in mult/shift, with N in count.
 */
function meanMultiplier(q: QP | undefined, count: number, n: Node): { m: number; s: number } {
  const c = num(q, 'count', n);
  if (c !== count) fail('EF9001', `ReduceMean prepared for N=${c} but the C kernel reduces N=${count}`, { node: n.name });
  const m = num(q, 'mult', n);
  checkMult([m], n);
  return { m, s: num(q, 'shift', n) };
}
