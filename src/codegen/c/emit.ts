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
import { overlapRange } from '../../plan/overlap.js';
import { banner, cArrayBody, commentSafe, sanitizeName, type Provenance } from '../common/cwriter.js';
import { kernelFiles, sectionVariants } from './kernels.js';
import { INT8_ONLY_OPS, ptqKeepsFloat } from '../../quant/policy.js';
import { CTYPE_BYTES, ctype, floatLit, qstr, shp, type BackendCtx, type ConstArray, type LayerCode, type LowerCtx, type RowArgs } from './lowering.js';
import { C_LOWERINGS, cLowering, cTakesInt16, supportsC } from './ops/index.js';
import { emitBandPair, rowBandCandidates, type BandPair } from './row-bands.js';

export type { BackendCtx, CLowering, ConstArray, LayerCode, LowerCtx } from './lowering.js';
export { packColumns, rqTable } from './lowering.js';

export interface EmitOptions extends Provenance {
  /** Symbol prefix (sanitised); default from the model file stem. */
  name?: string;
  /** A target back end (e.g. ESP-NN, src/codegen/espnn/) that takes some layers instead of the portable kernels. */
  backend?: LayerBackend;
  /** Let a layer's output overlap its own input where the portable kernel's memory walk allows it (default on). */
  overlap?: boolean;
  /**
   * Test hooks of the memory plan (src/plan/planner.ts): arena offset alignment (default 16; the arena itself stays
   * 16-aligned and a multiple of 16), and `overlapAt` to put every overlap pair at one end of its allowed range.
   */
  planAlignment?: number;
  overlapAt?: 'below' | 'above';
  /**
   * Row bands (build --row-bands): offer the planner the layer pairs that can run interleaved one output row at a
   * time (src/codegen/c/row-bands.ts); it takes those that make the arena smaller. Off: nothing changes.
   */
  rowBands?: boolean;
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

/** Ops with a portable C kernel (`inspect --list-ops` shows them): the lowering table's keys. */
export const SUPPORTED: ReadonlySet<string> = new Set(C_LOWERINGS.keys());

/** Ops whose C kernels also take int16 activations (16x8: int8 weights, int64 bias), as their lowerings declare. */
export const INT16_C_OPS: ReadonlySet<string> = new Set([...C_LOWERINGS.values()].filter((l) => l.int16).map((l) => l.op));

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
    // ops with a kernel that PTQ keeps float under a condition of their own (a grouped ConvTranspose, a PRelu with
    // a computed slope): their advice, not "it has an int8 kernel"
    const keptFloat = new Set(floatOps.filter((n) => ptqKeepsFloat(n, g.tensors)).map((n) => n.op));
    const noKernel = (k: string) => !supportsC(k) || keptFloat.has(k);
    problems.push(
      diag('EF3002', `the quantized model still runs ${floatOps.length} operator(s) in float, which the integer-only C library cannot do: ${list.join(', ')}`, {
        node: floatOps[0].name,
        suggestion: kinds.filter(noKernel).map(noIntegerKernelAdvice).join('; ') || undefined,
        notes: [
          'PTQ kept these in float between Dequantize and Quantize nodes (float islands); `espforge run --quantized` can still simulate the model',
          ...kinds
            .filter((k) => !noKernel(k) && !INT8_ONLY_OPS.has(k))
            .map((k) => `${k} has an int8 kernel: it is float here because PTQ kept it in the float island with the operators above`),
          ...kinds.filter((k) => !noKernel(k) && INT8_ONLY_OPS.has(k)).map((k) => `${k} has an int8 kernel but no int16 one: quantize with espforge (which runs it as an int8 island under --scheme int16) to keep it integer`),
        ],
      }),
    );
  }
  for (const n of g.nodes) {
    if (islandNode(n)) continue;
    if (!supportsC(n.op)) {
      problems.push(diag('EF3002', `${n.op} has no C kernel in espforge yet`, { node: n.name }));
      continue;
    }
    if (cLowering(n.op)?.ownDtypes) continue;
    for (const id of [...n.inputs, ...n.outputs]) {
      if (id < 0) continue;
      const t = g.tensors[id];
      if (t.data) continue;
      if (!['int8', 'uint8'].includes(t.dtype) && !(t.dtype === 'int16' && cTakesInt16(n.op)))
        problems.push(
          diag('EF3002', `${n.op} on ${t.dtype} tensor '${t.name}' has no C kernel (int8/uint8${cTakesInt16(n.op) ? '/int16' : ''} only)`, { node: n.name }),
        );
    }
  }
  if (problems.length) throw new EspforgeError(problems);

  const backend = opts.backend;
  const bandCands = opts.rowBands ? rowBandCandidates(g, (i) => backend?.takes(i) === true) : undefined;
  const plan = planMemory(g, {
    ...(bandCands ? { rowBands: bandCands } : {}),
    ...(opts.planAlignment !== undefined ? { alignment: opts.planAlignment } : {}),
    overlapAt: opts.overlapAt,
    scratchBytes: backend ? (i) => (backend.takes(i) ? backend.scratchBytes(i) : 0) : undefined,
    alias: (i) => cLowering(g.nodes[i].op)?.alias === true,
    inPlace: (i) => {
      const n = g.nodes[i];
      const inPlace = cLowering(n.op)?.inPlace;
      return inPlace !== undefined && inPlace(g.tensors[n.inputs[0]], g.tensors[n.outputs[0]]);
    },
    // only portable kernels declare their walk: a back end's layer (ESP-NN) never overlaps
    overlap:
      opts.overlap === false
        ? undefined
        : (i) => {
            if (backend?.takes(i)) return undefined;
            const n = g.nodes[i];
            const low = cLowering(n.op);
            const wc = { n, q: n.qparams as LowerCtx['q'], T: (id: number) => g.tensors[id], X: g.tensors[n.inputs[0]], Y: g.tensors[n.outputs[0]] };
            const walk = low?.walk?.(wc);
            return walk ? { ...overlapRange(walk), ...(low?.overlapCost?.(wc) ? { preferApart: true } : {}) } : undefined;
          },
  });
  const overlapped = new Set(plan.overlaps.filter((o) => o.overlapping).map((o) => o.node));
  const bandAt = new Map<number, BandPair>();
  for (const u of plan.rowBands?.used ?? []) bandAt.set(u.producer, bandCands!.find((b) => b.producer === u.producer)!);
  let bandConsumer: LayerCode | undefined; // the consumer's LayerCode of the pair emitted at the layer before

  const consts: ConstArray[] = [];
  const used = new Set<string>(['copy']);
  const variants = new Set<string>();
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
    const band = bandAt.get(i);
    let lc: LayerCode;
    if (band) {
      const pc = emitBandPair(g, band, P, (k, rows) => emitLayer(g, g.nodes[k], k, P, ptr, cptr, false, rows), ptr, cptr);
      lc = pc.producer;
      bandConsumer = pc.consumer;
    } else if (bandConsumer) {
      lc = bandConsumer;
      bandConsumer = undefined;
    } else
      lc = backend?.takes(i)
        ? backend.emit(n, i, { P, L: `${P}_L${i}`, ptr, cptr, scratchOffset: sc?.offset, scratchSize: sc?.size, samePlace })
        : emitLayer(g, n, i, P, ptr, cptr, overlapped.has(i));
    lc.kernel.forEach((k) => used.add(k));
    lc.variants?.forEach((v) => variants.add(v));
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
  const arenaSize = Math.ceil(Math.max(16, plan.arenaSize) / 16) * 16;
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
  const lb = plan.lowerBound === plan.disjointLowerBound ? `${plan.lowerBound}` : `${plan.lowerBound} with outputs over their inputs, ${plan.disjointLowerBound} with every tensor apart`;
  c.push(`/* Memory plan: one static arena, ${arenaSize} bytes (lower bound ${lb}, alignment ${plan.alignment}).`);
  c.push(` *   tensor                                   offset     size  live`);
  const rows = [...plan.tensors.values()].sort((a, b) => a.offset - b.offset || a.firstUse - b.firstUse);
  for (const r of rows)
    c.push(
      ` *   ${commentSafe(r.name).slice(0, 40).padEnd(40)} ${String(r.offset).padStart(7)}  ${String(r.size).padStart(7)}  [${r.firstUse},${r.lastUse}]${
        r.aliasOf !== undefined ? ` alias of ${commentSafe(g.tensors[r.aliasOf].name).slice(0, 30)}` : ''
      }`,
    );
  for (const s of plan.scratch.values()) c.push(` *   (scratch of layer ${s.node})${''.padEnd(20)} ${String(s.offset).padStart(7)}  ${String(s.size).padStart(7)}`);
  if (plan.rowBands)
    c.push(` *   row bands (--row-bands): ${bandAt.size ? [...bandAt.values()].map((b) => `layers ${b.producer}+${b.consumer}`).join(', ') : 'none taken'}; arena without them ${Math.ceil(Math.max(16, plan.rowBands.arenaWithout) / 16) * 16} bytes`);
  for (const o of plan.overlaps.filter((x) => x.overlapping))
    c.push(` *   layer ${o.node} writes its output ${o.d} bytes from its input (its kernel's walk allows d <= ${o.range.below} or d >= ${o.range.above})`);
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
  const kf = kernelFiles([...used].filter((k) => !k.includes(':')), P, kb, variants);
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

