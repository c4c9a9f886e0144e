// The models behind test/golden/: how each golden set of generated C is produced (shared by
// scripts/gen-golden.ts and test/codegen/golden.test.ts so both generate the same way).

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { emitC } from '../../src/codegen/c/emit.js';
import type { Graph } from '../../src/ir/graph.js';
import { prepareIntGraph } from '../../src/sim/int.js';
import { SHARED_ROOT } from '../helpers/shared.js';
import { tinyConvModel } from './tiny-models.js';

export interface GoldenModel {
  name: string;
  graph: Graph;
  files: Record<string, string>;
}

export const HELLO_WORLD = join(SHARED_ROOT, 'models', 'tflite', 'tflm-hello-world', 'hello_world_int8.tflite');

export async function goldenModels(): Promise<GoldenModel[]> {
  const out: GoldenModel[] = [];
  const tiny = tinyConvModel();
  out.push({ name: 'tiny_conv', graph: tiny, files: emitC(tiny, { name: 'tiny_conv', commandLine: 'scripts/gen-golden.ts' }).files });
  if (existsSync(HELLO_WORLD)) {
    const { loadModel } = await import('../../src/import/index.js');
    const g = prepareIntGraph(await loadModel(HELLO_WORLD));
    const files = emitC(g, {
      name: 'hello_world_int8',
      modelFile: 'hello_world_int8.tflite',
      modelSha256: '505ee4fae7fa46ab67bea4c08b4969eb3eb8b9114c50595ec4a29d9a27993202',
      commandLine: 'scripts/gen-golden.ts',
    }).files;
    out.push({ name: 'hello_world_int8', graph: g, files });
  }
  return out;
}
