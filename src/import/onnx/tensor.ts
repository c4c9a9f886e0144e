// ONNX TensorProto ↔ runtime Value: decoding initializers / Constant attributes / .pb test files, and
// writing .pb files. Every size is checked against the bytes actually present before anything is allocated,
// so a hostile or truncated file yields a coded diagnostic rather than a crash or a giant allocation.

import { EspforgeError, fail, type DiagCode } from '../../diagnostics.js';
import { allocArray, dtypeSize, fromLittleEndian, shapeSize, toLittleEndian, type DType } from '../../ir/dtype.js';
import type { Value } from '../../ops/types.js';
import { num, onnx, type TensorProto } from './proto.js';

/** ONNX TensorProto.DataType codes. */
export const ONNX_DTYPE: Record<number, DType> = {
  1: 'float32',
  2: 'uint8',
  3: 'int8',
  4: 'uint16',
  5: 'int16',
  6: 'int32',
  7: 'int64',
  9: 'bool',
  11: 'float64',
};
export const ONNX_DTYPE_NAME: Record<number, string> = {
  0: 'UNDEFINED', 1: 'FLOAT', 2: 'UINT8', 3: 'INT8', 4: 'UINT16', 5: 'INT16', 6: 'INT32', 7: 'INT64', 8: 'STRING',
  9: 'BOOL', 10: 'FLOAT16', 11: 'DOUBLE', 12: 'UINT32', 13: 'UINT64', 14: 'COMPLEX64', 15: 'COMPLEX128',
  16: 'BFLOAT16', 17: 'FLOAT8E4M3FN', 18: 'FLOAT8E4M3FNUZ', 19: 'FLOAT8E5M2', 20: 'FLOAT8E5M2FNUZ', 21: 'UINT4',
  22: 'INT4', 23: 'FLOAT4E2M1', 24: 'FLOAT8E8M0', 25: 'UINT2', 26: 'INT2',
};
const DTYPE_ONNX: Record<DType, number> = {
  float32: 1, uint8: 2, int8: 3, uint16: 4, int16: 5, int32: 6, int64: 7, bool: 9, float64: 11,
};

/** Largest tensor (elements) espforge materialises from a model or .pb file. */
export const MAX_TENSOR_ELEMS = 1 << 27;

export function onnxDType(code: number, what: string, file?: string, node?: string): DType {
  const dt = ONNX_DTYPE[code];
  if (!dt)
    fail('EF2006', `${what} has data type ${ONNX_DTYPE_NAME[code] ?? code}, which espforge does not handle`, {
      file,
      node,
      suggestion: 'convert the model to float32 (or int8/uint8 quantized) tensors',
    });
  return dt;
}

export function dtypeToOnnx(dt: DType): number {
  return DTYPE_ONNX[dt];
}

/** Validate a dims list: non-negative safe integers whose product stays under the cap. */
export function checkDims(dims: readonly unknown[], what: string, file?: string, code: DiagCode = 'EF2001'): number[] {
  const out = dims.map(num);
  let n = 1;
  for (const d of out) {
    if (!Number.isSafeInteger(d) || d < 0) fail(code, `${what} has an invalid dimension ${d}`, { file });
    n *= d;
  }
  if (n > MAX_TENSOR_ELEMS)
    fail('EF1007', `${what} declares [${out.join(',')}] = ${n} elements, more than espforge accepts (${MAX_TENSOR_ELEMS})`, { file });
  return out;
}

const esize = dtypeSize;

/** Decode little-endian bytes (re-exported: the one implementation lives in src/ir/dtype.ts). */
export { fromLittleEndian };

/** Decoded TensorProto → Value. `what` names the tensor in messages. */
export function tensorFromProto(t: TensorProto, what: string, file?: string): Value {
  if (num(t.dataLocation) === 1 || (t.externalData && t.externalData.length > 0)) {
    const loc = t.externalData?.find((e) => e.key === 'location')?.value;
    fail('EF2004', `${what} keeps its data in an external file${loc ? ` ('${loc}')` : ''}`, {
      file,
      suggestion: 'save the model with all tensors inside the .onnx file (onnx.save_model(..., save_as_external_data=False)) or convert it with onnx.external_data_helper.load_external_data_for_model',
    });
  }
  if (t.segment) fail('EF2001', `${what} is a segment of a larger tensor (TensorProto.segment), which espforge does not read`, { file });
  const dt = onnxDType(num(t.dataType), what, file);
  const shape = checkDims(t.dims ?? [], what, file);
  const n = shapeSize(shape);
  const raw = t.rawData;
  if (raw && raw.length > 0) {
    if (raw.length !== n * esize(dt))
      fail('EF2001', `${what} holds ${raw.length} bytes of raw data for [${shape.join(',')}] ${dt} (${n * esize(dt)} expected)`, { file });
    return { dtype: dt, shape, data: fromLittleEndian(raw, dt, n) };
  }
  let src: ArrayLike<unknown>;
  switch (dt) {
    case 'float32':
      src = t.floatData ?? [];
      break;
    case 'float64':
      src = t.doubleData ?? [];
      break;
    case 'int64':
      src = t.int64Data ?? [];
      break;
    default:
      src = t.int32Data ?? [];
  }
  if (src.length !== n) {
    if (n > 0 && src.length === 0 && num(t.dataType) !== 0)
      fail('EF2001', `${what} has no data for [${shape.join(',')}]`, { file });
    fail('EF2001', `${what} holds ${src.length} values for [${shape.join(',')}] (${n} expected)`, { file });
  }
  const out = allocArray(dt, n);
  if (dt === 'int64') for (let i = 0; i < n; i++) out[i] = num(src[i]);
  else if (dt === 'bool') for (let i = 0; i < n; i++) out[i] = src[i] ? 1 : 0;
  else for (let i = 0; i < n; i++) out[i] = src[i] as number;
  return { dtype: dt, shape, data: out };
}

/** Read a serialized TensorProto (.pb test-data file). */
export function readTensorProto(bytes: Uint8Array, file = '<tensor.pb>'): Value {
  let t: TensorProto;
  try {
    t = onnx.TensorProto.decode(bytes);
  } catch (e) {
    if (e instanceof EspforgeError) throw e;
    return fail('EF0004', `not a valid ONNX TensorProto: ${(e as Error).message}`, { file });
  }
  try {
    return tensorFromProto(t, `tensor '${t.name || file}'`, file);
  } catch (e) {
    // a .pb file is an array file: report its malformations under the array-file code
    if (e instanceof EspforgeError && e.diagnostics.every((d) => d.code === 'EF2001'))
      throw new EspforgeError(e.diagnostics.map((d) => ({ ...d, code: 'EF0004' as const })));
    throw e;
  }
}

/** Build a TensorProto message (raw_data little-endian) for a value. */
export function tensorToProto(v: Value, name = ''): TensorProto {
  const raw = toLittleEndian(v.data, v.dtype);
  return onnx.TensorProto.create({ name, dims: v.shape.slice(), dataType: DTYPE_ONNX[v.dtype], rawData: raw });
}

/** Serialize a value as a TensorProto .pb file. */
export function writeTensorProto(v: Value, name = ''): Uint8Array {
  return onnx.TensorProto.encode(tensorToProto(v, name)).finish();
}
