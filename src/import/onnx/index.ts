// ONNX importer: ModelProto bytes → canonical IR graph (NHWC, shapes inferred, verified).
//
// Layout contract for callers: a channels-first graph input that reaches a spatial op (Conv, pools, BatchNorm,
// Resize, ...) is stored channels-last and carries `sourcePerm`: 4-D NCHW inputs become NHWC with
// sourcePerm [0,2,3,1]; 3-D [N,C,L] inputs become [N,L,C] with sourcePerm [0,2,1]. Graph outputs that end
// channels-last carry the same. In both directions, `stored = transpose(source, sourcePerm)` (numpy
// semantics: stored.shape[i] = source.shape[sourcePerm[i]]) and `source = transpose(stored, inverse(sourcePerm))`;
// src/ir/layout.ts (toStoredLayout / toSourceLayout) does exactly this.

import { EspforgeError, fail, type Diagnostic, diag } from '../../diagnostics.js';
import { shapeSize } from '../../ir/dtype.js';
import { pruneGraph, type Graph } from '../../ir/graph.js';
import { inferGraph } from '../../ops/infer.js';
import { verifyGraph } from '../../ops/verify.js';
import { getOp, hasOp } from '../../ops/index.js';
import type { OpLayout, Value } from '../../ops/types.js';
import type { ImportOptions } from '../index.js';
import { NodeAttrs } from './attrs.js';
import { OnnxContext, PLAIN, type Sym } from './context.js';
import { fuseLayerNormChains } from './fuse-layernorm.js';
import { OP_TABLE } from './ops/index.js';
import { num, onnx, type GraphProto, type ModelProto, type ValueInfoProto } from './proto.js';
import { checkDims, onnxDType, tensorFromProto } from './tensor.js';

export { readTensorProto, writeTensorProto } from './tensor.js';
export { SUPPORTED_ONNX_OPS } from './ops/index.js';

/** Opsets newer than this are accepted (operators keep their newest known semantics) with a note. */
const NEWEST_KNOWN_OPSET = 25;

/**
 * Layout role of an ONNX op when choosing graph-input layouts: a registry op of the same name has it in its
 * definition (OpDef.layout); ONNX ops with no registry op of that name are listed here. 'spatial' = needs its
 * input channels-last (a channels-first graph input reaching one is stored NHWC); 'transparent' = "reaches a
 * spatial op" is followed through it.
 */
const ONNX_ONLY_LAYOUT: Readonly<Record<string, OpLayout>> = {
  GlobalAveragePool: 'spatial',
  GlobalMaxPool: 'spatial',
  Upsample: 'spatial',
  Dropout: 'transparent',
  QuantizeLinear: 'transparent',
  DequantizeLinear: 'transparent',
};

function layoutOf(onnxOp: string): OpLayout | undefined {
  return hasOp(onnxOp) ? getOp(onnxOp).layout : Object.prototype.hasOwnProperty.call(ONNX_ONLY_LAYOUT, onnxOp) ? ONNX_ONLY_LAYOUT[onnxOp] : undefined;
}

export function decodeModel(bytes: Uint8Array, file: string): ModelProto {
  let m: ModelProto;
  try {
    m = onnx.ModelProto.decode(bytes);
  } catch (e) {
    return fail('EF2001', `not a valid ONNX model: ${(e as Error).message}`, {
      file,
      suggestion: 'the file is truncated or is not an ONNX ModelProto; re-export it',
    });
  }
  if (!m.graph) fail('EF2001', 'the ONNX model has no graph', { file });
  return m;
}

export function defaultOpset(m: ModelProto, file: string): number {
  const imp = (m.opsetImport ?? []).find((o) => !o.domain || o.domain === 'ai.onnx');
  if (!imp) {
    if ((m.opsetImport ?? []).length === 0 && num(m.irVersion) > 0 && num(m.irVersion) < 3) return 1;
    return fail('EF2007', 'the model imports no version of the default ONNX operator set', { file });
  }
  const v = num(imp.version);
  if (!Number.isSafeInteger(v) || v < 1) fail('EF2007', `invalid default-domain opset ${v}`, { file });
  return v;
}

/**
 * Names of graph inputs (not initializers) that feed inputs which must be constants (weights, shapes, axes,
 * pads, scales, ...): the ONNX node tests pass such values as graph inputs; a runner binds them.
 */
