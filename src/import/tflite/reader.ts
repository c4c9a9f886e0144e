// A bounds-checked reader for the TFLite flatbuffer. Every offset, vtable, vector length and string is checked
// against the file before it is followed, so a truncated or corrupted file gives an EF2001 diagnostic instead of
// a RangeError, garbage, a hang or a giant allocation. Field ids come from the generated schema constants.
//
// Flatbuffer facts used: the file starts with a uoffset (u32) to the root table; a table starts with a soffset
// (i32) back to its vtable (vtable = table - soffset); a vtable is [u16 vtable bytes, u16 table bytes, u16 field
// offsets...]; a field offset of 0 means "absent, use the default"; offset fields (tables, vectors, strings) hold
// a u32 relative to their own position; vectors and strings start with a u32 element count. Little-endian.

import { fail } from '../../diagnostics.js';
import { FIELD } from './generated/schema.js';

export interface Table {
  pos: number;
  vt: number;
  vtLen: number;
  objLen: number;
}

export interface VecRef {
  start: number;
  length: number;
}

type Scalar = 'u8' | 'i8' | 'u16' | 'i32' | 'u32' | 'f32' | 'i64' | 'u64' | 'bool';
const SIZE: Record<Scalar, number> = { u8: 1, i8: 1, bool: 1, u16: 2, i32: 4, u32: 4, f32: 4, i64: 8, u64: 8 };

const utf8 = new TextDecoder('utf-8', { fatal: false });

export class FlatReader {
  readonly dv: DataView;
  readonly len: number;

  constructor(
    readonly bytes: Uint8Array,
    readonly file: string,
  ) {
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.len = bytes.byteLength;
  }

  bad(what: string): never {
    return fail('EF2001', `malformed TFLite file: ${what}`, {
      file: this.file,
      suggestion: 'the file is truncated or corrupted; re-export it from the TFLite converter',
    });
  }

  private need(p: number, n: number, what: string): void {
    if (!Number.isInteger(p) || p < 0 || p + n > this.len) this.bad(`${what} at byte ${p} lies outside the ${this.len}-byte file`);
  }

  read(kind: Scalar, p: number, what = 'value'): number {
    this.need(p, SIZE[kind], what);
    const dv = this.dv;
    switch (kind) {
      case 'u8':
        return dv.getUint8(p);
      case 'bool':
        return dv.getUint8(p) ? 1 : 0;
      case 'i8':
        return dv.getInt8(p);
      case 'u16':
        return dv.getUint16(p, true);
      case 'i32':
        return dv.getInt32(p, true);
      case 'u32':
        return dv.getUint32(p, true);
      case 'f32':
        return dv.getFloat32(p, true);
      case 'i64':
        return Number(dv.getBigInt64(p, true));
      case 'u64':
        return Number(dv.getBigUint64(p, true));
    }
  }

  table(pos: number, what: string): Table {
    this.need(pos, 4, what);
    const vt = pos - this.dv.getInt32(pos, true);
    this.need(vt, 4, `vtable of ${what}`);
    const vtLen = this.dv.getUint16(vt, true);
    const objLen = this.dv.getUint16(vt + 2, true);
    if (vtLen < 4 || vtLen % 2 !== 0) this.bad(`vtable of ${what} has bad size ${vtLen}`);
    this.need(vt, vtLen, `vtable of ${what}`);
    if (objLen < 4) this.bad(`${what} has bad size ${objLen}`);
    this.need(pos, objLen, what);
    return { pos, vt, vtLen, objLen };
  }

  root(): Table {
    if (this.len < 8) this.bad(`only ${this.len} bytes`);
    return this.table(this.read('u32', 0, 'root offset'), 'model');
  }

  /** Absolute position of field `id` (0 when absent), checked to lie inside the table. */
  fieldPos(t: Table, id: number, size: number, what: string): number {
    const o = 4 + 2 * id;
    if (o + 2 > t.vtLen) return 0;
    const off = this.dv.getUint16(t.vt + o, true);
    if (off === 0) return 0;
    if (off + size > t.objLen) this.bad(`field ${what} runs past its table`);
    return t.pos + off;
  }

  scalar(t: Table, id: number, kind: Scalar, dflt: number, what = `field ${id}`): number {
    const p = this.fieldPos(t, id, SIZE[kind], what);
    return p === 0 ? dflt : this.read(kind, p, what);
  }

