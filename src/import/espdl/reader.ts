// A bounds-checked reader for ESP-DL v3 model files (.espdl). The file is a 16-byte container header — ASCII
// "EDL2", then little-endian u32 mode (0 = plain, 1 = AES encrypted), u32 payload length, u32 reserved — and a
// FlatBuffer whose root is `Model` in ESP-DL's schema (schema/espdl.fbs, a copy of esp-dl/fbs_loader/espdl.fbs).
// The schema mirrors ONNX (Model → Graph → Node / Tensor / ValueInfo / Attribute) and adds power-of-two
// quantization: tensors and value infos carry `exponents` (real = integer · 2^exponent).
//
// The FlatBuffer walking (every offset, vtable, vector length and string checked against the payload) is the
// TFLite reader's FlatReader; only the diagnostic differs. Field ids below are the field order of espdl.fbs.

import { fail } from '../../diagnostics.js';
import { FlatReader, type Table } from '../tflite/reader.js';

export const EDL2_MAGIC = 'EDL2';
export const EDL2_HEADER = 16;

/** Field ids (declaration order) of the espdl.fbs tables espforge reads. */
export const FIELD = {
  Model: { ir_version: 0, opset_import: 1, producer_name: 2, producer_version: 3, domain: 4, model_version: 5, doc_string: 6, graph: 7, metadata_props: 8 },
  Graph: { node: 0, name: 1, initializer: 2, doc_string: 3, input: 4, output: 5, value_info: 6, quantization_annotation: 7, test_inputs_value: 8, test_outputs_value: 9 },
  Node: { input: 0, output: 1, name: 2, op_type: 3, domain: 4, attribute: 5, doc_string: 6 },
  Attribute: { name: 0, ref_attr_name: 1, doc_string: 2, attr_type: 3, f: 4, i: 5, s: 6, t: 7, g: 8, tp: 9, floats: 10, ints: 11, strings: 12 },
  ValueInfo: { name: 0, value_info_type: 1, doc_string: 2, exponents: 3 },
  Tensor: { dims: 0, data_type: 1, float_data: 2, int32_data: 3, string_data: 4, int64_data: 5, name: 6, doc_string: 7, raw_data: 8, external_data: 9, data_location: 10, double_data: 11, uint64_data: 12, exponents: 13 },
  TypeInfo: { value_type: 0, value: 1, denotation: 2 },
  TensorTypeAndShape: { elem_type: 0, shape: 1 },
  TensorShape: { dim: 0 },
  Dimension: { value: 0, denotation: 1 },
  DimensionValue: { dim_type: 0, dim_value: 1, dim_param: 2 },
  StringStringEntry: { key: 0, value: 1 },
} as const;

/** espdl.fbs AttributeType. */
export const ATTR = { UNDEFINED: 0, FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, GRAPH: 5, FLOATS: 6, INTS: 7, STRINGS: 8 } as const;

/** espdl.fbs TensorDataType (ONNX numbering). */
export const DT = { UNDEFINED: 0, FLOAT: 1, UINT8: 2, INT8: 3, UINT16: 4, INT16: 5, INT32: 6, INT64: 7, STRING: 8, BOOL: 9, FLOAT16: 10, DOUBLE: 11, UINT32: 12, UINT64: 13 } as const;
export const DT_NAME: Record<number, string> = Object.fromEntries(Object.entries(DT).map(([k, v]) => [v, k]));
export const DT_SIZE: Record<number, number> = { 1: 4, 2: 1, 3: 1, 4: 2, 5: 2, 6: 4, 7: 8, 9: 1, 10: 2, 11: 8, 12: 4, 13: 8 };

export type EdlAttr =
  | { kind: 'float'; value: number }
  | { kind: 'int'; value: number }
  | { kind: 'string'; value: string }
  | { kind: 'floats'; value: number[] }
  | { kind: 'ints'; value: number[] }
  | { kind: 'strings'; value: string[] }
  | { kind: 'other'; type: number };

export interface EdlNode {
  name: string;
  opType: string;
  inputs: string[];
  outputs: string[];
  attrs: Map<string, EdlAttr>;
}

export interface EdlTensor {
  name: string;
  dims: number[];
  dataType: number;
  /** Position and byte length of the element data inside the payload (raw_data, or a typed *_data vector). */
  start: number;
  size: number;
  exponents: number[];
  docString?: string;
}

export interface EdlValueInfo {
  name: string;
  elemType: number;
  /** undefined entries are symbolic or unknown dimensions. */
  shape?: (number | undefined)[];
  exponents: number[];
}

export interface EdlModel {
  irVersion: number;
  producer?: string;
  nodes: EdlNode[];
  initializers: EdlTensor[];
  inputs: EdlValueInfo[];
  outputs: EdlValueInfo[];
  valueInfo: EdlValueInfo[];
  testInputs: EdlTensor[];
  testOutputs: EdlTensor[];
  metadata: Map<string, string>;
}

