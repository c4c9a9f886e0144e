// Seeds for the fuzz driver: real files from ../shared (the same models the tests use), small enough that one
// case (import + inspect + quantize + plan + emit + simulate) takes well under a second. The .keras seeds are
// built from Keras 2 .h5 files (same layers, weights in the Keras 3 layers/<name>/vars/<i> layout).

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { kerasArchiveFromH5 } from '../../test/helpers/keras3.js';
import type { Format, Seed } from './mutate.js';

const file = (root: string, rel: string): Seed | undefined => {
  const p = join(root, rel);
  if (!existsSync(p)) return undefined;
  const name = rel.split('/').pop()!;
  return { name: rel, files: { [name]: new Uint8Array(readFileSync(p)) }, entry: name };
};

async function kerasFromH5(root: string, rel: string): Promise<Seed | undefined> {
  const src = join(root, rel);
  if (!existsSync(src)) return undefined;
  return { name: `${rel} as .keras`, files: { 'm.keras': await kerasArchiveFromH5(src) }, entry: 'm.keras' };
}

function tfjs(root: string, dir: string, json: string): Seed | undefined {
  const d = join(root, dir);
  if (!existsSync(join(d, json))) return undefined;
  const files: Record<string, Uint8Array> = {};
  for (const f of readdirSync(d)) if (!f.endsWith('.md')) files[f] = new Uint8Array(readFileSync(join(d, f)));
  return { name: `${dir}/${json}`, files, entry: json };
}

/** Seeds per format; `models` is ../shared/models. */
export async function loadSeeds(shared: string): Promise<Record<Format, Seed[]>> {
  const m = join(shared, 'models');
  const keep = (xs: (Seed | undefined)[]) => xs.filter((x): x is Seed => !!x);
  const npys = ['tflite/tvm-kws-yes-no/inputs/unknown.npy', 'tflite/tvm-kws-yes-no/expected/yes.npy'];
  const tvmIn = join(m, 'tflite/tvm-mnist-quant/inputs');
  if (existsSync(tvmIn)) for (const f of readdirSync(tvmIn)) if (f.endsWith('.npy')) npys.push(`tflite/tvm-mnist-quant/inputs/${f}`);
  return {
    onnx: keep(['onnx/mnist-8/model.onnx', 'onnx/burn-sine/sine.onnx', 'onnx/onnx2c-tfl-helloworld/model.onnx', 'onnx/onnx2c-atmega-mnist/mnist.simplified.onnx', 'onnx/tract-keras-tf2/example.onnx'].map((r) => file(m, r))),
    tflite: keep(
      ['tflite/tflm-hello-world/hello_world_int8.tflite', 'tflite/tflm-hello-world/hello_world_float.tflite', 'tflite/tinymaix/mnist_valid_q.tflite', 'tflite/tinymaix/mnist_dw_q.tflite', 'tflite/tflm-micro-speech/micro_speech_quantized.tflite', 'tflite/tinymaix/mnist_valid_f.tflite'].map((r) => file(m, r)),
    ),
    h5: keep(['keras/tinymaix/mnist_valid.h5', 'keras/tinymaix/mnist_dw.h5'].map((r) => file(m, r))),
    keras: keep([await kerasFromH5(m, 'keras/tinymaix/mnist_valid.h5'), await kerasFromH5(m, 'keras/tinymaix/mnist_dw.h5')]),
    tfjs: keep([tfjs(m, 'tfjs/tfjs-examples-abalone', 'model.json'), tfjs(m, 'tfjs/tensorspace-lenet', 'mnist.json')]),
    npy: keep(npys.slice(0, 4).map((r) => file(m, r))),
    npz: keep(['onnx/tract-keras-tf2/io.npz', 'keras/tensorspace/samples/mnist_digits.npz'].map((r) => file(m, r))),
  };
}
