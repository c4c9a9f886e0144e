// TFLite writer: canonical IR → .tflite flatbuffer (schema v3, one subgraph), for the graphs espforge quantizes
// (int8) and for float graphs made of the same ops. The inverse of the importer: the depthwise filter goes back to
// [1,KH,KW,Cout] (per-channel axis 0 → 3), explicit pads become SAME or VALID where they match (else a PAD op
// is inserted for convolutions), fused activations go into the builtin options. ConvTranspose becomes
// TRANSPOSE_CONV (filter [Cin,KH,KW,Cout] → [Cout,KH,KW,Cin], a dilated one spread out with zeros), bilinear Resize
// RESIZE_BILINEAR, Gelu GELU; what those forms cannot say goes in NODE_ATTRS_METADATA (see common.ts). Operator
// codes carry both the deprecated byte code (clamped to 127 as the TFLite converter does) and the full builtin
// code, and the version the converter's op_version gives (one operator code per builtin and version). Buffer 0 is
// the empty sentinel; every constant gets its own buffer.

import { Builder } from 'flatbuffers';
import { fail } from '../../diagnostics.js';
import type { DType, TypedArray } from '../../ir/dtype.js';
import type { Attrs, Graph, Node, QuantParams, Tensor } from '../../ir/graph.js';
import { noIntegerKernelAdvice } from '../../ops/index.js';
import { padFill } from '../../sim/int/prepare.js';
import { actCode, bilinearModeName, DTYPE_TO_TT, NODE_ATTRS_METADATA, NODE_NAMES_METADATA, RESIZE_MAP_ATTRS, samePads, tfliteBilinearOptions, tfliteNearestMode, transposeConvTaps } from './common.js';
import { writeLstm } from './lstm.js';
import { ActivationFunctionType as ACT, BuiltinOperator as OP, BuiltinOptions as OPT, FIELD as F, Padding } from './generated/schema.js';

export interface ExportOptions {
  description?: string;
}

interface WTensor {
  name: string;
  type: number;
  shape: number[];
  buffer: number;
  quant?: QuantParams;
  /** A variable (stateful) tensor: the LSTM states. */
  variable?: boolean;
}

type OptField = { id: number; kind: 'i8' | 'i32' | 'f32' | 'bool' | 'ints'; value: number | number[] };

interface WOp {
  code: number;
  inputs: number[];
  outputs: number[];
  optType: number;
  opts: OptField[];
  /** IR node name, for the operator that writes the node's output (auxiliary operators: null). */
  name: string | null;
  /** IR attributes the TFLite form does not carry (NODE_ATTRS_METADATA). */
  keep?: Attrs;
  /** Operator version when it depends on the options (as the TFLite converter's op_version computes it). */
  version?: number;
}

/** Operator versions the TFLite converter writes for int8 kernels (TFLM does not check them). */
const INT8_VERSION: Partial<Record<number, number>> = {
  [OP.CONV_2D]: 3,
  [OP.DEPTHWISE_CONV_2D]: 3,
  [OP.FULLY_CONNECTED]: 4,
  [OP.ADD]: 2,
  [OP.SUB]: 2,
  [OP.MUL]: 2,
  [OP.AVERAGE_POOL_2D]: 2,
  [OP.MAX_POOL_2D]: 2,
  [OP.SOFTMAX]: 2,
  [OP.LOGISTIC]: 2,
  [OP.TANH]: 2,
  [OP.MEAN]: 2,
  [OP.PAD]: 2,
  [OP.PADV2]: 2,
  [OP.CONCATENATION]: 2,
  [OP.QUANTIZE]: 2,
  [OP.DEQUANTIZE]: 2,
  [OP.TRANSPOSE]: 2,
  [OP.STRIDED_SLICE]: 2,
  [OP.RELU]: 2,
  [OP.RELU6]: 2,
  [OP.LEAKY_RELU]: 2,
  [OP.REDUCE_MAX]: 2,
  [OP.MAXIMUM]: 2,
  [OP.MINIMUM]: 2,
  [OP.GATHER]: 2,
  [OP.ARG_MAX]: 2,
  [OP.GELU]: 2,
  [OP.RESIZE_BILINEAR]: 2,
  [OP.TRANSPOSE_CONV]: 2,
};

class Writer {
  tensors: WTensor[] = [];
  buffers: Uint8Array[] = [new Uint8Array(0)];
  ops: WOp[] = [];
  unsupported: string[] = [];
  /** The IR node being written (names its main operator). */
  current?: Node;
  /** IR tensor ids whose data/shape were already written in depthwise layout. */
  private dwDone = new Set<number>();
  /** IR tensor ids of ConvTranspose filters already written in TFLite layout, with the dilations they were spread by. */
  private tcDone = new Map<number, string>();

  constructor(readonly g: Graph) {}

  private bytesOf(dtype: DType, data: TypedArray): Uint8Array {
    if (dtype === 'int64') {
      const out = new Uint8Array(data.length * 8);
      const dv = new DataView(out.buffer);
      for (let i = 0; i < data.length; i++) dv.setBigInt64(8 * i, BigInt(Math.trunc(data[i])), true);
      return out;
    }
    if (dtype === 'bool') return Uint8Array.from(data, (v) => (v ? 1 : 0));
    return new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
  }

  buffer(dtype: DType, data: TypedArray | undefined): number {
    if (!data) return 0;
    this.buffers.push(this.bytesOf(dtype, data));
    return this.buffers.length - 1;
  }