/** FlatReader whose failures name the .espdl format. */
export class EspdlReader extends FlatReader {
  override bad(what: string): never {
    return fail('EF2001', `malformed ESP-DL model (.espdl): ${what}`, {
      file: this.file,
      suggestion: 'the file is truncated or corrupted; re-export it with esp-ppq (espdl_quantize_onnx/torch)',
    });
  }
}

/** Check the EDL2 container header and return the FlatBuffer payload. */
export function espdlPayload(bytes: Uint8Array, file: string): Uint8Array {
  const bad = (what: string, suggestion?: string): never =>
    fail('EF2001', `malformed ESP-DL model (.espdl): ${what}`, { file, suggestion: suggestion ?? 'the file is truncated or corrupted; re-export it with esp-ppq' });
  if (bytes.length < EDL2_HEADER) bad(`only ${bytes.length} bytes, shorter than the 16-byte EDL2 header`);
  const magic = String.fromCharCode(...bytes.subarray(0, 4));
  if (magic === 'EDL1') bad('legacy EDL1 container (12-byte header); espforge reads EDL2', 're-export the model with a current esp-ppq');
  if (magic.startsWith('PDL')) bad(`packed multi-model file (${magic}); espforge reads single-model EDL2 files`, 'export each model to its own .espdl file');
  if (magic !== EDL2_MAGIC) bad(`magic is ${JSON.stringify(magic)}, not "EDL2"`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const mode = dv.getUint32(4, true);
  const size = dv.getUint32(8, true);
  if (mode === 1) bad('the model is AES-encrypted (mode 1)', 'export it without encryption; espforge cannot decrypt ESP-DL models');
  if (mode !== 0) bad(`unknown container mode ${mode}`);
  if (size < 8 || size > bytes.length - EDL2_HEADER) bad(`header claims a ${size}-byte payload but ${bytes.length - EDL2_HEADER} bytes follow it`);
  return bytes.subarray(EDL2_HEADER, EDL2_HEADER + size);
}

const F = FIELD;

function readAttr(r: EspdlReader, t: Table, what: string): [string, EdlAttr] {
  const name = r.str(t, F.Attribute.name, `${what} name`) ?? '';
  const type = r.scalar(t, F.Attribute.attr_type, 'i32', 0, `${what} type`);
  const w = `${what} '${name}'`;
  switch (type) {
    case ATTR.FLOAT: {
      const p = r.fieldPos(t, F.Attribute.f, 4, w);
      return [name, { kind: 'float', value: p ? r.read('f32', p, w) : 0 }];
    }
    case ATTR.INT: {
      const p = r.fieldPos(t, F.Attribute.i, 8, w);
      return [name, { kind: 'int', value: p ? r.read('i64', p, w) : 0 }];
    }
    case ATTR.STRING: {
      const v = r.vec(t, F.Attribute.s, 1, w);
      return [name, { kind: 'string', value: v ? new TextDecoder().decode(r.bytes.subarray(v.start, v.start + v.length)) : '' }];
    }
    case ATTR.FLOATS:
      return [name, { kind: 'floats', value: r.nums(t, F.Attribute.floats, 'f32', w) ?? [] }];
    case ATTR.INTS:
      return [name, { kind: 'ints', value: r.nums(t, F.Attribute.ints, 'i64', w) ?? [] }];
    case ATTR.STRINGS: {
      const v = r.vec(t, F.Attribute.strings, 4, w);
      const out: string[] = [];
      if (v)
        for (let i = 0; i < v.length; i++) {
          const p = v.start + 4 * i;
          const s = p + r.read('u32', p, w);
          const n = r.read('u32', s, w);
          if (n > r.len - s - 4) r.bad(`${w} string ${i} runs past the file`);
          out.push(new TextDecoder().decode(r.bytes.subarray(s + 4, s + 4 + n)));
        }
      return [name, { kind: 'strings', value: out }];
    }
    default:
      return [name, { kind: 'other', type }];
  }
}

function readStrings(r: EspdlReader, t: Table, id: number, what: string): string[] {
  const v = r.vec(t, id, 4, what);
  const out: string[] = [];
  if (!v) return out;
  for (let i = 0; i < v.length; i++) {
    const p = v.start + 4 * i;
    const s = p + r.read('u32', p, what);
    const n = r.read('u32', s, what);
    if (n > r.len - s - 4) r.bad(`${what}[${i}] runs past the file`);
    out.push(new TextDecoder().decode(r.bytes.subarray(s + 4, s + 4 + n)));
  }
  return out;
}

function readTensor(r: EspdlReader, t: Table, what: string): EdlTensor {
  const name = r.str(t, F.Tensor.name, `${what} name`) ?? '';
  const w = `${what} '${name}'`;
  const dims = r.nums(t, F.Tensor.dims, 'i64', `${w} dims`) ?? [];
  const dataType = r.scalar(t, F.Tensor.data_type, 'i32', 0, `${w} data type`);
  if (r.scalar(t, F.Tensor.data_location, 'i32', 0, `${w} data location`) !== 0)
    fail('EF2004', `tensor '${name}' keeps its data in an external file`, { file: r.file, suggestion: 're-export the model with the weights inside the .espdl file' });
  let start = 0;
  let size = 0;
  const raw = r.vec(t, F.Tensor.raw_data, 16, `${w} raw data`);
  if (raw && raw.length > 0) {
    start = raw.start;
    size = raw.length * 16;
  } else {
    // typed data vectors (esp-ppq writes raw_data; the typed fields are accepted for completeness)
    const typed: [number, number][] = [
      [F.Tensor.float_data, 4],
      [F.Tensor.int32_data, 4],
      [F.Tensor.int64_data, 8],
      [F.Tensor.double_data, 8],
      [F.Tensor.uint64_data, 8],
    ];
    for (const [id, el] of typed) {
      const v = r.vec(t, id, el, `${w} data`);
      if (v && v.length > 0) {
        start = v.start;
        size = v.length * el;
        break;
      }
    }
  }
  const exponents = r.nums(t, F.Tensor.exponents, 'i64', `${w} exponents`) ?? [];
  return { name, dims, dataType, start, size, exponents, docString: r.str(t, F.Tensor.doc_string, `${w} doc string`) };
}

function readValueInfo(r: EspdlReader, t: Table, what: string): EdlValueInfo {
  const name = r.str(t, F.ValueInfo.name, `${what} name`) ?? '';
  const w = `${what} '${name}'`;
  const exponents = r.nums(t, F.ValueInfo.exponents, 'i64', `${w} exponents`) ?? [];
  let elemType: number = DT.UNDEFINED;
  let shape: (number | undefined)[] | undefined;
  const ti = r.sub(t, F.ValueInfo.value_info_type, `${w} type`);
  if (ti && r.scalar(ti, F.TypeInfo.value_type, 'u8', 0, `${w} type kind`) === 1) {
    const tt = r.sub(ti, F.TypeInfo.value, `${w} tensor type`);
    if (tt) {
      elemType = r.scalar(tt, F.TensorTypeAndShape.elem_type, 'i32', 0, `${w} element type`);
      const sh = r.sub(tt, F.TensorTypeAndShape.shape, `${w} shape`);
      if (sh)
        shape = r.tables(sh, F.TensorShape.dim, `${w} dim`).map((d, k) => {
          const dv = r.sub(d, F.Dimension.value, `${w} dim ${k}`);
          if (!dv) return undefined;
          const kind = r.scalar(dv, F.DimensionValue.dim_type, 'i8', 0, `${w} dim ${k}`);
          return kind === 1 ? r.scalar(dv, F.DimensionValue.dim_value, 'i64', 0, `${w} dim ${k}`) : undefined;
        });
    }
  }
  return { name, elemType, shape, exponents };
}

/** Parse the container and the FlatBuffer into plain data; element data stays as positions in `r.bytes`. */
export function readEspdl(bytes: Uint8Array, file: string): { r: EspdlReader; model: EdlModel } {
  const payload = espdlPayload(bytes, file);
  const r = new EspdlReader(payload, file);
  const m = r.root();
  const g = r.sub(m, F.Model.graph, 'graph') ?? r.bad('the model has no graph');
  const metadata = new Map<string, string>();
  for (const e of r.tables(m, F.Model.metadata_props, 'metadata entry'))
    metadata.set(r.str(e, F.StringStringEntry.key, 'metadata key') ?? '', r.str(e, F.StringStringEntry.value, 'metadata value') ?? '');
  const nodes = r.tables(g, F.Graph.node, 'node').map((t, i): EdlNode => {
    const w = `node ${i}`;
    return {
      name: r.str(t, F.Node.name, `${w} name`) ?? `node_${i}`,
      opType: r.str(t, F.Node.op_type, `${w} op type`) ?? '',
      inputs: readStrings(r, t, F.Node.input, `${w} inputs`),
      outputs: readStrings(r, t, F.Node.output, `${w} outputs`),
      attrs: new Map(r.tables(t, F.Node.attribute, `${w} attribute`).map((a, k) => readAttr(r, a, `${w} attribute ${k}`))),
    };
  });
  return {
    r,
    model: {
      irVersion: r.scalar(m, F.Model.ir_version, 'i32', 0, 'ir_version'),
      producer: r.str(m, F.Model.producer_name, 'producer name'),
      nodes,
      initializers: r.tables(g, F.Graph.initializer, 'initializer').map((t, i) => readTensor(r, t, `initializer ${i}`)),
      inputs: r.tables(g, F.Graph.input, 'graph input').map((t, i) => readValueInfo(r, t, `graph input ${i}`)),
      outputs: r.tables(g, F.Graph.output, 'graph output').map((t, i) => readValueInfo(r, t, `graph output ${i}`)),
      valueInfo: r.tables(g, F.Graph.value_info, 'value info').map((t, i) => readValueInfo(r, t, `value info ${i}`)),
      testInputs: r.tables(g, F.Graph.test_inputs_value, 'test input').map((t, i) => readTensor(r, t, `test input ${i}`)),
      testOutputs: r.tables(g, F.Graph.test_outputs_value, 'test output').map((t, i) => readTensor(r, t, `test output ${i}`)),
      metadata,
    },
  };
}
