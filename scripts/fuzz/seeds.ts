// Seeds for the fuzz driver: real files from ../shared (the same models the tests use), small enough that one
// case (import + inspect + quantize + plan + emit + simulate) takes well under a second. The .keras seeds are
// built from Keras 2 .h5 files (same layers, weights in the Keras 3 layers/<name>/vars/<i> layout).

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { zipSync } from 'fflate';
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
  const h5 = await import('h5wasm/node');
  await h5.ready;
  const f = new h5.File(src, 'r');
  const cfg = JSON.parse(f.attrs['model_config'].value as string);
  const mw = f.get('model_weights') as import('h5wasm/node').Group;
  const tmp = `/fuzz-keras3-${process.pid}-${rel.replace(/\W/g, '_')}.h5`;
  const out = new h5.File(tmp, 'w');
  const layers = out.create_group('layers');
  for (const l of cfg.config.layers) {
    const name = l.config.name as string;
    const grp = mw.get(name) as import('h5wasm/node').Group | null;
    const names = grp ? ((grp.attrs['weight_names']?.value ?? []) as string[]) : [];
    if (names.length === 0) continue;
    const vars = layers.create_group(name).create_group('vars');
    names.forEach((n, i) => {
      const d = grp!.get(n) as import('h5wasm/node').Dataset;
      vars.create_dataset({ name: String(i), data: d.value as Float32Array, shape: d.shape! });
    });
  }
  out.close();
  const wbytes = h5.FS!.readFile(tmp) as Uint8Array;
  h5.FS!.unlink(tmp);
  f.close();
  const zip = zipSync({
    'config.json': new TextEncoder().encode(JSON.stringify(cfg)),
    'metadata.json': new TextEncoder().encode(JSON.stringify({ keras_version: '3.3.3' })),
    'model.weights.h5': wbytes,
  });
  return { name: `${rel} as .keras`, files: { 'm.keras': zip }, entry: 'm.keras' };
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