  init(): void {
    for (const t of this.g.tensors) {
      if (t.shape.some((d) => d < 0)) fail('EF1008', `tensor '${t.name}' has an unresolved dimension [${t.shape}]`);
      this.tensors.push({ name: t.name, type: DTYPE_TO_TT[t.dtype], shape: t.shape.slice(), buffer: this.buffer(t.dtype, t.data), quant: t.quant });
    }
  }

  aux(name: string, dtype: DType, shape: number[], data?: TypedArray, quant?: QuantParams, variable?: boolean): number {
    this.tensors.push({ name, type: DTYPE_TO_TT[dtype], shape, buffer: this.buffer(dtype, data), quant, variable });
    return this.tensors.length - 1;
  }

  constI32(name: string, values: number[], shape = [values.length]): number {
    return this.aux(name, 'int32', shape, Int32Array.from(values));
  }

  op(code: number, inputs: number[], outputs: number[], optType = 0, opts: OptField[] = []): void {
    const n = this.current;
    const name = n && outputs.some((o) => n.outputs.includes(o)) ? n.name : null;
    this.ops.push({ code, inputs, outputs, optType, opts, name });
  }

  t(id: number): Tensor {
    return this.g.tensors[id];
  }

  /** Rewrite an IR depthwise filter [Cout,KH,KW,1] as TFLite [1,KH,KW,Cout] (per-channel axis 0 → 3). */
  depthwise(id: number): void {
    if (this.dwDone.has(id)) return;
    if (this.tcDone.has(id)) fail('EF2003', `weights '${this.t(id).name}' are shared by a depthwise convolution and a ConvTranspose, which TFLite lays out differently`);
    this.dwDone.add(id);
    const t = this.t(id);
    const [C, KH, KW] = t.shape;
    const src = t.data!;
    const data = new (src.constructor as { new (n: number): TypedArray })(src.length);
    for (let c = 0; c < C; c++)
      for (let ky = 0; ky < KH; ky++) for (let kx = 0; kx < KW; kx++) data[(ky * KW + kx) * C + c] = src[(c * KH + ky) * KW + kx];
    const w = this.tensors[id];
    this.buffers[w.buffer] = this.bytesOf(t.dtype, data);
    w.shape = [1, KH, KW, C];
    if (t.quant && t.quant.scale.length > 1) w.quant = { ...t.quant, axis: 3 };
  }

  /** Convolution padding: SAME or VALID when the pads match, else a PAD op in front (returns the new input). */
  convPadding(n: Node, x: number, k: number[], strides: number[], dils: number[], pads: number[], allowPadOp: boolean): { padding: number; x: number } {
    const xs = this.t(x).shape;
    const same = samePads(xs[1], xs[2], k[0], k[1], strides, dils);
    if (pads.every((p) => p === 0)) return { padding: Padding.VALID, x };
    if (pads.every((p, i) => p === same[i])) return { padding: Padding.SAME, x };
    if (!allowPadOp) return fail('EF2003', `pads [${pads}] are neither SAME nor VALID`, { node: n.name, suggestion: 'TFLite pooling has only SAME and VALID padding' });
    const xt = this.t(x);
    const padded = this.aux(`${n.name}/padded`, xt.dtype, [xs[0], xs[1] + pads[0] + pads[2], xs[2] + pads[1] + pads[3], xs[3]], undefined, xt.quant);
    const p = this.constI32(`${n.name}/paddings`, [0, 0, pads[0], pads[2], pads[1], pads[3], 0, 0], [4, 2]);
    this.op(OP.PAD, [x, p], [padded], OPT.PadOptions);
    return { padding: Padding.VALID, x: padded };
  }

  act(n: Node): number {
    const c = actCode(n.attrs.activation as string | undefined);
    if (c === undefined) return fail('EF2003', `activation '${n.attrs.activation}' has no TFLite fused form`, { node: n.name });
    return c;
  }

