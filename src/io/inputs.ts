// Reading model inputs for `run` / `eval`: .npy, .npz (by input name, or the first array), ONNX TensorProto
// .pb, images (decoded and resized with sharp to the input's H×W×C) and raw bytes in the input's dtype.

import { existsSync, readFileSync, statSync } from 'node:fs';
import { extname } from 'node:path';
import { fail } from '../diagnostics.js';
import { allocArray, dtypeSize, shapeSize } from '../ir/dtype.js';
import type { Graph, Tensor } from '../ir/graph.js';
import { sourceShape, toStoredLayout } from '../ir/layout.js';
import type { Value } from '../ops/types.js';
import { readNpy, readNpz } from './npy.js';
import { interpretInput, type InputKind } from '../quant/report.js';

const IMAGE_EXT = new Set(['.png', '.jpg', '.jpeg', '.bmp', '.gif', '.webp', '.tif', '.tiff']);

/** Read one array file as it is (no layout handling). For .npz, `key` selects an entry. */
export async function readArrayFile(path: string, key?: string): Promise<Value> {
  if (!existsSync(path)) fail('EF0001', 'no such file', { file: path });
  const bytes = readFileSync(path);
  const ext = extname(path).toLowerCase();
  if (ext === '.npy') return readNpy(bytes, path);
  if (ext === '.npz') {
    const m = readNpz(bytes, path);
    if (key !== undefined) {
      const v = m.get(key);
      if (!v) fail('EF0004', `no array '${key}' in the archive (it has: ${[...m.keys()].join(', ')})`, { file: path });
      return v;
    }
    const first = m.values().next();
    if (first.done) fail('EF0004', 'the archive holds no arrays', { file: path });
    return first.value;
  }
  if (ext === '.pb') {
    const { readTensorProto } = await import('../import/onnx/tensor.js');
    return readTensorProto(bytes, path);
  }
  return fail('EF0003', `cannot read '${ext}' files as arrays`, { file: path, suggestion: 'use .npy, .npz, .pb, or an image' });
}

/**
 * Decode an image to the H×W×C of graph input `t` (NHWC stored layout). The TFLite image-model convention: an int8
 * input takes pixel − 128 and a uint8 input the pixel, as raw quantized values; anything else (a float model, or
 * `kind` 'real') gets the pixels 0..255 as float32 real values.
 */
export async function readImageFor(path: string, t: Tensor, kind?: InputKind): Promise<Value> {
  const shape = t.shape.map((d) => (d < 0 ? 1 : d));
  if (shape.length !== 4) fail('EF1004', `input '${t.name}' has shape [${shape}], not an image (NHWC)`, { file: path });
  const [, h, w, c] = shape;
  if (c !== 1 && c !== 3) fail('EF1004', `input '${t.name}' has ${c} channels; images need 1 or 3`, { file: path });
  const sharp = (await import('sharp')).default;
  let img = sharp(readFileSync(path)).resize(w, h, { fit: 'fill' }).removeAlpha();
  img = c === 1 ? img.grayscale() : img.toColourspace('srgb');
  let raw: Buffer;
  try {
    raw = await img.raw().toBuffer();
  } catch (e) {
    return fail('EF0003', `cannot decode image: ${(e as Error).message}`, { file: path });
  }
  const n = h * w * c;
  if (raw.length !== n) fail('EF0003', `decoded image has ${raw.length} bytes, expected ${n}`, { file: path });
  const rawInt = kind !== 'real' && t.quant !== undefined && (t.dtype === 'int8' || t.dtype === 'uint8');
  const dtype = rawInt ? t.dtype : 'float32';
  const data = allocArray(dtype, n);
  for (let i = 0; i < n; i++) data[i] = dtype === 'int8' ? raw[i] - 128 : raw[i];
  return { dtype, shape, data };
}

/** One graph input's host data: one or more samples (an array with a leading batch axis gives several). */
export interface LoadedInput {
  /** Graph input name. */
  name: string;
  file: string;
  /** Samples in the stored layout, still in the file's dtype; `quantizeInput` converts them. */
  samples: Value[];
  kind: InputKind;
  /** Why this kind, and how the file was read. */
  reason: string;
}

/**
 * Load the data for graph input `index` from `path`, converted to the stored layout, and decide with
 * `interpretInput` (src/quant/report.ts) whether it holds raw quantized values or real values. Arrays keep their
 * dtype; .raw/.bin bytes are the input's dtype (raw values) or, when their size says so or `kind` is 'real',
 * float32 (real values); images follow `readImageFor`. An array whose leading axis is N while the input's batch is
 * 1 holds N samples.
 */
