// Small ONNX models built with the generated protobuf writer, for tests that need a model file.
import { onnx } from '../../src/import/onnx/proto.js';
import { tensorToProto } from '../../src/import/onnx/tensor.js';
import type { Value } from '../../src/ops/types.js';

export type Attr = { name: string; i?: number; f?: number; ints?: number[]; floats?: number[]; s?: string };

export function model(opts: {
  opset: number;
  nodes: { op: string; ins: string[]; outs: string[]; attrs?: Attr[]; name?: string }[];
  inputs: { name: string; dims: (number | string)[]; elem?: number }[];
  /** Output names, or names with shapes (written as float value infos, as PyTorch's exporter does). */
  outputs: (string | { name: string; dims: (number | string)[] })[];
  inits?: { name: string; v: Value }[];
  external?: string;
  producer?: string;
}): Uint8Array {
  const vi = (name: string, dims: (number | string)[], elem = 1) => ({
    name,
    type: { tensorType: { elemType: elem, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  });
  const inits = (opts.inits ?? []).map((x) => tensorToProto(x.v, x.name));
  if (opts.external) {
    inits.push(
      onnx.TensorProto.create({ name: opts.external, dims: [4], dataType: 1, dataLocation: 1, externalData: [{ key: 'location', value: 'weights.bin' }] }),
    );
  }
  const m = onnx.ModelProto.create({
    irVersion: 8,
    ...(opts.producer ? { producerName: opts.producer } : {}),
    opsetImport: [{ domain: '', version: opts.opset }],
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
      initializer: inits,
      input: opts.inputs.map((x) => vi(x.name, x.dims, x.elem)),
      output: opts.outputs.map((o) => (typeof o === 'string' ? { name: o } : vi(o.name, o.dims))),
    },
  });
  return onnx.ModelProto.encode(m).finish();
}