  node(n: Node): void {
    const a = n.attrs;
    const ints = (k: string, d: number[]): number[] => (Array.isArray(a[k]) ? (a[k] as number[]) : d);
    const num = (k: string, d: number): number => (typeof a[k] === 'number' ? (a[k] as number) : d);
    const [x, y] = [n.inputs[0], n.outputs[0]];
    const rankOf = (id: number) => this.t(id).shape.length;
    switch (n.op) {
      case 'Conv': {
        const w = this.t(n.inputs[1]);
        const xs = this.t(x).shape;
        if (!w.data) fail('EF2005', 'Conv weights must be constant', { node: n.name });
        const group = num('group', 1);
        const strides = ints('strides', [1, 1]);
        const dils = ints('dilations', [1, 1]);
        const pads = ints('pads', [0, 0, 0, 0]);
        const { padding, x: xin } = this.convPadding(n, x, [w.shape[1], w.shape[2]], strides, dils, pads, true);
        const bias = n.inputs[2] ?? -1;
        const depthwise = group > 1 && group === xs[3] && w.shape[3] === 1;
        if (depthwise) {
          this.depthwise(n.inputs[1]);
          const f = F.DepthwiseConv2DOptions;
          this.op(OP.DEPTHWISE_CONV_2D, [xin, n.inputs[1], bias], [y], OPT.DepthwiseConv2DOptions, [
            { id: f.padding, kind: 'i8', value: padding },
            { id: f.stride_w, kind: 'i32', value: strides[1] },
            { id: f.stride_h, kind: 'i32', value: strides[0] },
            { id: f.depth_multiplier, kind: 'i32', value: w.shape[0] / group },
            { id: f.fused_activation_function, kind: 'i8', value: this.act(n) },
            { id: f.dilation_w_factor, kind: 'i32', value: dils[1] },
            { id: f.dilation_h_factor, kind: 'i32', value: dils[0] },
          ]);
        } else {
          const f = F.Conv2DOptions;
          this.op(OP.CONV_2D, [xin, n.inputs[1], bias], [y], OPT.Conv2DOptions, [
            { id: f.padding, kind: 'i8', value: padding },
            { id: f.stride_w, kind: 'i32', value: strides[1] },
            { id: f.stride_h, kind: 'i32', value: strides[0] },
            { id: f.fused_activation_function, kind: 'i8', value: this.act(n) },
            { id: f.dilation_w_factor, kind: 'i32', value: dils[1] },
            { id: f.dilation_h_factor, kind: 'i32', value: dils[0] },
          ]);
        }
        return;
      }
      case 'FullyConnected': {
        const f = F.FullyConnectedOptions;
        this.op(OP.FULLY_CONNECTED, [x, n.inputs[1], n.inputs[2] ?? -1], [y], OPT.FullyConnectedOptions, [
          { id: f.fused_activation_function, kind: 'i8', value: this.act(n) },
          { id: f.keep_num_dims, kind: 'bool', value: rankOf(x) !== 2 ? 1 : 0 },
        ]);
        return;
      }
      case 'Add':
      case 'Sub':
      case 'Mul':
      case 'Div': {
        const [code, opt] = { Add: [OP.ADD, OPT.AddOptions], Sub: [OP.SUB, OPT.SubOptions], Mul: [OP.MUL, OPT.MulOptions], Div: [OP.DIV, OPT.DivOptions] }[n.op]!;
        this.op(code, [x, n.inputs[1]], [y], opt, [{ id: 0, kind: 'i8', value: this.act(n) }]);
        return;
      }
      case 'Max':
      case 'Min':
        if (this.act(n) !== ACT.NONE) fail('EF2003', `${n.op} with a fused activation has no TFLite form`, { node: n.name });
        this.op(n.op === 'Max' ? OP.MAXIMUM : OP.MINIMUM, [x, n.inputs[1]], [y], OPT.MaximumMinimumOptions);
        return;
      case 'MaxPool':
      case 'AveragePool': {
        const k = ints('kernel', [1, 1]);
        const strides = ints('strides', k);
        const pads = ints('pads', [0, 0, 0, 0]);
        if (ints('dilations', [1, 1]).some((d) => d !== 1)) fail('EF2003', 'TFLite pooling has no dilation', { node: n.name });
        if (num('count_include_pad', 0) && pads.some((p) => p)) fail('EF2003', 'TFLite average pooling never counts padding', { node: n.name });
        const { padding } = this.convPadding(n, x, k, strides, [1, 1], pads, false);
        if (num('ceil_mode', 0)) {
          const xs = this.t(x).shape;
          const ys = this.t(y).shape;
          const floorOut = (i: number) => Math.floor((xs[i] + pads[i - 1] + pads[i + 1] - k[i - 1]) / strides[i - 1]) + 1;
          if (ys[1] !== floorOut(1) || ys[2] !== floorOut(2)) fail('EF2003', 'ceil_mode pooling has no TFLite form', { node: n.name });
        }
        const f = F.Pool2DOptions;
        this.op(n.op === 'MaxPool' ? OP.MAX_POOL_2D : OP.AVERAGE_POOL_2D, [x], [y], OPT.Pool2DOptions, [
          { id: f.padding, kind: 'i8', value: padding },
          { id: f.stride_w, kind: 'i32', value: strides[1] },
          { id: f.stride_h, kind: 'i32', value: strides[0] },
          { id: f.filter_width, kind: 'i32', value: k[1] },
          { id: f.filter_height, kind: 'i32', value: k[0] },
          { id: f.fused_activation_function, kind: 'i8', value: this.act(n) },
        ]);
        return;
      }
      case 'ReduceMean':
      case 'ReduceMax': {
        const r = rankOf(x);
        let axes = ints('axes', []);
        if (axes.length === 0) axes = [...Array(r).keys()];
        const ax = this.constI32(`${n.name}/axes`, axes.map((v) => (v < 0 ? v + r : v)));
        this.op(n.op === 'ReduceMean' ? OP.MEAN : OP.REDUCE_MAX, [x, ax], [y], OPT.ReducerOptions, [
          { id: F.ReducerOptions.keep_dims, kind: 'bool', value: num('keepdims', 1) ? 1 : 0 },
        ]);
        return;
      }
      case 'Reshape':
      case 'Identity': {
        const shape = this.t(y).shape;
        const s = this.constI32(`${n.name}/shape`, shape);
        this.op(OP.RESHAPE, [x, s], [y], OPT.ReshapeOptions, [{ id: F.ReshapeOptions.new_shape, kind: 'ints', value: shape }]);
        return;
      }
      case 'Softmax':
      case 'LogSoftmax': {
        const axis = num('axis', -1);
        if (axis !== -1 && axis !== rankOf(x) - 1) fail('EF2003', `${n.op} over axis ${axis} (not the last) has no TFLite form`, { node: n.name });
        if (n.op === 'Softmax') this.op(OP.SOFTMAX, [x], [y], OPT.SoftmaxOptions, [{ id: F.SoftmaxOptions.beta, kind: 'f32', value: num('beta', 1) }]);
        else this.op(OP.LOG_SOFTMAX, [x], [y], OPT.LogSoftmaxOptions);
        return;
      }
      case 'Sigmoid':
        this.op(OP.LOGISTIC, [x], [y]);
        return;
      case 'Tanh':
        this.op(OP.TANH, [x], [y]);
        return;
      case 'Relu':
        this.op(OP.RELU, [x], [y]);
        return;
      case 'HardSwish':
        this.op(OP.HARD_SWISH, [x], [y], OPT.HardSwishOptions);
        return;
      case 'Elu':
        if (num('alpha', 1) !== 1) fail('EF2003', 'TFLite ELU has alpha 1 only', { node: n.name });
        this.op(OP.ELU, [x], [y]);
        return;
      case 'LeakyRelu':
        this.op(OP.LEAKY_RELU, [x], [y], OPT.LeakyReluOptions, [{ id: F.LeakyReluOptions.alpha, kind: 'f32', value: num('alpha', 0.01) }]);
        return;
      case 'PRelu':
        this.op(OP.PRELU, [x, n.inputs[1]], [y]);
        return;
      case 'Clip': {
        const lo = num('min', -Infinity);
        const hi = num('max', Infinity);
        const code = lo === 0 && hi === 6 ? OP.RELU6 : lo === -1 && hi === 1 ? OP.RELU_N1_TO_1 : lo === 0 && hi === Infinity ? OP.RELU : undefined;
        if (code === undefined) fail('EF2003', `Clip(${lo}, ${hi}) has no TFLite form`, { node: n.name });
        this.op(code, [x], [y]);
        return;
      }
      case 'Pad': {
        if ((a.mode ?? 'constant') !== 'constant') fail('EF2003', `Pad mode '${a.mode}' is not written to TFLite`, { node: n.name });
        const r = rankOf(x);
        const pads = ints('pads', new Array(2 * r).fill(0));
        const p = this.constI32(`${n.name}/paddings`, [...Array(r).keys()].flatMap((i) => [pads[i], pads[r + i]]), [r, 2]);
        const yt = this.t(y);
        // `value` is real: a quantized output stores it quantized once (the integer kernel's padFill); a fill equal
        // to the zero point (real 0) is a plain PAD.
        const real = num('value', 0);
        const isFloat = yt.dtype === 'float32' || yt.dtype === 'float64';
        const zp = yt.quant?.zeroPoint[0] ?? 0;
        const value = isFloat || !yt.quant ? real : padFill(real, yt.quant.scale[0], zp, yt.dtype);
        if (value === (isFloat ? 0 : zp)) this.op(OP.PAD, [x, p], [y], OPT.PadOptions);
        else {
          const v = this.aux(`${n.name}/value`, yt.dtype, [1], typedOf(yt.dtype, [value]), yt.quant);
          this.op(OP.PADV2, [x, p, v], [y], OPT.PadV2Options);
        }
        return;
      }
      case 'Resize': {
        if (a.mode === 'linear') {
          this.resizeBilinear(n);
          return;
        }
        // RESIZE_NEAREST_NEIGHBOR has three index maps; a nearest Resize whose map is one of them (PyTorch's
        // Upsample: asymmetric/floor with an integer scale) is written as it, whatever its ONNX coordinate mode
        const sizes = a.sizes as number[] | undefined;
        const ctm = sizes && (a.mode ?? 'nearest') === 'nearest' ? tfliteNearestMode(this.t(x).shape, a, n.name) : undefined;
        if (!ctm || !sizes)
          fail('EF2003', `Resize (${String(a.mode ?? 'nearest')}, ${String(a.coordinate_transformation_mode ?? 'half_pixel')}) has no TFLite form; RESIZE_NEAREST_NEIGHBOR's index maps only`, { node: n.name });
        const size = this.constI32(`${n.name}/size`, [sizes[1], sizes[2]]);
        this.op(OP.RESIZE_NEAREST_NEIGHBOR, [x, size], [y], OPT.ResizeNearestNeighborOptions, [
          { id: F.ResizeNearestNeighborOptions.align_corners, kind: 'bool', value: ctm === 'tflite_align_corners' ? 1 : 0 },
          { id: F.ResizeNearestNeighborOptions.half_pixel_centers, kind: 'bool', value: ctm === 'tflite_half_pixel' ? 1 : 0 },
        ]);
        const keep: Attrs = {};
        for (const k of RESIZE_MAP_ATTRS) if (a[k] !== undefined) keep[k] = a[k];
        if (Object.keys(keep).length && a.coordinate_transformation_mode !== ctm) this.ops[this.ops.length - 1].keep = keep;
        return;
      }
      case 'Concat': {
        const r = rankOf(y);
        const axis = num('axis', 0);
        this.op(OP.CONCATENATION, n.inputs.slice(), [y], OPT.ConcatenationOptions, [
          { id: F.ConcatenationOptions.axis, kind: 'i32', value: axis < 0 ? axis + r : axis },
          { id: F.ConcatenationOptions.fused_activation_function, kind: 'i8', value: ACT.NONE },
        ]);
        return;
      }
      case 'Quantize':
        this.op(OP.QUANTIZE, [x], [y], OPT.QuantizeOptions);
        return;
      case 'Dequantize':
        this.op(OP.DEQUANTIZE, [x], [y], OPT.DequantizeOptions);
        return;
      case 'Transpose': {
        const p = this.constI32(`${n.name}/perm`, ints('perm', [...Array(rankOf(x)).keys()].reverse()));
        this.op(OP.TRANSPOSE, [x, p], [y], OPT.TransposeOptions);
        return;
      }
      case 'Slice':
        this.slice(n);
        return;
      case 'Gather': {
        const r = rankOf(x);
        const axis = num('axis', 0);
        this.op(OP.GATHER, [x, n.inputs[1]], [y], OPT.GatherOptions, [{ id: F.GatherOptions.axis, kind: 'i32', value: axis < 0 ? axis + r : axis }]);
        return;
      }
      case 'ArgMax': {
        if (num('keepdims', 1) || num('select_last_index', 0)) fail('EF2003', 'TFLite ARG_MAX drops the axis and takes the first maximum', { node: n.name });
        const r = rankOf(x);
        const axis = num('axis', 0);
        const ax = this.constI32(`${n.name}/axis`, [axis < 0 ? axis + r : axis]);
        this.op(OP.ARG_MAX, [x, ax], [y], OPT.ArgMaxOptions, [{ id: F.ArgMaxOptions.output_type, kind: 'i8', value: DTYPE_TO_TT[this.t(y).dtype] }]);
        return;
      }
      case 'Cast':
        this.op(OP.CAST, [x], [y]);
        return;
      case 'Lstm':
        writeLstm(this, n);
        return;
      case 'Gelu':
        this.op(OP.GELU, [x], [y], OPT.GeluOptions, [{ id: F.GeluOptions.approximate, kind: 'bool', value: a.approximate === 'tanh' ? 1 : 0 }]);
        return;
      case 'ConvTranspose':
        this.convTranspose(n);
        return;
      case 'HardSigmoid':
        this.unsupported.push(`HardSigmoid (node '${n.name}'): TFLite has no HARD_SIGMOID builtin (its converter lowers hard_sigmoid to MUL/ADD/RELU6 arithmetic, which is not this layer's integer kernel)`);
        return;
      case 'LayerNormalization':
        this.unsupported.push(`LayerNormalization (node '${n.name}'): TFLite has no LAYER_NORM builtin (its converter decomposes the op into MEAN, SQUARED_DIFFERENCE, RSQRT and MUL, which is not this layer's integer kernel)`);
        return;
      default:
        this.unsupported.push(`${n.op} (node '${n.name}')`);
    }
  }

