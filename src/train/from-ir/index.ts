// A float IR graph back into tfjs layers with the same weights (an imported model as a trainable base), and
// cutting an imported graph for that use. layers.ts: the custom layers; lower.ts: one tfjs lowering per IR op;
// graph.ts: the graph walk; cut.ts: dequantizing, cutting and resizing bases.

export { applyGraph, graphToLayersModel } from './graph.js';
export { applyFileBase, cutGraph, dequantizeGraph, resizeBaseInput, type FileBase } from './cut.js';