export function onnxConstantInputs(bytes: Uint8Array, file = '<model.onnx>'): Set<string> {
  const m = decodeModel(bytes, file);
  const opset = defaultOpset(m, file);
  const g = m.graph!;
  const inits = new Set((g.initializer ?? []).map((t) => t.name));
  const inputs = new Set((g.input ?? []).map((v) => v.name).filter((n) => !inits.has(n)));
  const out = new Set<string>();
  for (const n of g.node ?? []) {
    const e = OP_TABLE[n.opType ?? ''];
    const ports = e?.constInputs?.(opset) ?? [];
    for (const p of ports) {
      const name = n.input?.[p];
      if (name && inputs.has(name)) out.add(name);
    }
  }
  return out;
}

function valueInfoShape(v: ValueInfoProto, file: string, notes: string[]): { dims: number[]; elem: number } | undefined {
  const tt = v.type?.tensorType;
  if (!tt) return undefined;
  const elem = num(tt.elemType);
  if (!tt.shape) return { dims: [], elem };
  const dims: number[] = [];
  for (const d of tt.shape.dim ?? []) {
    if (d.value === 'dimValue' && num(d.dimValue) >= 0) {
      dims.push(num(d.dimValue));
    } else {
      notes.push(`input '${v.name}': symbolic dimension '${d.dimParam || '?'}' taken as 1`);
      dims.push(1);
    }
  }
  checkDims(dims, `graph input '${v.name}'`, file);
  return { dims, elem };
}

/** Which graph inputs reach a spatial op through element-wise ops (those are stored channels-last). */
function inputsReachingSpatial(g: GraphProto): Set<string> {
  const consumers = new Map<string, { op: string; outs: string[]; port: number }[]>();
  for (const n of g.node ?? []) {
    (n.input ?? []).forEach((i, port) => {
      if (!i) return;
      const l = consumers.get(i) ?? [];
      l.push({ op: n.opType ?? '', outs: (n.output ?? []).filter((o) => o), port });
      consumers.set(i, l);
    });
  }
  const res = new Set<string>();
  for (const inp of g.input ?? []) {
    const seen = new Set<string>();
    const stack = [inp.name ?? ''];
    let hit = false;
    while (stack.length && !hit) {
      const v = stack.pop()!;
      if (seen.has(v)) continue;
      seen.add(v);
      for (const c of consumers.get(v) ?? []) {
        const role = layoutOf(c.op);
        if (role === 'spatial' && c.port === 0) hit = true;
        else if (role === 'transparent') stack.push(...c.outs.slice(0, 1));
      }
    }
    if (hit) res.add(inp.name ?? '');
  }
  return res;
}

