// Model inspection: per-layer op, source name, shapes, parameters and MACs, plus totals. Pure data; the CLI
// renders it.

import { dtypeSize, shapeSize } from './ir/dtype.js';
import type { Graph } from './ir/graph.js';
import { inferCtx, inferGraph } from './ops/infer.js';
import { getOp } from './ops/index.js';

export interface LayerInfo {
  index: number;
  op: string;
  name: string;
  inputs: { name: string; shape: number[]; dtype: string; constant: boolean }[];
  outputs: { name: string; shape: number[]; dtype: string }[];
  params: number;
  paramBytes: number;
  macs: number;
  activation?: string;
  quantized: boolean;
}

export interface TensorSummary {
  name: string;
  shape: number[];
  dtype: string;
  sourcePerm?: number[];
  quant?: { scale: number[]; zeroPoint: number[]; axis: number };
}

export interface ModelReport {
  format: string;
  source?: string;
  producer?: string;
  info?: Record<string, string | number>;
  inputs: TensorSummary[];
  outputs: TensorSummary[];
  layers: LayerInfo[];
  totals: { layers: number; params: number; paramBytes: number; macs: number; opCounts: Record<string, number> };
}

export function inspectGraph(g: Graph): ModelReport {
  const counted = new Set<number>();
  const layers: LayerInfo[] = g.nodes.map((n, index) => {
    const def = getOp(n.op);
    const ctx = inferCtx(g, n);
    const outs = n.outputs.map((o) => ({ dtype: g.tensors[o].dtype, shape: g.tensors[o].shape }));
    let params = 0;
    let paramBytes = 0;
    for (const i of n.inputs) {
      if (i < 0) continue;
      const t = g.tensors[i];
      if (t.data && !counted.has(i)) {
        counted.add(i);
        params += t.data.length;
        paramBytes += t.data.length * dtypeSize(t.dtype);
      }
    }
    const act = typeof n.attrs.activation === 'string' && n.attrs.activation !== 'none' ? n.attrs.activation : undefined;
    return {
      index,
      op: n.op,
      name: n.name,
      inputs: n.inputs
        .filter((i) => i >= 0)
        .map((i) => ({ name: g.tensors[i].name, shape: g.tensors[i].shape, dtype: g.tensors[i].dtype, constant: !!g.tensors[i].data })),
      outputs: n.outputs.map((o) => ({ name: g.tensors[o].name, shape: g.tensors[o].shape, dtype: g.tensors[o].dtype })),
      params,
      paramBytes,
      macs: def.macs(ctx, outs),
      activation: act,
      quantized: n.outputs.some((o) => !!g.tensors[o].quant),
    };
  });
  const summary = (id: number): TensorSummary => {
    const t = g.tensors[id];
    return { name: t.name, shape: t.shape, dtype: t.dtype, sourcePerm: t.sourcePerm, quant: t.quant };
  };
  const opCounts: Record<string, number> = {};
  for (const l of layers) opCounts[l.op] = (opCounts[l.op] ?? 0) + 1;
  return {
    format: g.meta.format,
    source: g.meta.source,
    producer: g.meta.producer,
    info: g.meta.info,
    inputs: g.inputs.map(summary),
    outputs: g.outputs.map(summary),
    layers,
    totals: {
      layers: layers.length,
      params: layers.reduce((a, l) => a + l.params, 0),
      paramBytes: layers.reduce((a, l) => a + l.paramBytes, 0),
      macs: layers.reduce((a, l) => a + l.macs, 0),
      opCounts,
    },
  };
}

/** Activation bytes of one tensor (for reports). */
export function tensorBytes(g: Graph, id: number): number {
  const t = g.tensors[id];
  return shapeSize(t.shape.map((d) => Math.max(d, 1))) * dtypeSize(t.dtype);
}

export interface FitSummary {
  /** How the figures were obtained. */
  basis: 'quantized model' | 'int8 estimate of the float model';
  arenaBytes: number;
  /** The arena `build --row-bands` would plan, and the layer pairs it runs in row bands (when some pair could). */
  rowBands?: { arenaBytes: number; pairs: { producer: number; consumer: number; bandBytes: number }[] };
  weightBytes: number;
  chips: { chip: string; fits: boolean; flashNeed: number; partition: number; customPartition: boolean; ramCap: number; problems: string[] }[];
}

/** The graph with every graph input's leading (batch) dimension set to 1 and shapes re-inferred; the graph
 * itself when it already has batch 1 or its shapes do not allow another batch (e.g. a constant Reshape target). */
export function batchOne(g: Graph): Graph {
  const big = g.inputs.some((id) => g.tensors[id].shape.length >= 2 && g.tensors[id].shape[0] > 1);
  if (!big) return g;
  const tensors = g.tensors.map((t) => (g.inputs.includes(t.id) && t.shape.length >= 2 && t.shape[0] > 1 ? { ...t, shape: [1, ...t.shape.slice(1)] } : t));
  try {
    return inferGraph({ ...g, tensors });
  } catch {
    return g;
  }
}

/**
 * Per-chip fit of the model as `build` would emit it. A float model is quantized first with a few synthetic
 * samples: its int8 structure (weights, activations, arena) does not depend on the calibration ranges.
 */