  /**
   * Bilinear Resize → RESIZE_BILINEAR (inputs: input, size [OH, OW]). The ONNX coordinate mode becomes the option
   * pair whose sample points it equals (tfliteBilinearOptions); a description that differs from the importer's name
   * for that pair (PyTorch's pytorch_half_pixel, its scales) is kept in NODE_ATTRS_METADATA.
   */
  private resizeBilinear(n: Node): void {
    const a = n.attrs;
    const [x, y] = [n.inputs[0], n.outputs[0]];
    const ctm = (a.coordinate_transformation_mode as string | undefined) ?? 'half_pixel';
    const ys = this.t(y).shape;
    const o = tfliteBilinearOptions(this.t(x).shape, ys, a);
    if (typeof o === 'string')
      return fail('EF2003', `Resize (linear, ${ctm}) has no TFLite form: ${o}`, {
        node: n.name,
        suggestion: "export the upsampling with align_corners=True or False (PyTorch) / half_pixel_centers (TF) and an integer scale or explicit sizes, or build C directly with `espforge build MODEL --calib DATA`",
      });
    const size = this.constI32(`${n.name}/size`, [ys[1], ys[2]]);
    const f = F.ResizeBilinearOptions;
    this.op(OP.RESIZE_BILINEAR, [x, size], [y], OPT.ResizeBilinearOptions, [
      { id: f.align_corners, kind: 'bool', value: o.align ? 1 : 0 },
      { id: f.half_pixel_centers, kind: 'bool', value: o.half ? 1 : 0 },
    ]);
    const w = this.ops[this.ops.length - 1];
    // op_version: int16 input 4, half_pixel_centers 3, int8 2 (INT8_VERSION), else 1
    if (this.t(x).dtype === 'int16') w.version = 4;
    else if (o.half) w.version = 3;
    const keep: Attrs = {};
    for (const k of RESIZE_MAP_ATTRS) if (a[k] !== undefined) keep[k] = a[k];
    if (ctm !== bilinearModeName(o.align, o.half) || a.scales !== undefined || a.nearest_mode !== undefined) w.keep = keep;
  }

