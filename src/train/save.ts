// Writing a trained model as a TF.js layers model (model.json + weights.bin) without tfjs-node: the artifacts
// come from tf.io.withSaveHandler and are written by hand. Reading goes back through tf.io.fromMemory.

import { existsSync, mkdirSync, readFileSync, writeFileSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fail } from '../diagnostics.js';
import { VERSION } from '../version.js';
import { initBackend, tf } from './backend.js';
import * as tfl from '@tensorflow/tfjs-layers';

export interface SavedModel {
  dir: string;
  files: string[];
  bytes: number;
}

/** Save `model` into `dir` as model.json + weights.bin; `meta` goes into userDefinedMetadata. */
export async function saveLayersModel(model: tfl.LayersModel, dir: string, meta: Record<string, unknown> = {}): Promise<SavedModel> {
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(0), modelTopologyType: 'JSON' } };
    }),
  );
  if (!artifacts?.weightData || !artifacts.weightSpecs) return fail('EF9001', 'TF.js produced no weights while saving');
  const wd = artifacts.weightData;
  const weights = new Uint8Array(wd instanceof ArrayBuffer ? wd : await new Blob(wd as ArrayBuffer[]).arrayBuffer());
  const json = {
    format: 'layers-model',
    generatedBy: `TensorFlow.js tfjs-layers v${tfl.version_layers}`,
    convertedBy: `espforge ${VERSION}`,
    modelTopology: artifacts.modelTopology,
    weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
    userDefinedMetadata: meta,
  };
  // write into a temporary folder, then move into place: complete or absent
  mkdirSync(dirname(join(dir, 'x')), { recursive: true });
  const tmpJ = join(dir, `.model.json.tmp-${process.pid}`);
  const tmpW = join(dir, `.weights.bin.tmp-${process.pid}`);
  try {
    writeFileSync(tmpW, weights);
    writeFileSync(tmpJ, JSON.stringify(json));
    renameSync(tmpW, join(dir, 'weights.bin'));
    renameSync(tmpJ, join(dir, 'model.json'));
  } catch (e) {
    rmSync(tmpJ, { force: true });
    rmSync(tmpW, { force: true });
    throw e;
  }
  return { dir, files: ['model.json', 'weights.bin'], bytes: weights.length };
}

/** Load a TF.js layers model.json (with its weight files next to it) into tfjs-layers, e.g. to continue training. */
export async function loadLayersModelFile(path: string): Promise<tfl.LayersModel> {
  await initBackend();
  const file = existsSync(join(path, 'model.json')) ? join(path, 'model.json') : path;
  if (!existsSync(file)) fail('EF0001', 'no such file', { file });
  let json: { modelTopology?: unknown; weightsManifest?: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[] };
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    return fail('EF2001', `model.json is not valid JSON: ${(e as Error).message}`, { file });
  }
  if (!json.modelTopology || !Array.isArray(json.weightsManifest)) fail('EF2001', 'not a TF.js layers model (modelTopology / weightsManifest missing)', { file });
  const specs: tf.io.WeightsManifestEntry[] = [];
  const parts: Uint8Array[] = [];
  for (const g of json.weightsManifest!) {
    specs.push(...g.weights);
    for (const p of g.paths) {
      const wf = join(dirname(file), p);
      if (!existsSync(wf)) fail('EF2010', `weight file '${p}' is missing`, { file });
      parts.push(readFileSync(wf));
    }
  }
  const total = parts.reduce((a, p) => a + p.length, 0);
  const buf = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    buf.set(p, at);
    at += p.length;
  }
  try {
    return await tfl.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology as object, weightSpecs: specs, weightData: buf.buffer }));
  } catch (e) {
    return fail('EF2001', `TF.js could not load the model: ${(e as Error).message}`, { file });
  }
}