export function importOnnx(bytes: Uint8Array, file: string, opts: ImportOptions = {}): Graph {
  const m = decodeModel(bytes, file);
  const g = m.graph!;
  const opset = defaultOpset(m, file);
  const ctx = new OnnxContext(file, opset, {
    format: 'onnx',
    source: file,
    producer: [m.producerName, m.producerVersion].filter(Boolean).join(' ') || undefined,
    info: { irVersion: num(m.irVersion), opset },
  });
  if (opset > NEWEST_KNOWN_OPSET) ctx.notes.push(`opset ${opset} is newer than ${NEWEST_KNOWN_OPSET}; operators are read with their newest known semantics`);

  // 0. PyTorch's opset < 17 LayerNorm decomposition becomes one LayerNormalization (before Sqrt is refused below)
  const fusedLn = fuseLayerNormChains(g, file);
  if (fusedLn) ctx.notes.push(`${fusedLn} LayerNorm decomposition${fusedLn > 1 ? 's' : ''} (ReduceMean…Sqrt…Div) fused into LayerNormalization`);

  // 1. every unsupported operator at once
  const unsupported: Diagnostic[] = [];
  (g.node ?? []).forEach((n, i) => {
    const dom = n.domain ?? '';
    const name = n.name || `${n.opType}_${i}`;
    if ((dom !== '' && dom !== 'ai.onnx') || !OP_TABLE[n.opType ?? '']) {
      unsupported.push(
        diag('EF2002', `operator ${dom && dom !== 'ai.onnx' ? dom + '.' : ''}${n.opType} is not supported`, {
          file,
          node: name,
          suggestion: 'see `espforge inspect --list-ops` for the supported operators',
        }),
      );
    }
  });
  if (unsupported.length) throw new EspforgeError(unsupported);

  // 2. initializers (constants) and bound inputs
  for (const t of g.initializer ?? []) {
    const v = tensorFromProto(t, `initializer '${t.name}'`, file);
    ctx.set(t.name ?? '', ctx.constSym(t.name ?? '', v));
  }
  if ((g.sparseInitializer ?? []).length) fail('EF2006', 'sparse initializers are not supported', { file });
  const bind = opts.bindInputs ?? new Map<string, Value>();
  const toCl = inputsReachingSpatial(g);
  for (const vi of g.input ?? []) {
    const name = vi.name ?? '';
    if (ctx.env.has(name)) continue; // initializer doubling as an input (IR < 4): the initializer is the value
    const bound = bind.get(name);
    if (bound) {
      ctx.set(name, ctx.constSym(name, bound));
      continue;
    }
    const info = valueInfoShape(vi, file, ctx.notes);
    if (!info) fail('EF1008', `graph input '${name}' has no tensor type`, { file });
    const dtype = onnxDType(info.elem, `graph input '${name}'`, file);
    const dims = info.dims;
    let sym: Sym;
    if (toCl.has(name) && dims.length === 4) {
      const id = ctx.b.tensor({ name, dtype, shape: [dims[0], dims[2], dims[3], dims[1]], sourcePerm: [0, 2, 3, 1] });
      ctx.b.inputs.push(id);
      sym = { id, layout: { k: 'cl', r: 4 } };
    } else if (toCl.has(name) && dims.length === 3) {
      const id = ctx.b.tensor({ name, dtype, shape: [dims[0], dims[2], dims[1]], sourcePerm: [0, 2, 1] });
      ctx.b.inputs.push(id);
      ctx.node = name;
      sym = { id: ctx.reshape(id, [dims[0], 1, dims[2], dims[1]]), layout: { k: 'cl', r: 3 } };
      ctx.node = '';
    } else {
      const id = ctx.b.tensor({ name, dtype, shape: dims });
      ctx.b.inputs.push(id);
      sym = { id, layout: PLAIN };
    }
    ctx.set(name, sym);
  }
  for (const [k] of bind) if (!(g.input ?? []).some((v) => v.name === k)) ctx.notes.push(`bound value '${k}' matches no graph input`);

  // 3. nodes
  (g.node ?? []).forEach((n, i) => {
    const name = n.name || `${n.opType}_${i}`;
    ctx.node = name;
    ctx.wrap(() => {
      const e = OP_TABLE[n.opType ?? '']!;
      const a = new NodeAttrs(n, name, file);
      a.check(e.attrs);
      e.convert({ ctx, node: n, a, ins: n.input ?? [], outs: n.output ?? [], opset });
    });
  });
  ctx.node = '';

  // 4. outputs: permuted outputs keep their stored layout and record sourcePerm
  for (const vo of g.output ?? []) {
    const name = vo.name ?? '';
    const s = ctx.env.get(name);
    if (!s) fail('EF2001', `graph output '${name}' is never produced`, { file });
    let id: number;
    ctx.node = name;
    if (s.layout.k === 'cl' && s.layout.r === 4) {
      id = s.id;
      if (ctx.b.inputs.includes(id) || ctx.isConst(id)) id = ctx.toPlain(s);
      else ctx.b.tensors[id].sourcePerm = [0, 2, 3, 1];
    } else if (s.layout.k === 'cl') {
      const st = ctx.tensor(s.id).shape;
      id = ctx.reshape(s.id, [st[0], st[2], st[3]], name);
      if (id === s.id || ctx.b.inputs.includes(id)) id = ctx.toPlain(s);
      else ctx.b.tensors[id].sourcePerm = [0, 2, 1];
    } else id = ctx.toPlain(s);
    ctx.b.outputs.push(id);
  }
  ctx.node = '';

  let graph = pruneGraph(ctx.b.build());
  if (ctx.notes.length) graph.meta.info = { ...graph.meta.info, notes: ctx.notes.join('; ') };
  graph = inferGraph(graph);
  const problems = verifyGraph(graph);
  if (problems.length) throw new EspforgeError(problems.map((d) => ({ ...d, file, code: d.code })));
  for (const t of graph.tensors) if (t.data && t.data.length !== shapeSize(t.shape)) fail('EF9001', `constant '${t.name}' is inconsistent`, { file });
  return graph;
}