export async function loadInputFor(g: Graph, index: number, path: string, kind?: InputKind): Promise<LoadedInput> {
  const t = g.tensors[g.inputs[index]];
  if (!existsSync(path)) fail('EF0001', 'no such input file', { file: path });
  if (statSync(path).isDirectory()) fail('EF0001', 'is a directory; --input takes one file per model input', { file: path });
  const ext = extname(path).toLowerCase();
  let v: Value;
  let how = '';
  if (IMAGE_EXT.has(ext)) {
    v = await readImageFor(path, t, kind);
    how = v.dtype === 'float32' ? 'image, pixels 0..255' : v.dtype === 'int8' ? 'image, pixel − 128' : 'image, pixels';
  } else if (ext === '.raw' || ext === '.bin') {
    v = readRawFor(path, t, kind);
    how = `raw bytes read as ${v.dtype}`;
  } else {
    const key = ext === '.npz' ? await pickNpzKey(path, t.name, index) : undefined;
    v = await readArrayFile(path, key);
  }
  const samples = splitBatch(v, t).map((s) => toStoredLayout(s, t, undefined, path));
  const how2 = interpretInput(samples[0], t, kind);
  const reason = [how, how2.reason].filter(Boolean).join('; ') + (samples.length > 1 ? `; ${samples.length} samples` : '');
  return { name: t.name, file: path, samples, kind: how2.kind, reason };
}

/** A `.raw`/`.bin` file: the input's dtype when the size fits it (and `kind` is not 'real'), else float32. */
function readRawFor(path: string, t: Tensor, kind?: InputKind): Value {
  const bytes = readFileSync(path);
  const shape = t.shape.map((d) => (d < 0 ? 1 : d));
  const n = shapeSize(shape);
  const own = n * dtypeSize(t.dtype);
  const dtype = kind === 'real' || (kind === undefined && bytes.length !== own && bytes.length === n * 4) ? 'float32' : t.dtype;
  if (bytes.length !== n * dtypeSize(dtype))
    fail('EF0004', `raw input has ${bytes.length} bytes; '${t.name}' needs ${n * dtypeSize(dtype)} (${dtype}[${shape}])` +
      (dtype !== 'float32' && kind === undefined ? ` or ${n * 4} (float32 real values)` : ''), { file: path });
  const copy = new Uint8Array(bytes);
  const data = allocArray(dtype, n);
  const dv = new DataView(copy.buffer);
  for (let i = 0; i < n; i++) {
    switch (dtype) {
      case 'float32':
        data[i] = dv.getFloat32(i * 4, true);
        break;
      case 'int8':
        data[i] = dv.getInt8(i);
        break;
      case 'uint8':
        data[i] = dv.getUint8(i);
        break;
      case 'int16':
        data[i] = dv.getInt16(i * 2, true);
        break;
      case 'int32':
        data[i] = dv.getInt32(i * 4, true);
        break;
      default:
        fail('EF0003', `raw input of dtype ${dtype} is not supported`, { file: path });
    }
  }
  return { dtype, shape, data };
}

/**
 * Split an array with a leading axis of N > 1 into N samples when the input's batch is 1 and each slice has the
 * size of one input; anything else is one sample (shape checks happen in toStoredLayout).
 */
function splitBatch(v: Value, t: Tensor): Value[] {
  const want = t.shape.map((d) => (d < 0 ? 1 : d));
  const per = shapeSize(want);
  const n = v.shape[0];
  // [N, ...one sample]: either the batch axis holds N, or an extra leading axis was added
  const extra = v.shape.length === want.length + 1;
  if (n <= 1 || shapeSize(v.shape) !== n * per || !(extra || (v.shape.length === want.length && want[0] === 1))) return [v];
  const one = extra ? v.shape.slice(1) : [1, ...v.shape.slice(1)];
  const out: Value[] = [];
  for (let k = 0; k < n; k++) out.push({ dtype: v.dtype, shape: one, data: v.data.subarray(k * per, (k + 1) * per) as typeof v.data });
  return out;
}

async function pickNpzKey(path: string, name: string, index: number): Promise<string | undefined> {
  const m = readNpz(readFileSync(path), path);
  if (m.has(name)) return name;
  for (const k of [`input_${index}`, 'input', 'x', `arr_${index}`]) if (m.has(k)) return k;
  return undefined;
}

export { sourceShape };
