// Access to the generated ONNX protobuf code. int64 fields (dims, ints, ir_version) must come back as plain
// numbers: the static decoder would return Long objects whenever a Long implementation is present, whatever
// --force-number says about the types, so Long is switched off once here before anything decodes.

import protobuf from 'protobufjs/minimal.js';
import { onnx } from './generated/onnx.js';

(protobuf.util as { Long: unknown }).Long = undefined;
protobuf.configure();

export { onnx };
export type ModelProto = onnx.ModelProto.$Properties;
export type GraphProto = onnx.GraphProto.$Properties;
export type NodeProto = onnx.NodeProto.$Properties;
export type TensorProto = onnx.TensorProto.$Properties;
export type AttributeProto = onnx.AttributeProto.$Properties;
export type ValueInfoProto = onnx.ValueInfoProto.$Properties;

/** Convert an int64 field value to a JS number (numbers pass through; a stray Long-like object is combined). */
export function num(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (v && typeof v === 'object' && 'low' in v && 'high' in v) {
    const o = v as { low: number; high: number; unsigned?: boolean };
    return o.unsigned ? (o.high >>> 0) * 4294967296 + (o.low >>> 0) : o.high * 4294967296 + (o.low >>> 0);
  }
  return Number(v);
}
