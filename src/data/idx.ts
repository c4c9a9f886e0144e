// IDX files (MNIST, Fashion-MNIST): big-endian header (magic 0x0000 08 <ndim>, dims) then uint8 data,
// optionally gzipped. A folder holds train-* and t10k-* (or test-*) image and label files.

import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { fail } from '../diagnostics.js';
import type { RawSet } from './index.js';

const FASHION = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];

export function readIdx(file: string): { dims: number[]; data: Uint8Array } {
  let bytes: Uint8Array = readFileSync(file);
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzipSync(bytes, { maxOutputLength: 1 << 30 });
    } catch (e) {
      return fail('EF0003', `cannot gunzip: ${(e as Error).message}`, { file });
    }
  }
  if (bytes.length < 4 || bytes[0] !== 0 || bytes[1] !== 0) fail('EF0003', 'not an IDX file (bad magic)', { file });
  if (bytes[2] !== 0x08) fail('EF0003', `IDX element type 0x${bytes[2].toString(16)} is not unsigned byte`, { file });
  const nd = bytes[3];
  if (nd < 1 || nd > 4 || bytes.length < 4 + 4 * nd) fail('EF0003', 'truncated IDX header', { file });
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims = Array.from({ length: nd }, (_, i) => dv.getUint32(4 + 4 * i, false));
  const n = dims.reduce((a, b) => a * b, 1);
  const off = 4 + 4 * nd;
  if (bytes.length - off < n) fail('EF0003', `IDX data truncated: ${bytes.length - off} bytes for dims [${dims}]`, { file });
  return { dims, data: bytes.subarray(off, off + n) };
}

function readPair(images: string, labels: string | undefined): { x: Float32Array; y?: Int32Array; shape: number[] } {
  const im = readIdx(images);
  if (im.dims.length < 2) fail('EF0003', `image file has dims [${im.dims}]`, { file: images });
  const x = new Float32Array(im.data.length);
  for (let i = 0; i < x.length; i++) x[i] = im.data[i] / 255;
  const shape = im.dims.length === 3 ? [im.dims[1], im.dims[2], 1] : im.dims.slice(1);
  let y: Int32Array | undefined;
  if (labels) {
    const lb = readIdx(labels);
    if (lb.dims.length !== 1 || lb.dims[0] !== im.dims[0])
      fail('EF5002', `${lb.dims[0]} labels for ${im.dims[0]} images`, { file: labels });
    y = Int32Array.from(lb.data);
  }
  return { x, y, shape };
}

export function loadIdxFiles(images: string[], source: string, labelFiles: (string | undefined)[] = [], testFlags: boolean[] = []): RawSet {
  const parts = images.map((f, i) => readPair(f, labelFiles[i]));
  const shape = parts[0].shape;
  for (const p of parts) if (p.shape.join() !== shape.join()) fail('EF5002', 'IDX image files disagree on image size', { file: source });
  const total = parts.reduce((a, p) => a + p.x.length, 0);
  const x = new Float32Array(total);
  let at = 0;
  for (const p of parts) {
    x.set(p.x, at);
    at += p.x.length;
  }
  const y = parts.every((p) => p.y) ? Int32Array.from(parts.flatMap((p) => Array.from(p.y!))) : undefined;
  let k = 0;
  if (y) for (const v of y) k = Math.max(k, v + 1);
  const fashion = /fashion/i.test(source) && k === 10;
  let split: RawSet['parts'];
  if (testFlags.some((t) => t) && testFlags.some((t) => !t)) {
    split = { train: [], test: [] };
    let i0 = 0;
    parts.forEach((p, i) => {
      const n = p.x.length / shape.reduce((a, b) => a * b, 1);
      for (let j = 0; j < n; j++) (testFlags[i] ? split!.test : split!.train).push(i0 + j);
      i0 += n;
    });
  }
  return {
    parts: split,
    x,
    y,
    shape,
    classes: fashion ? FASHION : Array.from({ length: k }, (_, i) => String(i)),
    normalization: { scale: 1 / 255, offset: 0 },
    source,
  };
}

export function loadIdxDir(dir: string): RawSet {
  const entries = readdirSync(dir).sort();
  const imgs = entries.filter((e) => /idx3-ubyte(\.gz)?$/.test(e));
  const labelFor = (img: string): string | undefined => {
    const stem = img.replace(/images-idx3-ubyte(\.gz)?$/, '');
    const l = entries.find((e) => e.startsWith(stem) && /labels-idx1-ubyte(\.gz)?$/.test(e));
    return l ? join(dir, l) : undefined;
  };
  const isTest = (f: string) => /^(t10k|test)/i.test(basename(f));
  const train = imgs.filter((f) => !isTest(f));
  const test = imgs.filter((f) => isTest(f));
  const ordered = [...train, ...test];
  return loadIdxFiles(
    ordered.map((f) => join(dir, f)),
    dir,
    ordered.map(labelFor),
    ordered.map(isTest),
  );
}