  /** Follow an offset field: absolute target position, or 0 when absent. */
  private target(t: Table, id: number, what: string): number {
    const p = this.fieldPos(t, id, 4, what);
    if (p === 0) return 0;
    const tgt = p + this.read('u32', p, what);
    this.need(tgt, 4, what);
    return tgt;
  }

  sub(t: Table, id: number, what: string): Table | undefined {
    const tgt = this.target(t, id, what);
    return tgt === 0 ? undefined : this.table(tgt, what);
  }

  vec(t: Table, id: number, elem: number, what: string): VecRef | undefined {
    const tgt = this.target(t, id, what);
    if (tgt === 0) return undefined;
    const length = this.read('u32', tgt, what);
    const start = tgt + 4;
    if (length * elem > this.len - start) this.bad(`${what} claims ${length} elements, more than the file holds`);
    return { start, length };
  }

  nums(t: Table, id: number, kind: Scalar, what: string): number[] | undefined {
    const v = this.vec(t, id, SIZE[kind], what);
    if (!v) return undefined;
    const out = new Array<number>(v.length);
    for (let i = 0; i < v.length; i++) out[i] = this.read(kind, v.start + i * SIZE[kind], what);
    return out;
  }

  str(t: Table, id: number, what: string): string | undefined {
    const v = this.vec(t, id, 1, what);
    if (!v) return undefined;
    return utf8.decode(this.bytes.subarray(v.start, v.start + v.length));
  }

  tables(t: Table, id: number, what: string): Table[] {
    const v = this.vec(t, id, 4, what);
    if (!v) return [];
    const out: Table[] = [];
    for (let i = 0; i < v.length; i++) {
      const p = v.start + 4 * i;
      out.push(this.table(p + this.read('u32', p, what), `${what}[${i}]`));
    }
    return out;
  }
}

// ---- The decoded model (plain data; buffer contents stay as positions into the file) ----

export interface TfQuant {
  scale: number[];
  zeroPoint: number[];
  dim: number;
  hasDetails: boolean;
}

export interface TfTensor {
  shape: number[];
  shapeSignature?: number[];
  type: number;
  buffer: number;
  name: string;
  quant?: TfQuant;
  isVariable: boolean;
  sparse: boolean;
}

export interface TfOperator {
  opcodeIndex: number;
  inputs: number[];
  outputs: number[];
  optionsType: number;
  options?: Table;
  hasCustomOptions: boolean;
}

export interface TfOpCode {
  code: number;
  custom?: string;
  version: number;
}

export interface TfSubGraph {
  tensors: TfTensor[];
  inputs: number[];
  outputs: number[];
  operators: TfOperator[];
  name?: string;
}

export interface TfBuffer {
  /** Position and size of the bytes inside the file; size 0 = no data. */
  start: number;
  size: number;
}

export interface TfModel {
  version: number;
  opcodes: TfOpCode[];
  subgraphs: TfSubGraph[];
  description?: string;
  buffers: TfBuffer[];
  /** Model.metadata entries: name → buffer index (e.g. espforge's node names, TFLite's min_runtime_version). */
  metadata: Map<string, number>;
}

const F = FIELD;

function readTensor(r: FlatReader, t: Table, i: number): TfTensor {
  const what = `tensor ${i}`;
  const shape = r.nums(t, F.Tensor.shape, 'i32', `${what} shape`) ?? [];
  const shapeSignature = r.nums(t, F.Tensor.shape_signature, 'i32', `${what} shape_signature`);
  const q = r.sub(t, F.Tensor.quantization, `${what} quantization`);
  let quant: TfQuant | undefined;
  if (q) {
    const scale = r.nums(q, F.QuantizationParameters.scale, 'f32', `${what} scales`) ?? [];
    const zeroPoint = r.nums(q, F.QuantizationParameters.zero_point, 'i64', `${what} zero points`) ?? [];
    const dim = r.scalar(q, F.QuantizationParameters.quantized_dimension, 'i32', 0, `${what} quantized_dimension`);
    const hasDetails = r.scalar(q, F.QuantizationParameters.details_type, 'u8', 0) !== 0;
    if (scale.length || zeroPoint.length || hasDetails) quant = { scale, zeroPoint, dim, hasDetails };
  }
  return {
    shape,
    shapeSignature,
    type: r.scalar(t, F.Tensor.type, 'i8', 0, `${what} type`),
    buffer: r.scalar(t, F.Tensor.buffer, 'u32', 0, `${what} buffer`),
    name: r.str(t, F.Tensor.name, `${what} name`) ?? '',
    quant,
    isVariable: r.scalar(t, F.Tensor.is_variable, 'bool', 0) === 1,
    sparse: r.sub(t, F.Tensor.sparsity, `${what} sparsity`) !== undefined,
  };
}

