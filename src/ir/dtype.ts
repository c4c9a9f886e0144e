// Element types of IR tensors and the typed arrays that hold them.
//
// int64 values are held in a Float64Array: exact up to 2^53, which covers every shape, index and
// count a model of this size can carry, and keeps arithmetic in plain numbers. Importers and writers
// convert at the boundary (ONNX raw_data, .npy files).

export const DTYPES = ['float32', 'float64', 'int8', 'uint8', 'int16', 'uint16', 'int32', 'int64', 'bool'] as const;
export type DType = (typeof DTYPES)[number];

export type TypedArray =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array;

export function isDType(s: string): s is DType {
  return (DTYPES as readonly string[]).includes(s);
}

/** Bytes one element occupies on the target (int64 counts 8 though held as float64 here). */
export function dtypeSize(dt: DType): number {
  switch (dt) {
    case 'float64':
    case 'int64':
      return 8;
    case 'float32':
    case 'int32':
      return 4;
    case 'int16':
    case 'uint16':
      return 2;
    case 'int8':
    case 'uint8':
    case 'bool':
      return 1;
  }
}

export function isIntegerDType(dt: DType): boolean {
  return dt !== 'float32' && dt !== 'float64';
}

/** Inclusive value range of an integer dtype. */
export function dtypeRange(dt: DType): [number, number] {
  switch (dt) {
    case 'int8':
      return [-128, 127];
    case 'uint8':
      return [0, 255];
    case 'int16':
      return [-32768, 32767];
    case 'uint16':
      return [0, 65535];
    case 'int32':
      return [-2147483648, 2147483647];
    case 'int64':
      return [-Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER];
    case 'bool':
      return [0, 1];
    default:
      return [-Infinity, Infinity];
  }
}

export function allocArray(dt: DType, n: number): TypedArray {
  switch (dt) {
    case 'float32':
      return new Float32Array(n);
    case 'float64':
    case 'int64':
      return new Float64Array(n);
    case 'int8':
      return new Int8Array(n);
    case 'uint8':
    case 'bool':
      return new Uint8Array(n);
    case 'int16':
      return new Int16Array(n);
    case 'uint16':
      return new Uint16Array(n);
    case 'int32':
      return new Int32Array(n);
  }
}

/** Copy `src` into a fresh array of dtype `dt` (values converted as JS numbers; integer targets truncate/wrap as typed arrays do). */
export function castArray(src: ArrayLike<number>, dt: DType): TypedArray {
  const out = allocArray(dt, src.length);
  if (dt === 'bool') {
    for (let i = 0; i < src.length; i++) out[i] = src[i] ? 1 : 0;
  } else if (dt === 'int64') {
    for (let i = 0; i < src.length; i++) out[i] = Math.trunc(src[i]);
  } else {
    for (let i = 0; i < src.length; i++) out[i] = src[i];
  }
  return out;
}

export function shapeSize(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

export function shapeToString(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}

/** Decode `n` little-endian elements of `dt` into a fresh array (copies first: file bytes are often unaligned). */
export function fromLittleEndian(raw: Uint8Array, dt: DType, n: number): TypedArray {
  const bytes = Uint8Array.prototype.slice.call(raw, 0, n * dtypeSize(dt));
  const out = allocArray(dt, n);
  switch (dt) {
    case 'int64': {
      const dv = new DataView(bytes.buffer);
      for (let i = 0; i < n; i++) out[i] = Number(dv.getBigInt64(i * 8, true));
      break;
    }
    case 'float32':
      out.set(new Float32Array(bytes.buffer, 0, n));
      break;
    case 'float64':
      out.set(new Float64Array(bytes.buffer, 0, n));
      break;
    case 'int32':
      out.set(new Int32Array(bytes.buffer, 0, n));
      break;
    case 'int16':
      out.set(new Int16Array(bytes.buffer, 0, n));
      break;
    case 'uint16':
      out.set(new Uint16Array(bytes.buffer, 0, n));
      break;
    case 'int8':
      out.set(new Int8Array(bytes.buffer, 0, n));
      break;
    case 'bool':
      for (let i = 0; i < n; i++) out[i] = bytes[i] ? 1 : 0;
      break;
    default:
      out.set(bytes);
  }
  return out;
}

/** Encode elements of `dt` as little-endian bytes (int64 from the float64 holder, truncated). */
export function toLittleEndian(data: ArrayLike<number>, dt: DType): Uint8Array {
  const n = data.length;
  const out = new Uint8Array(n * dtypeSize(dt));
  const dv = new DataView(out.buffer);
  for (let i = 0; i < n; i++) {
    const x = data[i];
    switch (dt) {
      case 'float32':
        dv.setFloat32(i * 4, x, true);
        break;
      case 'float64':
        dv.setFloat64(i * 8, x, true);
        break;
      case 'int64':
        dv.setBigInt64(i * 8, BigInt(Math.trunc(x)), true);
        break;
      case 'int32':
        dv.setInt32(i * 4, x, true);
        break;
      case 'int16':
        dv.setInt16(i * 2, x, true);
        break;
      case 'uint16':
        dv.setUint16(i * 2, x, true);
        break;
      case 'int8':
        dv.setInt8(i, x);
        break;
      case 'bool':
        dv.setUint8(i, x ? 1 : 0);
        break;
      default:
        dv.setUint8(i, x);
    }
  }
  return out;
}