  /**
   * ConvTranspose → TRANSPOSE_CONV (inputs: output_shape, weights [Cout,KH,KW,Cin], input, bias). TFLite places the
   * taps as out = in·stride − pad_begin + k, pad_begin from SAME (computed on the output extent) or 0 (VALID), and
   * crops at the given output shape, so any pads whose begin is one of those two, with any end / output_padding,
   * has a form; pads and output_padding (which TFLite does not say apart) go in NODE_ATTRS_METADATA.
   */
  private convTranspose(n: Node): void {
    const a = n.attrs;
    const [x, wi, bias = -1] = n.inputs;
    const y = n.outputs[0];
    const W = this.t(wi);
    if (!W.data) fail('EF2005', 'ConvTranspose weights must be constant', { node: n.name });
    const ints = (k: string, d: number[]): number[] => (Array.isArray(a[k]) ? (a[k] as number[]) : d);
    if (((a.group as number | undefined) ?? 1) !== 1) fail('EF2003', 'grouped ConvTranspose has no TFLite form (TRANSPOSE_CONV has no groups)', { node: n.name });
    // TRANSPOSE_CONV has no dilation and only two pad rules (0, or SAME's on the filter extent): the filter is
    // written with its taps at their dilated positions and zero taps between them, and, where the output starts at
    // another pad, zero taps before or after it so that SAME's pad on the grown filter, less the leading zeros, is
    // the IR's (a zero weight adds nothing, in float and in int8 with its zero point 0). PyTorch's
    // ConvTranspose2d(k=3, stride=2, padding=1, output_padding=1) becomes a 4-tap SAME filter with a zero last tap.
    // The dilations and pads go in the metadata.
    const dils = ints('dilations', [1, 1]);
    const strides = ints('strides', [1, 1]);
    const pads = ints('pads', [0, 0, 0, 0]);
    const ext = [0, 1].map((k) => (W.shape[1 + k] - 1) * dils[k] + 1);
    const ys = this.t(y).shape;
    const padding = pads[0] === 0 && pads[1] === 0 ? Padding.VALID : Padding.SAME;
    const taps = [0, 1].map((k) => (padding === Padding.VALID ? { lead: 0, trail: 0 } : transposeConvTaps(ys[1 + k], ext[k], strides[k], pads[k])));
    if (taps.some((t) => !t)) return fail('EF9001', `ConvTranspose pads [${pads}]: no zero-tap placement found for TRANSPOSE_CONV`, { node: n.name });
    this.transposeConvWeights(wi, dils, taps as { lead: number; trail: number }[]);
    const shape = this.constI32(`${n.name}/output_shape`, ys);
    const f = F.TransposeConvOptions;
    const act = this.act(n);
    this.op(OP.TRANSPOSE_CONV, [shape, wi, x, bias], [y], OPT.TransposeConvOptions, [
      { id: f.padding, kind: 'i8', value: padding },
      { id: f.stride_w, kind: 'i32', value: strides[1] },
      { id: f.stride_h, kind: 'i32', value: strides[0] },
      { id: f.fused_activation_function, kind: 'i8', value: act },
    ]);
    const w = this.ops[this.ops.length - 1];
    // op_version: fused activation 4, bias 3, int8 2 (INT8_VERSION), else 1
    if (act !== ACT.NONE) w.version = 4;
    else if (bias >= 0) w.version = 3;
    w.keep = { pads: pads.slice(), output_padding: ints('output_padding', [0, 0]).slice(), ...(dils.some((d) => d !== 1) ? { dilations: dils.slice() } : {}) };
  }