export async function fitSummary(g0: Graph): Promise<FitSummary> {
  const { isQuantized } = await import('./ir/quantized.js');
  // per-inference figures: estimated with a batch of 1 (a batch of 65,536 would quantize and simulate 65,536 images)
  const g = batchOne(g0);
  let q = g;
  const quantized = isQuantized(g);
  if (!quantized) {
    // synthetic samples, not data: only the int8 structure is wanted here, not a calibration
    const { quantizeGraph } = await import('./pipeline/quantize.js');
    const samples = [1, 2].map((seed) => {
      let s = seed;
      return g.inputs.map((id) => {
        const t = g.tensors[id];
        const shape = t.shape.map((d) => (d < 0 ? 1 : d));
        const data = new Float32Array(shapeSize(shape));
        for (let i = 0; i < data.length; i++) data[i] = ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32) * 2 - 1;
        return { dtype: 'float32' as const, shape, data };
      });
    });
    q = (await quantizeGraph(g, { calib: samples })).graph;
  }
  // plan and emit only (no simulation, golden cases, project files or verification): the same figures build
  // reports, with the portable kernels, whose arena every chip can use (ESP-NN's scratch blocks are chip-specific)
  const { flashBreakdown } = await import('./pipeline/build.js');
  const { integerIO } = await import('./codegen/lower-io.js');
  const { emitC } = await import('./codegen/c/emit.js');
  const { prepareIntGraph } = await import('./sim/int.js');
  const { checkAllChips, stockPsram } = await import('./targets/fit.js');
  const { chip } = await import('./targets/chips.js');
  const gi = integerIO(q);
  const gq = gi.nodes.every((n) => n.qparams) ? gi : prepareIntGraph(gi);
  const e = emitC(gq, {});
  // the arena with row bands (build --row-bands), planned only when some layer pair could run in bands
  const { rowBandCandidates } = await import('./codegen/c/row-bands.js');
  const eb = rowBandCandidates(gq).length ? emitC(gq, { rowBands: true }) : undefined;
  // the largest chip as the nominal target (its stock PSRAM decides whether the flash figure counts the PSRAM driver)
  const nominal = chip('esp32p4');
  const psramBytes = stockPsram(nominal);
  const flash = flashBreakdown(e, gq, nominal.id, undefined, psramBytes > 0);
  const fit = checkAllChips(
    {
      weightBytes: e.weightBytes,
      codeBytes: flash.code.bytes,
      arenaBytes: Math.max(16, e.plan.arenaSize),
      layers: e.layers.map((l) => ({ name: l.name, weightBytes: l.weightBytes })),
      extraFlashBytes: flash.tables.bytes + flash.sample.bytes + (flash.espnn?.bytes ?? 0) + (flash.psram?.bytes ?? 0),
      psramBytes,
      int16Activations: gq.tensors.some((t) => !t.data && t.dtype === 'int16'),
    },
    nominal.id,
  );
  return {
    basis: quantized ? 'quantized model' : 'int8 estimate of the float model',
    arenaBytes: Math.max(16, e.plan.arenaSize),
    ...(eb?.plan.rowBands
      ? { rowBands: { arenaBytes: Math.max(16, eb.plan.arenaSize), pairs: eb.plan.rowBands.used.map((u) => ({ producer: u.producer, consumer: u.producer + 1, bandBytes: u.bandBytes })) } }
      : {}),
    weightBytes: e.weightBytes,
    chips: fit.map((f) => ({
      chip: f.chip,
      fits: f.fits,
      flashNeed: f.flash.need,
      partition: f.flash.partitionSize,
      customPartition: f.flash.needsCustomPartition,
      ramCap: f.ram.maxStaticBuffer,
      problems: f.problems,
    })),
  };
}

/** One registry op and where it runs, for `espforge inspect --list-ops`. */
export interface OpCoverage {
  op: string;
  doc: string;
  /** Float reference kernel (every registry op has one). */
  float: boolean;
  /** Integer simulator kernel (int8/uint8; int16 where the C kernel also takes int16). */
  int8: boolean;
  /** int8 C kernel in the generated library. */
  c: boolean;
  /** The C kernel also takes int16 activations (16x8). */
  int16: boolean;
  /** ONNX operators of the same name the importer accepts. */
  onnx: string[];
}

/** Operator coverage derived from the registry, the integer kernel table, the C emitter and the importers. */
export async function opCoverage(): Promise<{ ops: OpCoverage[]; onnx: readonly string[]; keras: string[] }> {
  const { OPS } = await import('./ops/index.js');
  const { intKernel } = await import('./sim/int/index.js');
  const { SUPPORTED, INT16_C_OPS } = await import('./codegen/c/emit.js');
  const { SUPPORTED_ONNX_OPS } = await import('./import/onnx/ops/index.js');
  const { LAYERS } = await import('./import/keras/layers.js');
  const ops = OPS.map((d) => ({
    op: d.name,
    doc: d.doc,
    float: true,
    int8: intKernel(d.name) !== undefined,
    c: SUPPORTED.has(d.name),
    int16: INT16_C_OPS.has(d.name),
    onnx: SUPPORTED_ONNX_OPS.filter((o) => o === d.name),
  }));
  return { ops, onnx: SUPPORTED_ONNX_OPS, keras: Object.keys(LAYERS).sort() };
}
