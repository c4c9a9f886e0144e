// Facts shared by the TFLite importer and writer: dtype and activation mappings, SAME padding.

import type { DType } from '../../ir/dtype.js';
import type { Attrs, Node } from '../../ir/graph.js';
import { getOp, normalizeAttrs } from '../../ops/index.js';
import { ActivationFunctionType as ACT, BuiltinOperator, TensorType as TT } from './generated/schema.js';

/** TFLite tensor type → IR dtype (FLOAT16 is decoded to float32 and only allowed on constants). */
export const TT_TO_DTYPE: Partial<Record<number, DType>> = {
  [TT.FLOAT32]: 'float32',
  [TT.FLOAT16]: 'float32',
  [TT.FLOAT64]: 'float64',
  [TT.INT8]: 'int8',
  [TT.UINT8]: 'uint8',
  [TT.INT16]: 'int16',
  [TT.UINT16]: 'uint16',
  [TT.INT32]: 'int32',
  [TT.INT64]: 'int64',
  [TT.BOOL]: 'bool',
};

export const DTYPE_TO_TT: Record<DType, number> = {
  float32: TT.FLOAT32,
  float64: TT.FLOAT64,
  int8: TT.INT8,
  uint8: TT.UINT8,
  int16: TT.INT16,
  uint16: TT.UINT16,
  int32: TT.INT32,
  int64: TT.INT64,
  bool: TT.BOOL,
};

export const TT_NAME: Record<number, string> = Object.fromEntries(Object.entries(TT).map(([k, v]) => [v, k]));

/** Bytes per stored element for the TFLite types we decode. */
export const TT_SIZE: Partial<Record<number, number>> = {
  [TT.FLOAT32]: 4,
  [TT.FLOAT16]: 2,
  [TT.FLOAT64]: 8,
  [TT.INT8]: 1,
  [TT.UINT8]: 1,
  [TT.INT16]: 2,
  [TT.UINT16]: 2,
  [TT.INT32]: 4,
  [TT.INT64]: 8,
  [TT.BOOL]: 1,
};

const OP_NAMES: Record<number, string> = Object.fromEntries(Object.entries(BuiltinOperator).map(([k, v]) => [v, k]));

export function opName(code: number): string {
  return OP_NAMES[code] ?? `BUILTIN_${code}`;
}

/** Fused activation code → IR `activation` attr (TANH and SIGN_BIT have no fused form in the IR). */
export function actName(code: number): string | undefined {
  switch (code) {
    case ACT.NONE:
      return 'none';
    case ACT.RELU:
      return 'relu';
    case ACT.RELU6:
      return 'relu6';
    case ACT.RELU_N1_TO_1:
      return 'relu_n1_to_1';
    default:
      return undefined;
  }
}

export function actCode(name: string | undefined): number | undefined {
  switch (name ?? 'none') {
    case 'none':
      return ACT.NONE;
    case 'relu':
      return ACT.RELU;
    case 'relu6':
      return ACT.RELU6;
    case 'relu_n1_to_1':
      return ACT.RELU_N1_TO_1;
    default:
      return undefined;
  }
}

/**
 * TFLite SAME padding for one spatial axis: out = ceil(in/stride),
 * total = max(0, (out-1)*stride + (k-1)*dil + 1 - in), begin = floor(total/2), the odd pixel at the end.
 */
export function samePad1(inSize: number, k: number, stride: number, dil: number): [number, number] {
  const out = Math.ceil(inSize / stride);
  const total = Math.max(0, (out - 1) * stride + (k - 1) * dil + 1 - inSize);
  const begin = Math.floor(total / 2);
  return [begin, total - begin];
}

/** [top, left, bottom, right] for SAME padding of an NHWC window op. */
export function samePads(inH: number, inW: number, kH: number, kW: number, strides: number[], dils: number[]): number[] {
  const [t, b] = samePad1(inH, kH, strides[0], dils[0]);
  const [l, r] = samePad1(inW, kW, strides[1], dils[1]);
  return [t, l, b, r];
}

/** Decode an IEEE half. */
export function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

/** Model.metadata entry in which espforge's writer records the IR node name of every operator (JSON array). */
export const NODE_NAMES_METADATA = 'espforge.node_names';

/**
 * Model.metadata entry with, per operator, the IR attributes its TFLite form cannot carry (null elsewhere): a
 * nearest or bilinear Resize's ONNX coordinate mode (and scales) when its sample points are the operator's, a
 * ConvTranspose's pads, output_padding and dilations. The importer adopts them only where they describe exactly
 * what the file's own operator computes.
 */
export const NODE_ATTRS_METADATA = 'espforge.node_attrs';

/** Attributes of a nearest Resize that only change how its index map is described, not the map. */
export const RESIZE_MAP_ATTRS = ['coordinate_transformation_mode', 'nearest_mode', 'scales'] as const;