  /**
   * Rewrite an IR ConvTranspose filter [Cin,KH,KW,Cout] as TFLite's [Cout,KH',KW',Cin] (per-channel axis 3 → 0): tap
   * (ky, kx) at (lead + ky·dh, lead + kx·dw), zeros elsewhere, KH' = lead + (KH−1)·dh + 1 + trail.
   */
  private transposeConvWeights(id: number, dils: number[], taps: { lead: number; trail: number }[]): void {
    const key = JSON.stringify([dils, taps]);
    const done = this.tcDone.get(id);
    if (done !== undefined) {
      if (done !== key) fail('EF2003', `ConvTranspose weights '${this.t(id).name}' are shared by layers whose TFLite filters differ (dilations, pads)`);
      return;
    }
    if (this.dwDone.has(id)) fail('EF2003', `weights '${this.t(id).name}' are shared by a depthwise convolution and a ConvTranspose, which TFLite lays out differently`);
    this.tcDone.set(id, key);
    const t = this.t(id);
    const [Ci, KH, KW, Co] = t.shape;
    const [dh, dw] = dils;
    const [th, tw] = taps;
    const EH = th.lead + (KH - 1) * dh + 1 + th.trail;
    const EW = tw.lead + (KW - 1) * dw + 1 + tw.trail;
    const src = t.data!;
    const data = new (src.constructor as { new (n: number): TypedArray })(Co * EH * EW * Ci);
    for (let ci = 0; ci < Ci; ci++)
      for (let ky = 0; ky < KH; ky++)
        for (let kx = 0; kx < KW; kx++)
          for (let co = 0; co < Co; co++) data[((co * EH + th.lead + ky * dh) * EW + tw.lead + kx * dw) * Ci + ci] = src[((ci * KH + ky) * KW + kx) * Co + co];
    const w = this.tensors[id];
    this.buffers[w.buffer] = this.bytesOf(t.dtype, data);
    w.shape = [Co, EH, EW, Ci];
    if (t.quant && t.quant.scale.length > 1) w.quant = { ...t.quant, axis: 0 };
  }

