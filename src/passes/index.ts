// THE pass pipeline, in order. Each pass is a pure function Graph → Graph with a name; the names drive
// `--dump-after=<pass>`, timing output and the web view. The import step comes before this list and the
// quantize / lower / plan / emit steps after it (src/quant, src/plan, src/codegen).
//
//   canonicalise      static shapes, no-op nodes dropped, constant subgraphs folded
//   fold-pad          constant zero Pad on H/W feeding only a Conv → the Conv's pads (TFLite's PAD + VALID conv)
//   matmul-to-fc      MatMul by a constant matrix → FullyConnected
//   fold-batchnorm    BatchNormalization into the preceding Conv/FC/ConvTranspose (or Mul+Add)
//   fold-bias-add     Add of a per-channel constant into the preceding op's bias
//   fuse-hardswish    x · HardSigmoid(x) (torch's Hardswish below opset 14) → HardSwish
//   fuse-activations  Relu / Relu6 / Relu_n1_to_1 into the preceding op's `activation`
//   fuse-gelu         the erf and tanh element-wise chains of PyTorch's nn.GELU (opset < 20) → Gelu

import { fail } from '../diagnostics.js';
import type { Graph } from '../ir/graph.js';
import { canonicalise } from './canonicalise.js';
import { foldBatchnorm } from './fold-batchnorm.js';
import { foldBiasAdd } from './fold-bias-add.js';
import { foldPad } from './fold-pad.js';
import { fuseHardswish } from './fuse-hardswish.js';
import { fuseActivations } from './fuse-activations.js';
import { fuseGelu } from './fuse-gelu.js';
import { matmulToFc } from './matmul-to-fc.js';

export interface Pass {
  name: string;
  doc: string;
  run(g: Graph): Graph;
}

export const PASSES: readonly Pass[] = [
  { name: 'canonicalise', doc: 'static shapes, drop no-op nodes, fold constant subgraphs', run: canonicalise },
  { name: 'fold-pad', doc: 'fold a zero Pad on H/W into the Conv it feeds (TFLite writes such pads as PAD + VALID)', run: foldPad },
  { name: 'matmul-to-fc', doc: 'MatMul by a constant matrix becomes FullyConnected', run: matmulToFc },
  { name: 'fold-batchnorm', doc: 'fold BatchNormalization into Conv/FullyConnected/ConvTranspose weights', run: foldBatchnorm },
  { name: 'fold-bias-add', doc: 'fold per-channel constant Add/Sub into the producing op bias', run: foldBiasAdd },
  { name: 'fuse-hardswish', doc: "x * HardSigmoid(x) with torch's constants (Hardswish below opset 14) becomes HardSwish", run: fuseHardswish },
  { name: 'fuse-activations', doc: 'fuse Relu/Relu6/ReluN1To1 into the producing op', run: fuseActivations },
  { name: 'fuse-gelu', doc: "PyTorch nn.GELU's erf or tanh element-wise chain becomes one Gelu", run: fuseGelu },
];

export const PASS_NAMES: readonly string[] = PASSES.map((p) => p.name);

export interface PassStep {
  name: string;
  /** Wall time of the pass in milliseconds. */
  ms: number;
  nodesBefore: number;
  nodesAfter: number;
  /** The graph after this pass, when requested with `dumpAfter`. */
  graph?: Graph;
}

export interface PassOptions {
  /** Pass names whose output graph to keep in the trace, or 'all'. */
  dumpAfter?: readonly string[] | 'all';
}

function select(names?: readonly string[]): Pass[] {
  if (!names) return [...PASSES];
  for (const n of names)
    if (!PASS_NAMES.includes(n)) fail('EF0006', `unknown pass '${n}'`, { notes: [`passes: ${PASS_NAMES.join(', ')}`] });
  // always in pipeline order, whatever order the names were given in
  return PASSES.filter((p) => names.includes(p.name));
}

/** Run the pipeline (or the named subset, in pipeline order) and return the trace with optional dumps. */
export function tracePasses(g: Graph, names?: readonly string[], opts: PassOptions = {}): { graph: Graph; steps: PassStep[] } {
  const dump = opts.dumpAfter;
  if (dump && dump !== 'all') select(dump);
  const steps: PassStep[] = [];
  let cur = g;
  for (const p of select(names)) {
    const t0 = performance.now();
    const next = p.run(cur);
    const step: PassStep = { name: p.name, ms: performance.now() - t0, nodesBefore: cur.nodes.length, nodesAfter: next.nodes.length };
    if (dump === 'all' || dump?.includes(p.name)) step.graph = next;
    steps.push(step);
    cur = next;
  }
  return { graph: cur, steps };
}

/** Run the pipeline (or the named subset) and return the resulting graph. */
export function runPasses(g: Graph, names?: readonly string[]): Graph {
  return tracePasses(g, names).graph;
}