/** Source index map of a nearest Resize on an [N,H,W,C] input, from the registry's kernel on an index-encoding map. */
export function nearestIndexMap(xs: readonly number[], attrs: Attrs, name: string): Float32Array | undefined {
  const sizes = attrs.sizes as number[] | undefined;
  const [H, W] = [xs[1], xs[2]];
  if (!sizes || sizes.length !== 4 || !(H * W < 2 ** 24) || (attrs.mode ?? 'nearest') !== 'nearest') return undefined;
  const def = getOp('Resize');
  const probe = { dtype: 'float32' as const, shape: [1, H, W, 1], data: Float32Array.from({ length: H * W }, (_, i) => i) };
  return def.evalFloat!([probe], normalizeAttrs(def, { ...attrs, sizes: [1, sizes[1], sizes[2], 1] }, name), { name } as Node)[0].data as Float32Array;
}

/** The TFLite nearest-neighbour mode (as the importer names it) whose index map equals this nearest Resize's. */
export function tfliteNearestMode(xs: readonly number[], attrs: Attrs, name: string): string | undefined {
  const ctm = (attrs.coordinate_transformation_mode as string | undefined) ?? 'half_pixel';
  if (ctm.startsWith('tflite_') && attrs.scales === undefined) return ctm;
  const want = nearestIndexMap(xs, attrs, name);
  if (!want) return undefined;
  for (const mode of ['tflite_asymmetric', 'tflite_half_pixel', 'tflite_align_corners']) {
    const got = nearestIndexMap(xs, { mode: 'nearest', coordinate_transformation_mode: mode, sizes: attrs.sizes }, name)!;
    if (got.length === want.length && got.every((v, i) => v === want[i])) return mode;
  }
  return undefined;
}

/** The ONNX coordinate mode the importer gives each RESIZE_BILINEAR option pair (align_corners, half_pixel_centers). */
export function bilinearModeName(align: boolean, half: boolean): string {
  return align ? 'align_corners' : half ? 'half_pixel' : 'asymmetric';
}

/**
 * RESIZE_BILINEAR's options for a bilinear Resize from [N,H,W,C] to [N,OH,OW,C], or why it has none. TFLite maps
 * by the sizes with three coordinate rules: align_corners ((in−1)/(out−1)), half_pixel_centers ((o+½)·in/out − ½)
 * and neither (o·in/out). ONNX align_corners, half_pixel and asymmetric are those rules; pytorch_half_pixel is
 * half_pixel wherever the output extent is > 1 (at 1 it samples pixel 0, which no TFLite rule does in general).
 * Explicit scales other than out/in move the sample points off all three.
 */
export function tfliteBilinearOptions(xs: readonly number[], ys: readonly number[], attrs: Attrs): { align: boolean; half: boolean } | string {
  const ctm = (attrs.coordinate_transformation_mode as string | undefined) ?? 'half_pixel';
  const scales = attrs.scales as number[] | undefined;
  const [H, W] = [xs[1], xs[2]];
  const [OH, OW] = [ys[1], ys[2]];
  if (scales && (scales[1] !== OH / H || scales[2] !== OW / W))
    return `its scales [${scales.join(',')}] are not output/input ([${OH / H},${OW / W}]); RESIZE_BILINEAR maps by the output size`;
  if (ctm === 'align_corners') return { align: true, half: false };
  if (ctm === 'half_pixel') return { align: false, half: true };
  if (ctm === 'asymmetric') return { align: false, half: false };
  if (ctm === 'pytorch_half_pixel') {
    if (OH > 1 && OW > 1) return { align: false, half: true };
    return `pytorch_half_pixel equals half_pixel_centers only where the output extent is > 1; this output is ${OH}x${OW}`;
  }
  return `RESIZE_BILINEAR has the coordinate rules align_corners, half_pixel_centers and asymmetric only, not '${ctm}'`;
}

/**
 * TRANSPOSE_CONV's SAME padding at the start of one output axis: TFLite computes it as for a forward convolution
 * whose input is the transposed convolution's output (extent `out`): total = max((⌈out/stride⌉ − 1)·stride + k −
 * out, 0), begin = ⌊total/2⌋ (the kernel crops the rest at the given output extent).
 */
export function transposeConvPad(out: number, k: number, stride: number): number {
  return samePad1(out, k, stride, 1)[0];
}

/**
 * Zero taps to put before (lead) and after (trail) a ConvTranspose filter of extent `ext` (dilated) so that
 * TRANSPOSE_CONV with SAME padding places it where the IR's pad `pad` does, on an output of extent `out`: the file
 * puts filter tap j at in·stride − SAME(ext + lead + trail) + j, the IR puts tap k at in·stride − pad + k, so
 * SAME(ext + lead + trail) − lead = pad. SAME's pad grows by 0 or 1 with each tap added, so trailing zeros reach
 * any pad ≥ SAME(ext) and leading ones any pad below it. Undefined only if the search bound is hit.
 */
export function transposeConvTaps(out: number, ext: number, stride: number, pad: number): { lead: number; trail: number } | undefined {
  const b0 = transposeConvPad(out, ext, stride);
  const bound = 2 * (pad + b0 + stride) + 8;
  for (let z = 0; z <= bound; z++) {
    if (pad >= b0 && transposeConvPad(out, ext + z, stride) === pad) return { lead: 0, trail: z };
    if (pad < b0 && transposeConvPad(out, ext + z, stride) - z === pad) return { lead: z, trail: 0 };
  }
  return undefined;
}