  /** IR Slice (ONNX semantics) → STRIDED_SLICE over every axis with explicit begin/end. */
  private slice(n: Node): void {
    const xs = this.t(n.inputs[0]).shape;
    const r = xs.length;
    const a = n.attrs;
    const starts = (a.starts as number[]) ?? [];
    const ends = (a.ends as number[]) ?? [];
    const axes = (a.axes as number[] | undefined) ?? starts.map((_, i) => i);
    const stepsIn = (a.steps as number[] | undefined) ?? starts.map(() => 1);
    const begin = xs.map(() => 0);
    const end = xs.slice();
    const steps = xs.map(() => 1);
    let endMask = 0;
    axes.forEach((ax0, i) => {
      const ax = ax0 < 0 ? ax0 + r : ax0;
      const d = xs[ax];
      const s = stepsIn[i];
      let b = starts[i] < 0 ? starts[i] + d : starts[i];
      let e = ends[i] < 0 ? ends[i] + d : ends[i];
      if (s > 0) {
        b = Math.min(Math.max(b, 0), d);
        e = Math.min(Math.max(e, 0), d);
      } else {
        b = Math.min(Math.max(b, 0), d - 1);
        e = Math.min(Math.max(e, -1), d - 1);
        if (e === -1) endMask |= 1 << ax;
      }
      begin[ax] = b;
      end[ax] = e;
      steps[ax] = s;
    });
    const bi = this.constI32(`${n.name}/begin`, begin);
    const ei = this.constI32(`${n.name}/end`, end);
    const si = this.constI32(`${n.name}/strides`, steps);
    this.op(OP.STRIDED_SLICE, [n.inputs[0], bi, ei, si], [n.outputs[0]], OPT.StridedSliceOptions, [{ id: F.StridedSliceOptions.end_mask, kind: 'i32', value: endMask }]);
  }
}

function typedOf(dtype: DType, v: number[]): TypedArray {
  switch (dtype) {
    case 'int8':
      return Int8Array.from(v);
    case 'uint8':
    case 'bool':
      return Uint8Array.from(v);
    case 'int16':
      return Int16Array.from(v);
    case 'uint16':
      return Uint16Array.from(v);
    case 'int32':
      return Int32Array.from(v);
    case 'float64':
    case 'int64':
      return Float64Array.from(v);
    default:
      return Float32Array.from(v);
  }
}

// ------------------------------------------------------------------ flatbuffer assembly

function vecI32(b: Builder, v: number[]): number {
  b.startVector(4, v.length, 4);
  for (let i = v.length - 1; i >= 0; i--) b.addInt32(v[i]);
  return b.endVector();
}

function vecF32(b: Builder, v: number[]): number {
  b.startVector(4, v.length, 4);
  for (let i = v.length - 1; i >= 0; i--) b.addFloat32(v[i]);
  return b.endVector();
}

function vecI64(b: Builder, v: number[]): number {
  b.startVector(8, v.length, 8);
  for (let i = v.length - 1; i >= 0; i--) b.addInt64(BigInt(v[i]));
  return b.endVector();
}

function vecBytes(b: Builder, v: Uint8Array, align: number): number {
  b.startVector(1, v.length, align);
  for (let i = v.length - 1; i >= 0; i--) b.addInt8(v[i]);
  return b.endVector();
}

function vecOffsets(b: Builder, v: number[]): number {
  b.startVector(4, v.length, 4);
  for (let i = v.length - 1; i >= 0; i--) b.addOffset(v[i]);
  return b.endVector();
}

function fieldCount(t: Record<string, number>): number {
  return Math.max(...Object.values(t)) + 1;
}

