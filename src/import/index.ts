// Model import: detect the format from the file's content (never from its name alone) and dispatch to the
// importer. Every importer returns a float or quantized graph in the canonical IR (NHWC), with shapes inferred.

import { readFileSync, statSync, existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { diag, fail, type Diagnostic } from '../diagnostics.js';
import type { Graph } from '../ir/graph.js';
import { validateImport } from './validate.js';

export type ModelFormat = 'onnx' | 'tflite' | 'keras-h5' | 'keras-zip' | 'tfjs' | 'espdl';

export interface ImportOptions {
  /**
   * Values for graph inputs that feed weight slots (the ONNX node tests pass Conv weights as inputs). Keyed by
   * the source input name; such inputs become constants.
   */
  bindInputs?: Map<string, import('../ops/types.js').Value>;
  /** Keras: treat Lambda layers as identity (off by default; see the Keras importer). */
  treatLambdaAsIdentity?: boolean;
  /** Wall-clock budget for third-party parsers that run in a worker (HDF5); default 10 s. */
  parserTimeoutMs?: number;
  /** ESP-DL (.espdl): the chip whose arithmetic (rounding, bias width) the integer simulator follows. */
  espdlChip?: import('./espdl/index.js').EspdlChip;
}

const HDF5_MAGIC = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

export function detectFormat(bytes: Uint8Array): ModelFormat | undefined {
  if (bytes.length >= 8 && String.fromCharCode(...bytes.subarray(4, 8)) === 'TFL3') return 'tflite';
  if (bytes.length >= 4 && ['EDL2', 'EDL1', 'PDL1', 'PDL2', 'PDL3'].includes(String.fromCharCode(...bytes.subarray(0, 4)))) return 'espdl';
  if (bytes.length >= 8 && HDF5_MAGIC.every((b, i) => bytes[i] === b)) return 'keras-h5';
  if (bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04) return 'keras-zip';
  let i = 0;
  while (i < bytes.length && i < 64 && (bytes[i] === 0x20 || bytes[i] === 0x0a || bytes[i] === 0x0d || bytes[i] === 0x09 || bytes[i] === 0xef || bytes[i] === 0xbb || bytes[i] === 0xbf)) i++;
  if (bytes[i] === 0x7b /* { */) return 'tfjs';
  // ONNX ModelProto: first field is usually ir_version (field 1, varint → 0x08) or another small field tag.
  if (bytes.length > 2 && (bytes[0] === 0x08 || bytes[0] === 0x12 || bytes[0] === 0x1a || bytes[0] === 0x3a || bytes[0] === 0x42)) return 'onnx';
  return undefined;
}

export function readModelBytes(path: string): Uint8Array {
  if (!existsSync(path)) fail('EF0001', `no such file`, { file: path, suggestion: 'check the path' });
  const st = statSync(path);
  if (st.isDirectory()) {
    if (existsSync(`${path}/model.json`)) return readFileSync(`${path}/model.json`);
    if (existsSync(`${path}/model.onnx`)) return readFileSync(`${path}/model.onnx`);
    fail('EF0001', 'is a directory without model.json or model.onnx', { file: path });
  }
  return readFileSync(path);
}

/** Defaults applied to every loadModel call that does not override them (set once by the CLI's global flags). */
const defaults: ImportOptions = {};
export function setImportDefaults(o: ImportOptions): void {
  Object.assign(defaults, o);
}

/** Load any supported model file into the IR. */
export async function loadModel(path: string, options: ImportOptions = {}): Promise<Graph> {
  const g = await loadUnchecked(path, options);
  const file = g.meta.source ?? path;
  const warnings = [...validateImport(g, file), ...importerNotes(g, file)];
  if (warnings.length) g.meta.warnings = [...(g.meta.warnings ?? []), ...warnings];
  return g;
}

/** The importer's notes (meta.info.notes: only subgraph 0 read, symbolic dimensions taken as 1...) as warnings,
 * so that every command shows them. */
function importerNotes(g: Graph, file: string): Diagnostic[] {
  const notes = g.meta.info?.notes;
  if (typeof notes !== 'string' || !notes) return [];
  return notes.split('; ').map((n) => diag('EF2014', n, { severity: 'warning', file }));
}

async function loadUnchecked(path: string, options: ImportOptions): Promise<Graph> {
  const opts = { ...defaults, ...options };
  const bytes = readModelBytes(path);
  const file = existsSync(path) && statSync(path).isDirectory() ? `${path}/model.json` : path;
  const fmt = detectFormat(bytes);
  switch (fmt) {
    case 'onnx':
      return (await import('./onnx/index.js')).importOnnx(bytes, file, opts);
    case 'tflite':
      return (await import('./tflite/index.js')).importTflite(bytes, file, opts);
    case 'keras-h5':
    case 'keras-zip':
      return (await import('./keras/index.js')).importKeras(bytes, file, opts);
    case 'tfjs':
      return (await import('./tfjs/index.js')).importTfjs(bytes, file, dirname(file), opts);
    case 'espdl':
      return (await import('./espdl/index.js')).importEspdl(bytes, file, opts);
    default:
      return fail('EF0002', 'not a model format espforge reads', {
        file,
        notes: ['espforge reads ONNX (.onnx), TFLite (.tflite), Keras (.h5, .keras), TF.js layers (model.json) and ESP-DL (.espdl)'],
      });
  }
}
