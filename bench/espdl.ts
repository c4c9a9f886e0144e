// ESP-DL interoperability figures: (a) the ESP-DL arithmetic mode on the shared .espdl files (embedded tests,
// simulator speed), (b) the ImageNet MobileNetV2 .espdl as a frozen pretrained base vs the same network with
// random weights under the same head on a small image task (Fashion-MNIST, gray → RGB, upsampled), (c) a sanity
// check of the ImageNet model on the six CIFAR-10 sample images of ../shared (TinyMaix).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { loadDataset, type Dataset } from '../src/data/index.js';
import { espdlTestVectors } from '../src/import/espdl/index.js';
import { loadModel } from '../src/import/index.js';
import type { Graph } from '../src/ir/graph.js';
import { readNpz } from '../src/io/npy.js';
import { runModel } from '../src/run.js';
import { prepareFloat, runFloat } from '../src/sim/float.js';
import { prepareIntGraph, runInt } from '../src/sim/int.js';
import { initBackend } from '../src/train/backend.js';
import { dequantizeGraph, resizeBaseInput } from '../src/train/from-ir/index.js';
import { buildModel, loadSpecBase, parseSpec } from '../src/train/spec.js';
import { trainModel } from '../src/train/train.js';

const SHARED = join(import.meta.dirname, '..', '..', 'shared');
const ESPDL = join(SHARED, 'models', 'espdl');
const IMAGENET = join(ESPDL, 'imagenet_cls_mobilenetv2_s8_v1.espdl');
const FASHION = '/usr/share/datasets/fashion-mnist';
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

async function arithmetic(): Promise<string> {
  const rows = ['| file | chip | nodes | embedded test | simulator time per inference |', '|---|---|---:|---|---:|'];
  for (const [f, chip] of [
    ['tutorial_gemm3_s3.espdl', 'esp32s3'], ['tutorial_gemm3_p4.espdl', 'esp32p4'], ['tutorial_audio_cnn_s3.espdl', 'esp32s3'], ['tutorial_audio_cnn_p4.espdl', 'esp32p4'],
    ['human_face_detect_msr_s8_v1.espdl', 'esp32s3'], ['mobilenetv2_0_5_128_128_gesture.espdl', 'esp32s3'], ['imagenet_cls_mobilenetv2_s8_v1.espdl', 'esp32s3'],
  ] as const) {
    const g = await loadModel(join(ESPDL, f), { espdlChip: chip });
    const pg = prepareIntGraph(g);
    const tv = espdlTestVectors(g);
    const ins = tv?.inputs ?? pg.inputs.map((id) => ({ dtype: pg.tensors[id].dtype, shape: pg.tensors[id].shape, data: new Int8Array(pg.tensors[id].shape.reduce((a, b) => a * b, 1)) }));
    const t0 = performance.now();
    const out = runInt(pg, ins).outputs;
    const ms = performance.now() - t0;
    let verdict = 'none embedded';
    if (tv) {
      let diff = 0;
      tv.outputs.forEach((e, k) => Array.from(e.data, Number).forEach((v, i) => (diff += v !== out[k].data[i] ? 1 : 0)));
      verdict = diff === 0 ? `byte-exact (${tv.outputs[0].data.length} values)` : `${diff} values differ`;
    }
    rows.push(`| ${f} | ${chip} | ${g.nodes.length} | ${verdict} | ${ms.toFixed(0)} ms |`);
  }
  return `### ESP-DL arithmetic mode on the shared .espdl files\n\n${rows.join('\n')}\n`;
}

const MEAN = 0.45;
const STD = 0.226;

/** Gray 28x28x3 samples → S×S×3 (nearest), normalised roughly as ImageNet models expect. */
function upsample(d: Dataset, S: number): Dataset {
  const n = d.x.length / (28 * 28 * 3);
  const x = new Float32Array(n * S * S * 3);
  for (let i = 0; i < n; i++)
    for (let y = 0; y < S; y++)
      for (let xx = 0; xx < S; xx++)
        for (let c = 0; c < 3; c++)
          x[((i * S + y) * S + xx) * 3 + c] = (d.x[((i * 28 + Math.floor((y * 28) / S)) * 28 + Math.floor((xx * 28) / S)) * 3 + c] - MEAN) / STD;
  return { ...d, x, shape: [S, S, 3] };
}

/**
 * The same network with random weights: He-normal, then scaled layer by layer so every Conv output has unit
 * standard deviation on a few training images (LSUV — what batch norm gives a network trained from scratch; plain
 * He init through 52 layers without batch norm makes features that are constant or explode).
 */
function randomBase(g: Graph, data: Dataset, seed: number): Graph {
  let s = seed >>> 0;
  const rnd = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
  const tensors = g.tensors.map((t) => ({ ...t }));
  const weighted = g.nodes.filter((n) => n.op === 'Conv' || n.op === 'FullyConnected');
  for (const n of weighted) {
    const w = tensors[n.inputs[1]];
    const sd = Math.sqrt(2 / w.shape.slice(1).reduce((a, b) => a * b, 1));
    w.data = Float32Array.from(w.data!, () => gauss() * sd);
    if (n.inputs[2] >= 0) tensors[n.inputs[2]].data = new Float32Array(tensors[n.inputs[2]].data!.length);
  }
  const out = { ...g, tensors };
  const per = data.shape.reduce((a, b) => a * b, 1);
  const batch = Array.from({ length: 4 }, (_, k) => ({ dtype: 'float32' as const, shape: [1, ...data.shape], data: data.x.slice(k * per, (k + 1) * per) }));
  const pf = prepareFloat(out);
  for (const n of weighted) {
    let s1 = 0;
    let s2 = 0;
    let cnt = 0;
    for (const b of batch)
      runFloat(pf, [b], {
        onNode: (m, _i, o) => {
          if (m !== n && m.name !== n.name) return;
          for (const v of o[0].data) {
            s1 += v;
            s2 += v * v;
            cnt++;
          }
        },
      });
    const sd = Math.sqrt(Math.max(s2 / cnt - (s1 / cnt) ** 2, 1e-12));
    const w = tensors[n.inputs[1]];
    for (let i = 0; i < w.data!.length; i++) w.data![i] /= sd;
  }
  return out;
}

