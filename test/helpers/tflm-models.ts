// The shared int8 TFLite models that have TensorFlow Lite Micro reference outputs (../shared/reference/tflm), and
// their reference cases: one list for every test that checks generated C against TFLM's bytes model by model.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readNpy } from '../../src/io/npy.js';
import type { GoldenCase } from '../../src/verify/host.js';

/** model: path under ../shared/models/tflite; ref: folder under ../shared/reference/tflm. */
export const TFLM_MODELS: { model: string; ref: string }[] = [
  { model: 'tflm-hello-world/hello_world_int8.tflite', ref: 'tflm-hello-world/hello_world_int8' },
  { model: 'tflm-micro-speech/micro_speech_quantized.tflite', ref: 'tflm-micro-speech/micro_speech_quantized' },
  { model: 'tvm-kws-yes-no/yes_no.tflite', ref: 'tvm-kws-yes-no/yes_no' },
  { model: 'tvm-mnist-quant/mnist_model_quant.tflite', ref: 'tvm-mnist-quant/mnist_model_quant' },
  { model: 'tflm-person-detect/person_detect.tflite', ref: 'tflm-person-detect/person_detect' },
  { model: 'tinymaix/mnist_valid_q.tflite', ref: 'tinymaix/mnist_valid_q' },
  { model: 'tinymaix/mnist_dw_q.tflite', ref: 'tinymaix/mnist_dw_q' },
  { model: 'tinymaix/mnist_resnet_q.tflite', ref: 'tinymaix/mnist_resnet_q' },
  { model: 'tinymaix/cifar10_q.tflite', ref: 'tinymaix/cifar10_q' },
  { model: 'tinymaix/vww96_q.tflite', ref: 'tinymaix/vww96_q' },
];

/** The model file under root/models/tflite (tinymaix models may sit in a sub-folder). */
export function findModel(root: string, rel: string): string {
  const p = join(root, 'models', 'tflite', rel);
  if (existsSync(p)) return p;
  const want = rel.split('/').pop()!;
  const walk = (d: string): string | undefined => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const q = join(d, e.name);
      if (e.isDirectory()) {
        const r = walk(q);
        if (r) return r;
      } else if (e.name === want) return q;
    }
    return undefined;
  };
  return walk(join(root, 'models', 'tflite', rel.split('/')[0])) ?? p;
}

/** Reference cases of a model: each input file (batch files split into rows = separate invokes), outputs as bytes.
 *  hello_world's 256-row sweep keeps every 8th row (and the first 8) to bound the harness size. */
export function refCases(refDir: string, inSize: number, outSize: number): GoldenCase[] {
  const cases: GoldenCase[] = [];
  for (const f of readdirSync(join(refDir, 'inputs')).sort()) {
    const id = f.replace(/\.npy$/, '');
    const x = readNpy(new Uint8Array(readFileSync(join(refDir, 'inputs', f))));
    const y = readNpy(new Uint8Array(readFileSync(join(refDir, 'outputs', `${id}.out0.npy`))));
    const rows = x.data.length / inSize;
    for (let r = 0; r < rows; r++)
      cases.push({
        name: rows > 1 ? `${id}[${r}]` : id,
        inputs: [Array.from(x.data.subarray(r * inSize, (r + 1) * inSize) as ArrayLike<number>)],
        expected: [Array.from(y.data.subarray(r * outSize, (r + 1) * outSize) as ArrayLike<number>, (v) => v & 0xff)],
      });
  }
  return cases.length > 40 ? cases.filter((_, k) => k < 8 || k % 8 === 0) : cases;
}