/** One layer through its op's lowering (src/codegen/c/ops/), which must name only the kernel sections it declares. */
function emitLayer(
  g: Graph,
  n: Node,
  i: number,
  P: string,
  ptr: (id: number, cast?: string) => string,
  cptr: (id: number, cast?: string) => string,
  overlapped: boolean,
  rows?: RowArgs,
): LayerCode {
  const low = cLowering(n.op);
  if (!low) return fail('EF3002', `${n.op} has no C kernel`, { node: n.name });
  const def = getOp(n.op);
  const c: LowerCtx = {
    g,
    n,
    i,
    P,
    L: `${P}_L${i}`,
    q: n.qparams as LowerCtx['q'],
    T: (id) => g.tensors[id],
    X: g.tensors[n.inputs[0]],
    Y: g.tensors[n.outputs[0]],
    ptr,
    cptr,
    consts: [],
    notes: [],
    variants: [],
    def,
    attrs: () => normalizeAttrs(def, n.attrs, n.name),
    overlapped,
    ...(rows ? { rows } : {}),
  };
  const lc = low.emit(c);
  if (overlapped) lc.notes.push('output overlaps the input in the arena: the kernel writes only bytes no later step reads (memory plan)');
  if (c.variants.length) lc.variants = [...(lc.variants ?? []), ...c.variants];
  const stray = lc.kernel.filter((k) => !low.kernels.includes(k));
  if (stray.length) fail('EF9001', `the C lowering of ${n.op} used kernel section(s) ${stray.join(', ')} it does not declare`, { node: n.name });
  for (const k of lc.kernel) {
    const vs = sectionVariants(k);
    if (vs.length && !vs.some((v) => lc.variants?.includes(v)))
      fail('EF9001', `the C lowering of ${n.op} uses kernel section ${k} without naming which of its blocks (${vs.join(', ')}) it reaches`, { node: n.name });
  }
  return lc;
}