function readOperator(r: FlatReader, t: Table, i: number): TfOperator {
  const what = `operator ${i}`;
  const optionsType = r.scalar(t, F.Operator.builtin_options_type, 'u8', 0, `${what} options type`);
  return {
    opcodeIndex: r.scalar(t, F.Operator.opcode_index, 'u32', 0, `${what} opcode index`),
    inputs: r.nums(t, F.Operator.inputs, 'i32', `${what} inputs`) ?? [],
    outputs: r.nums(t, F.Operator.outputs, 'i32', `${what} outputs`) ?? [],
    optionsType,
    options: optionsType ? r.sub(t, F.Operator.builtin_options, `${what} options`) : undefined,
    hasCustomOptions: r.vec(t, F.Operator.custom_options, 1, `${what} custom options`) !== undefined,
  };
}

export function readModel(bytes: Uint8Array, file: string): { r: FlatReader; model: TfModel } {
  const r = new FlatReader(bytes, file);
  const m = r.root();
  const version = r.scalar(m, F.Model.version, 'u32', 0, 'schema version');
  const opcodes = r.tables(m, F.Model.operator_codes, 'operator code').map((t, i) => {
    const dep = r.scalar(t, F.OperatorCode.deprecated_builtin_code, 'i8', 0, `operator code ${i}`);
    const code = r.scalar(t, F.OperatorCode.builtin_code, 'i32', 0, `operator code ${i}`);
    return {
      code: Math.max(dep, code),
      custom: r.str(t, F.OperatorCode.custom_code, `operator code ${i} custom name`),
      version: r.scalar(t, F.OperatorCode.version, 'i32', 1, `operator code ${i} version`),
    };
  });
  const subgraphs = r.tables(m, F.Model.subgraphs, 'subgraph').map((sg, k) => ({
    tensors: r.tables(sg, F.SubGraph.tensors, `subgraph ${k} tensor`).map((t, i) => readTensor(r, t, i)),
    inputs: r.nums(sg, F.SubGraph.inputs, 'i32', `subgraph ${k} inputs`) ?? [],
    outputs: r.nums(sg, F.SubGraph.outputs, 'i32', `subgraph ${k} outputs`) ?? [],
    operators: r.tables(sg, F.SubGraph.operators, `subgraph ${k} operator`).map((t, i) => readOperator(r, t, i)),
    name: r.str(sg, F.SubGraph.name, `subgraph ${k} name`),
  }));
  const buffers = r.tables(m, F.Model.buffers, 'buffer').map((b, i): TfBuffer => {
    const d = r.vec(b, F.Buffer.data, 1, `buffer ${i} data`);
    if (d && d.length > 0) return { start: d.start, size: d.length };
    const offset = r.scalar(b, F.Buffer.offset, 'u64', 0, `buffer ${i} offset`);
    const size = r.scalar(b, F.Buffer.size, 'u64', 0, `buffer ${i} size`);
    if (offset > 1) {
      if (!(size >= 0 && offset + size <= r.len)) r.bad(`buffer ${i} points at bytes ${offset}..${offset + size} outside the file`);
      return { start: offset, size };
    }
    return { start: 0, size: 0 };
  });
  const metadata = new Map<string, number>();
  r.tables(m, F.Model.metadata, 'metadata').forEach((t, i) => {
    const name = r.str(t, F.Metadata.name, `metadata ${i} name`);
    const buffer = r.scalar(t, F.Metadata.buffer, 'u32', 0, `metadata ${i} buffer`);
    if (name !== undefined && buffer < buffers.length) metadata.set(name, buffer);
  });
  return { r, model: { version, opcodes, subgraphs, description: r.str(m, F.Model.description, 'description'), buffers, metadata } };
}
