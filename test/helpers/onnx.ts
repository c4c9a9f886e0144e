// Small PyTorch-style ONNX models written with the generated protobuf writer (no Python at test time).
import { onnx } from '../../src/import/onnx/proto.js';
import { tensorToProto } from '../../src/import/onnx/tensor.js';
import type { Value } from '../../src/ops/types.js';

export type OnnxAttr = { name: string; i?: number; f?: number; ints?: number[]; floats?: number[]; s?: string };

export function onnxModel(opts: {
  opset?: number;
  nodes: { op: string; ins: string[]; outs: string[]; attrs?: OnnxAttr[]; name?: string }[];
  inputs: { name: string; dims: (number | string)[] }[];
  outputs: { name: string; dims: (number | string)[] }[];
  inits?: { name: string; v: Value }[];
}): Uint8Array {
  const vi = (name: string, dims: (number | string)[]) => ({
    name,
    type: { tensorType: { elemType: 1, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  });
  const m = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'pytorch',
    opsetImport: [{ domain: '', version: opts.opset ?? 13 }],
    graph: {
      name: 'g',
      node: opts.nodes.map((n, i) => ({
        name: n.name ?? `${n.op}_${i}`,
        opType: n.op,
        input: n.ins,
        output: n.outs,
        attribute: (n.attrs ?? []).map((a) => ({
          name: a.name,
          type: a.ints ? 7 : a.floats ? 6 : a.s !== undefined ? 3 : a.f !== undefined ? 1 : 2,
          i: a.i,
          f: a.f,
          ints: a.ints ?? [],
          floats: a.floats ?? [],
          s: a.s !== undefined ? new TextEncoder().encode(a.s) : undefined,
        })),
      })),
      initializer: (opts.inits ?? []).map((x) => tensorToProto(x.v, x.name)),
      input: opts.inputs.map((x) => vi(x.name, x.dims)),
      output: opts.outputs.map((x) => vi(x.name, x.dims)),
    },
  });
  return onnx.ModelProto.encode(m).finish();
}
