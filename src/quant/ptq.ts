// Post-training quantization: float graph + calibration data → TFLite-style quantized IR.
//
//   activations  int8 asymmetric per tensor: range always contains 0, scale = (max − min)/255 (float32),
//                zero point nudged to an integer in [−128, 127]   (int16 scheme: symmetric, zp = 0)
//   weights      int8 symmetric (zp = 0, values in [−127, 127]): per output channel (axis 0) for Conv and
//                depthwise Conv, per tensor for FullyConnected and ConvTranspose (TFLite's converter defaults)
//   bias         int32 (int16 scheme: int64), zp = 0, scale = s_in · s_w[c]
//   fused activations stay on the op: the integer kernels apply them as the output clamp
//   fixed output scales: Softmax and Sigmoid 1/256 zp −128, Tanh 1/128 zp 0, LogSoftmax 16/256 zp 127
//   pass-through ops (pools, Reshape, Transpose, Pad, Slice, Gather, ReduceMax, Resize, Concat, Max, Min) share one
//   scale/zero point between their data inputs and output, so the kernels never requantize there
//
// Which op does what (weights, shared or fixed output quantization, int8-only kernels, kept float) is declared on
// each op's registry entry (OpDef.quant); policy.ts reads it.
//
// int16 scheme: ops whose integer kernels are int8-only (quant.activations 'int8': LogSoftmax, HardSwish, PRelu;
// TFLM has no int16 version) run as int8 islands between QUANTIZE int16 → int8 and int8 → int16 nodes, so the
// model stays integer and builds.
//
// Mixed scheme (int8 with int16 islands): the model is quantized int8 first and its per-layer SQNR against the
// float model is measured on (part of) the calibration set; the computing layers below `mixedThresholdDb` (lowest
// first, at most `mixedMaxInt16Layers`) move to int16 activations (16x8: int8 weights, int64 bias). At the island
// boundaries TFLite QUANTIZE requantize nodes convert int8 → int16 and back (MBQM of s_in/s_out). Tensor names are
// kept for the moved layers' outputs; the boundary tensors get the suffixes _int16 / _int8.
//
// The graph inputs and outputs become int8 (int16) tensors with quantization records, as in TFLite full-integer
// conversion: the caller quantizes float input with the input's scale/zp and dequantizes the output.
// Quantization parameters are computed once here and stored on the tensors; prepareIntGraph (src/sim/int.ts)
// then derives node.qparams from them.
//
// The work is split by concern: params.ts (range → scale/zero point), weights.ts (weights and biases), rewrite.ts
// (the graph rewrite), islands.ts and mixed.ts (int16 / int8 islands and the mixed scheme); policy.ts reads what
// each op allows from the registry. This file is the entry point.

import { nonFiniteWeight } from '../import/validate.js';
import { fail } from '../diagnostics.js';
import type { Graph } from '../ir/graph.js';
import { runPasses } from '../passes/index.js';
import { prepareIntGraph } from '../sim/int.js';
import { calibrate, collectSamples, type CalibData, type CalibrateOptions } from './calibrate.js';
import type { CalibMethod, Range } from './observers.js';
import { quantizeMixed, type MixedReport } from './mixed.js';
import { quantizeWithRanges } from './rewrite.js';
import { lowerGru } from './lower-gru.js';
import { lstmCellRanges } from './lstm.js';

export { asymmetricParams, rha, symmetricParams } from './params.js';
export { quantizeWeights, WEIGHT_NEAR_ZERO_RANGE } from './weights.js';
export { INT16_OPS, INT8_ONLY_OPS } from './policy.js';
export { quantizeWithRanges } from './rewrite.js';
export type { MixedLayer, MixedReport } from './mixed.js';

export type QuantScheme = 'int8' | 'int16' | 'mixed';
export const QUANT_SCHEMES: readonly QuantScheme[] = ['int8', 'int16', 'mixed'];

export interface QuantizeOptions extends CalibrateOptions {
  scheme?: QuantScheme;
  method?: CalibMethod;
  /** Run the float pass pipeline first (default true). */
  passes?: boolean;
  /** Fill node.qparams with prepareIntGraph (default true). */
  prepare?: boolean;
  /** Mixed scheme: layers whose int8 SQNR (dB) is below this move to int16 (default 30). */
  mixedThresholdDb?: number;
  /** Mixed scheme: at most this many layers move to int16, the least accurate first (default 4). */
  mixedMaxInt16Layers?: number;
  /** Mixed scheme: calibration samples used to measure the per-layer error (default 64). */
  mixedSamples?: number;
}
export interface QuantizeResult {
  /** The quantized graph (tensor quantization records set, node.qparams filled unless prepare: false). */
  graph: Graph;
  /** The float graph that was calibrated (after the pass pipeline). Tensors correspond to `graph` by name. */
  floatGraph: Graph;
  /** Clip range per float tensor id of floatGraph. */
  ranges: Map<number, Range>;
  scheme: QuantScheme;
  method: CalibMethod;
  samples: number;
  /** Mixed scheme only: which layers moved to int16 and their before/after SQNR. */
  mixed?: MixedReport;
}

/** Calibrate and quantize; returns the quantized graph with the float graph and ranges it came from. */
export async function quantizeModel(g: Graph, calib: CalibData, opts: QuantizeOptions = {}): Promise<QuantizeResult> {
  const scheme = opts.scheme ?? 'int8';
  const method = opts.method ?? 'minmax';
  const nf = nonFiniteWeight(g);
  if (nf)
    fail('EF2012', `weight '${nf.tensor.name}' holds ${nf.value}: a model with NaN or infinite weights cannot be quantized`, {
      file: g.meta.source,
      node: nf.node,
      suggestion: 'check the training run that produced these weights',
    });
  // TFLM has no GRU: quantization sees each Gru unrolled into integer-executable ops (src/quant/lower-gru.ts)
  const floatGraph = lowerGru(opts.passes === false ? g : runPasses(g));
  const samples = await collectSamples(calib, opts.limit ?? Infinity);
  const ranges = await calibrate(floatGraph, samples, { ...opts, method });
  lstmCellRanges(floatGraph, samples, ranges);
  if (scheme === 'mixed') {
    const r = await quantizeMixed(floatGraph, ranges, samples, opts);
    const graph = opts.prepare === false ? r.graph : r.prepared;
    return { graph, floatGraph, ranges, scheme, method, samples: samples.length, mixed: r.report };
  }
  let graph = quantizeWithRanges(floatGraph, ranges, scheme);
  if (opts.prepare !== false) graph = prepareIntGraph(graph);
  return { graph, floatGraph, ranges, scheme, method, samples: samples.length };
}
/** Calibrate and quantize; returns only the quantized graph. */
export async function quantizeGraph(g: Graph, calib: CalibData, opts: QuantizeOptions = {}): Promise<Graph> {
  return (await quantizeModel(g, calib, opts)).graph;
}