async function transfer(): Promise<string> {
  if (!existsSync(FASHION)) return `not measured: ${FASHION} is missing (apt install dataset-fashion-mnist)\n`;
  const backend = await initBackend();
  const S = 64;
  const N = 1000;
  const T = 1000;
  const E = 5;
  const train = upsample(await loadDataset(FASHION, { split: 'train', inputShape: [28, 28, 3], channels: 3, limit: N, seed: 1 }), S);
  const test = upsample(await loadDataset(FASHION, { split: 'test', inputShape: [28, 28, 3], channels: 3, limit: T, seed: 1 }), S);
  const imagenet = resizeBaseInput(dequantizeGraph(await loadModel(IMAGENET)), [S, S, 3]);
  const rows = [
    `| base (frozen) | validation accuracy after epoch 1…${E} | final train accuracy | s / epoch |`,
    '|---|---|---:|---:|',
  ];
  const finals: number[] = [];
  for (const [label, graph] of [
    ['ImageNet MobileNetV2 1.0 (imagenet_cls_mobilenetv2_s8_v1.espdl, dequantized)', imagenet],
    ['same network, random weights (He + LSUV)', randomBase(imagenet, train, 7)],
  ] as const) {
    const spec = parseSpec({ name: 'head', input: [S, S, 3], base: { graph, cut: 'auto', trainable: 0 }, layers: [{ type: 'dense', units: 10, activation: 'softmax' }] }, 'bench');
    await loadSpecBase(spec);
    const m = buildModel(spec, { seed: 0 });
    const r = await trainModel(m, train, { epochs: E, batchSize: 32, learningRate: 0.002, validationData: test, seed: 0 });
    finals.push(r.history[r.history.length - 1].valAccuracy ?? 0);
    rows.push(`| ${label} | ${r.history.map((h) => pct(h.valAccuracy ?? 0)).join(' → ')} | ${pct(r.history[r.history.length - 1].accuracy)} | ${r.secondsPerEpoch.toFixed(1)} |`);
  }
  return (
    `### Pretrained base from .espdl vs random base (backend ${backend})\n\n` +
    `Task: Fashion-MNIST, ${N} training / ${T} test images (seeded subsets), gray replicated to RGB, upsampled to ${S}×${S}, ` +
    `(x − ${MEAN}) / ${STD}. Base cut with \`"cut": "auto"\` → 1280 features after the global pool (frozen, \`trainable: 0\`); ` +
    `head: one dense softmax layer (12,810 weights), Adam 0.002, batch 32, ${E} epochs, seed 0; validation = the test images.\n\n` +
    `${rows.join('\n')}\n\nFinal test accuracy: ImageNet base ${pct(finals[0])} vs random base ${pct(finals[1])}.\n`
  );
}

async function cifarSanity(): Promise<string> {
  const npz = join(SHARED, 'models', 'tflite', 'tinymaix', 'samples', 'cifar10_samples.npz');
  if (!existsSync(npz)) return '';
  const z = readNpz(readFileSync(npz));
  const x = z.get('x')!;
  const labels = z.get('label')!.data;
  const names = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];
  const g = await loadModel(IMAGENET, { espdlChip: 'esp32s3' });
  const mean = [0.485, 0.456, 0.406];
  const std = [0.229, 0.224, 0.225];
  const rows = ['| CIFAR-10 sample | ImageNet top-5 class indices (ESP-DL arithmetic, esp32s3) |', '|---|---|'];
  for (let k = 0; k < labels.length; k++) {
    const img = Buffer.from(x.data.subarray(k * 3072, (k + 1) * 3072) as Uint8Array);
    const big = await sharp(img, { raw: { width: 32, height: 32, channels: 3 } }).resize(224, 224).raw().toBuffer();
    const d = new Float32Array(224 * 224 * 3);
    for (let i = 0; i < d.length; i++) d[i] = (big[i] / 255 - mean[i % 3]) / std[i % 3];
    const r = await runModel(g, [{ dtype: 'float32', shape: [1, 224, 224, 3], data: d }]);
    const top = Array.from(r.floats[0].data, (v, i) => [v, i]).sort((p, q) => q[0] - p[0]).slice(0, 5).map((p) => p[1]);
    rows.push(`| ${names[labels[k]]} | ${top.join(', ')} |`);
  }
  return (
    `### ImageNet model sanity on the CIFAR-10 samples (32×32 upsampled to 224)\n\n${rows.join('\n')}\n\n` +
    'ImageNet indices: 7–24 and 80–100 birds, 151–268 dogs, 281–285 cats, 339 sorrel (horse), 510 container ship, 814 speedboat, ' +
    '833 submarine. Read the rows against these: a plausibility check of the import and arithmetic on real photos, not an accuracy figure.\n'
  );
}

export async function espdlBench(): Promise<string> {
  return [await arithmetic(), await transfer(), await cifarSanity()].join('\n');
}