/** Build a .tflite file from an IR graph (shapes inferred, no unresolved dimensions). */
export function exportTflite(g: Graph, opts: ExportOptions = {}): Uint8Array {
  const w = new Writer(g);
  w.init();
  for (const n of g.nodes) {
    w.current = n;
    w.node(n);
  }
  if (w.unsupported.length) {
    // an op left in float by quantization has no integer kernel either: say what to do about that first
    const floatOps = [...new Set(g.nodes.filter((n) => w.unsupported.some((u) => u.includes(`(node '${n.name}')`)) && g.tensors[n.outputs[0]]?.dtype === 'float32' && g.tensors.some((t) => t.quant)).map((n) => n.op))];
    fail('EF2002', `no TFLite form for: ${w.unsupported.join(', ')}`, {
      notes: floatOps.map((op) => noIntegerKernelAdvice(op)),
      suggestion: floatOps.length
        ? 'replace the operators without an int8 kernel (see the notes) or compute them in the application; `espforge inspect --list-ops` lists the supported operators'
        : 'the C library does not need a .tflite: `espforge build MODEL --calib DATA` quantizes and generates it directly; `espforge inspect --list-ops` lists what each format supports',
    });
  }
  // TFLite operators have no names: the IR node names go in a metadata buffer, so that a re-import names layers
  // (C comments, reports, diagnostics) as the source model did. Interpreters ignore unknown metadata.
  w.buffers.push(new TextEncoder().encode(JSON.stringify(w.ops.map((o) => o.name))));
  const metadata: [string, number][] = [[NODE_NAMES_METADATA, w.buffers.length - 1]];
  if (w.ops.some((o) => o.keep)) {
    w.buffers.push(new TextEncoder().encode(JSON.stringify(w.ops.map((o) => o.keep ?? null))));
    metadata.push([NODE_ATTRS_METADATA, w.buffers.length - 1]);
  }

  const b = new Builder(1024 + w.buffers.reduce((s, x) => s + x.length + 32, 0));

  // Buffers (data first: the builder writes back to front, children before parents).
  const bufOffs = w.buffers.map((data) => {
    const d = data.length ? vecBytes(b, data, 16) : 0;
    b.startObject(fieldCount(F.Buffer));
    if (d) b.addFieldOffset(F.Buffer.data, d, 0);
    return b.endObject();
  });

  const tensorOffs = w.tensors.map((t) => {
    const name = b.createString(t.name);
    const shape = vecI32(b, t.shape);
    let q = 0;
    if (t.quant) {
      const sc = vecF32(b, t.quant.scale);
      const zp = vecI64(b, t.quant.zeroPoint);
      b.startObject(fieldCount(F.QuantizationParameters));
      b.addFieldOffset(F.QuantizationParameters.scale, sc, 0);
      b.addFieldOffset(F.QuantizationParameters.zero_point, zp, 0);
      b.addFieldInt32(F.QuantizationParameters.quantized_dimension, t.quant.axis, 0);
      q = b.endObject();
    }
    b.startObject(fieldCount(F.Tensor));
    b.addFieldOffset(F.Tensor.shape, shape, 0);
    b.addFieldInt8(F.Tensor.type, t.type, 0);
    b.addFieldInt32(F.Tensor.buffer, t.buffer, 0);
    b.addFieldOffset(F.Tensor.name, name, 0);
    if (q) b.addFieldOffset(F.Tensor.quantization, q, 0);
    if (t.variable) b.addFieldInt8(F.Tensor.is_variable, 1, 0);
    return b.endObject();
  });

  const int8 = g.tensors.some((t) => t.dtype === 'int8');
  const versionOf = (op: WOp) => op.version ?? (int8 ? (INT8_VERSION[op.code] ?? 1) : 1);
  // one operator code per (builtin, version), as the converter writes them
  const codes: { code: number; version: number }[] = [];
  const opOffs = w.ops.map((op) => {
    const version = versionOf(op);
    let ci = codes.findIndex((c) => c.code === op.code && c.version === version);
    if (ci < 0) ci = codes.push({ code: op.code, version }) - 1;
    const ins = vecI32(b, op.inputs);
    const outs = vecI32(b, op.outputs);
    let o = 0;
    if (op.optType) {
      const vecs = op.opts.map((f) => (f.kind === 'ints' ? vecI32(b, f.value as number[]) : 0));
      b.startObject(op.opts.length ? Math.max(...op.opts.map((f) => f.id)) + 1 : 0);
      op.opts.forEach((f, i) => {
        const v = f.value as number;
        if (f.kind === 'i8' || f.kind === 'bool') b.addFieldInt8(f.id, v, null);
        else if (f.kind === 'i32') b.addFieldInt32(f.id, v, null);
        else if (f.kind === 'f32') b.addFieldFloat32(f.id, v, null);
        else b.addFieldOffset(f.id, vecs[i], 0);
      });
      o = b.endObject();
    }
    b.startObject(fieldCount(F.Operator));
    b.addFieldInt32(F.Operator.opcode_index, ci, null);
    b.addFieldOffset(F.Operator.inputs, ins, 0);
    b.addFieldOffset(F.Operator.outputs, outs, 0);
    if (o) {
      b.addFieldInt8(F.Operator.builtin_options_type, op.optType, 0);
      b.addFieldOffset(F.Operator.builtin_options, o, 0);
    }
    return b.endObject();
  });

  const sgName = b.createString('main');
  const tv = vecOffsets(b, tensorOffs);
  const iv = vecI32(b, g.inputs);
  const ov = vecI32(b, g.outputs);
  const opv = vecOffsets(b, opOffs);
  b.startObject(fieldCount(F.SubGraph));
  b.addFieldOffset(F.SubGraph.tensors, tv, 0);
  b.addFieldOffset(F.SubGraph.inputs, iv, 0);
  b.addFieldOffset(F.SubGraph.outputs, ov, 0);
  b.addFieldOffset(F.SubGraph.operators, opv, 0);
  b.addFieldOffset(F.SubGraph.name, sgName, 0);
  const sg = b.endObject();

  const codeOffs = codes.map(({ code, version }) => {
    b.startObject(fieldCount(F.OperatorCode));
    b.addFieldInt8(F.OperatorCode.deprecated_builtin_code, Math.min(code, OP.PLACEHOLDER_FOR_GREATER_OP_CODES), null);
    b.addFieldInt32(F.OperatorCode.version, version, null);
    b.addFieldInt32(F.OperatorCode.builtin_code, code, null);
    return b.endObject();
  });

  const metaV = vecOffsets(
    b,
    metadata.map(([name, buffer]) => {
      const s = b.createString(name);
      b.startObject(fieldCount(F.Metadata));
      b.addFieldOffset(F.Metadata.name, s, 0);
      b.addFieldInt32(F.Metadata.buffer, buffer, 0);
      return b.endObject();
    }),
  );
  const desc = b.createString(opts.description ?? 'espforge');
  const codesV = vecOffsets(b, codeOffs);
  const sgV = vecOffsets(b, [sg]);
  const bufV = vecOffsets(b, bufOffs);
  b.startObject(fieldCount(F.Model));
  b.addFieldInt32(F.Model.version, 3, null);
  b.addFieldOffset(F.Model.operator_codes, codesV, 0);
  b.addFieldOffset(F.Model.subgraphs, sgV, 0);
  b.addFieldOffset(F.Model.description, desc, 0);
  b.addFieldOffset(F.Model.buffers, bufV, 0);
  b.addFieldOffset(F.Model.metadata, metaV, 0);
  const model = b.endObject();
  b.finish(model, 'TFL3');
  return b.asUint8Array().slice();
}
