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

/** Decode an image to the H×W×C of graph input `t` (NHWC stored layout), as float32 0..255 or the input dtype. */
export async function readImageFor(path: string, t: Tensor): Promise<Value> {
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
  const data = allocArray(t.dtype === 'float32' ? 'float32' : t.dtype, n);
  for (let i = 0; i < n; i++) data[i] = t.dtype === 'int8' ? raw[i] - 128 : raw[i];
  return { dtype: data instanceof Float32Array ? 'float32' : t.dtype, shape, data };
}

/**
 * Load the value for graph input `index` from `path`, converted to the stored layout. Images are raw pixels
 * (0..255 as float, or pixel−128 for int8 inputs — the TFLite convention); arrays are taken as given.
 */
export async function loadInputFor(g: Graph, index: number, path: string): Promise<Value> {
  const t = g.tensors[g.inputs[index]];
  if (!existsSync(path)) fail('EF0001', 'no such input file', { file: path });
  if (statSync(path).isDirectory()) fail('EF0001', 'is a directory; --input takes one file per model input', { file: path });
  const ext = extname(path).toLowerCase();
  if (IMAGE_EXT.has(ext)) return readImageFor(path, t);
  if (ext === '.raw' || ext === '.bin') {
    const bytes = readFileSync(path);
    const shape = t.shape.map((d) => (d < 0 ? 1 : d));
    const n = shapeSize(shape);
    if (bytes.length !== n * dtypeSize(t.dtype))
      fail('EF0004', `raw input has ${bytes.length} bytes; '${t.name}' needs ${n * dtypeSize(t.dtype)} (${t.dtype}[${shape}])`, { file: path });
    const copy = new Uint8Array(bytes);
    const data = allocArray(t.dtype, n);
    const dv = new DataView(copy.buffer);
    for (let i = 0; i < n; i++) {
      switch (t.dtype) {
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
          fail('EF0003', `raw input of dtype ${t.dtype} is not supported`, { file: path });
      }
    }
    return { dtype: t.dtype, shape, data };
  }
  const key = ext === '.npz' ? await pickNpzKey(path, t.name, index) : undefined;
  const v = await readArrayFile(path, key);
  return toStoredLayout(v, t, undefined, path);
}

async function pickNpzKey(path: string, name: string, index: number): Promise<string | undefined> {
  const m = readNpz(readFileSync(path), path);
  if (m.has(name)) return name;
  for (const k of [`input_${index}`, 'input', 'x', `arr_${index}`]) if (m.has(k)) return k;
  return undefined;
}

export { sourceShape };
