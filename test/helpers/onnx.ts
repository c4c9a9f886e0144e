// Small PyTorch-style ONNX models (no Python at test time): the shared test writer with PyTorch's defaults
// (opset 13, producer "pytorch", typed outputs).
import { model, type Attr } from './onnx-model.js';
import type { Value } from '../../src/ops/types.js';

export type OnnxAttr = Attr;

export function onnxModel(opts: {
  opset?: number;
  nodes: { op: string; ins: string[]; outs: string[]; attrs?: OnnxAttr[]; name?: string }[];
  inputs: { name: string; dims: (number | string)[] }[];
  outputs: { name: string; dims: (number | string)[] }[];
  inits?: { name: string; v: Value }[];
}): Uint8Array {
  return model({ ...opts, opset: opts.opset ?? 13, producer: 'pytorch' });
}
