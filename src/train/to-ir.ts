// A trained tfjs-layers model straight into the espforge IR (float), so training output can go to quantize and
// build without a round trip through the TF.js importer. TF.js is channels-last like the IR, so no layout
// change is needed: Dense → FullyConnected (kernel [K,N] → W [N,K]); Conv2D → Conv (HWIO → OHWI);
// DepthwiseConv2D → Conv with group = C (kernel [KH,KW,C,M] → W [C·M,KH,KW,1]); pooling with TF 'same'
// padding made explicit; Flatten → Reshape; GlobalAveragePooling2D → ReduceMean over H,W; BatchNormalization;
// Add; ReLU/ReLU6 fused into the producing Conv/FullyConnected/Add when it has no other reader, else Relu /
// Clip(0,6); Softmax, Sigmoid, Tanh as nodes; Dropout vanishes.

import { fail } from '../diagnostics.js';
import { GraphBuilder, type Graph } from '../ir/graph.js';
import type { FusedActivation } from '../ops/types.js';
import type * as tfl from '@tensorflow/tfjs-layers';

export interface ToIrOptions {
  /** Batch size of the graph input (default 1). */
  batch?: number;
  name?: string;
}

type Shape = (number | null)[];

function tfPads(inH: number, inW: number, k: [number, number], s: [number, number], d: [number, number], padding: string): number[] {
  if (padding === 'valid') return [0, 0, 0, 0];
  const one = (n: number, kk: number, ss: number, dd: number) => {
    const out = Math.ceil(n / ss);
    const total = Math.max((out - 1) * ss + (kk - 1) * dd + 1 - n, 0);
    return [Math.floor(total / 2), total - Math.floor(total / 2)];
  };
  const [t, b] = one(inH, k[0], s[0], d[0]);
  const [l, r] = one(inW, k[1], s[1], d[1]);
  return [t, l, b, r];
}

const pair = (v: number | number[] | undefined, dflt: number): [number, number] =>
  v === undefined ? [dflt, dflt] : typeof v === 'number' ? [v, v] : [v[0], v[1] ?? v[0]];

function transpose(data: Float32Array, shape: number[], perm: number[]): Float32Array {
  const out = new Float32Array(data.length);
  const outShape = perm.map((p) => shape[p]);
  const inStrides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  const rank = shape.length;
  const idx = new Array(rank).fill(0);
  for (let o = 0; o < out.length; o++) {
    let src = 0;
    for (let i = 0; i < rank; i++) src += idx[i] * inStrides[perm[i]];
    out[o] = data[src];
    for (let i = rank - 1; i >= 0; i--) {
      if (++idx[i] < outShape[i]) break;
      idx[i] = 0;
    }
  }
  return out;
}

export function modelToIR(model: tfl.LayersModel, opts: ToIrOptions = {}): Graph {
  const batch = opts.batch ?? 1;
  const b = new GraphBuilder({ format: 'espforge', source: opts.name ?? model.name, producer: 'espforge train' });
  const layers = model.layers;
  const inbound = (l: tfl.layers.Layer): tfl.layers.Layer[] => {
    const nodes = (l as unknown as { inboundNodes: { inboundLayers: tfl.layers.Layer[] }[] }).inboundNodes;
    return nodes.length ? nodes[0].inboundLayers : [];
  };
  // readers per layer name (the model output counts as a reader)
  const readers = new Map<string, number>();
  for (const l of layers) for (const src of inbound(l)) readers.set(src.name, (readers.get(src.name) ?? 0) + 1);
  const outLayers = (model as unknown as { outputLayers: tfl.layers.Layer[] }).outputLayers;
  for (const o of outLayers) readers.set(o.name, (readers.get(o.name) ?? 0) + 1);

  const tensorOf = new Map<string, number>(); // layer name → IR tensor id of its output
  const nodeOf = new Map<string, number>(); // layer name → index of the IR node producing it
  const shapeOf = (l: tfl.layers.Layer): number[] => ((Array.isArray((l.outputShape as Shape[])[0]) ? (l.outputShape as Shape[])[0] : l.outputShape) as Shape).map((d) => d ?? batch);
  const newOut = (l: tfl.layers.Layer, shape?: number[]) => b.tensor({ name: l.name, dtype: 'float32', shape: shape ?? shapeOf(l) });
  const weights = (l: tfl.layers.Layer) => l.getWeights().map((t) => ({ data: t.dataSync() as Float32Array, shape: t.shape as number[] }));

  // input layers first (Sequential models keep them out of model.layers)
  const inputs = (model as unknown as { inputLayers: tfl.layers.Layer[] }).inputLayers;
  for (const il of inputs) {
    const id = newOut(il);
    b.inputs.push(id);
    tensorOf.set(il.name, id);
  }
  const input = (l: tfl.layers.Layer, k = 0): number => {
    const src = inbound(l)[k];
    const id = src ? tensorOf.get(src.name) : undefined;
    if (id === undefined) fail('EF2001', `layer '${l.name}' reads a layer that was not converted`, { node: l.name });
    return id!;
  };
  const emit = (l: tfl.layers.Layer, op: string, ins: number[], attrs: Record<string, number | string | number[]>, shape?: number[]) => {
    const out = newOut(l, shape);
    b.node({ op, name: l.name, inputs: ins, outputs: [out], attrs });
    tensorOf.set(l.name, out);
    nodeOf.set(l.name, b.nodes.length - 1);
    return out;
  };
  /** Apply an activation after layer l's node: fused when possible, else a separate node. */
  const activate = (l: tfl.layers.Layer, act: string, fusable: boolean) => {
    if (act === 'linear' || act === undefined) return;
    const fused: Record<string, FusedActivation> = { relu: 'relu', relu6: 'relu6' };
    const prev = tensorOf.get(l.name)!;
    if (fusable && fused[act]) {
      b.nodes[nodeOf.get(l.name)!].attrs.activation = fused[act];
      return;
    }
    const shape = b.get(prev).shape;
    const out = b.tensor({ name: `${l.name}_${act}`, dtype: 'float32', shape });
    const op = { relu: 'Relu', relu6: 'Clip', sigmoid: 'Sigmoid', tanh: 'Tanh', softmax: 'Softmax' }[act];
    if (!op) fail('EF2003', `activation '${act}' is not supported`, { node: l.name });
    b.node({ op: op!, name: `${l.name}_${act}`, inputs: [prev], outputs: [out], attrs: act === 'relu6' ? { min: 0, max: 6 } : act === 'softmax' ? { axis: -1 } : {} });
    tensorOf.set(l.name, out);
    nodeOf.set(l.name, b.nodes.length - 1);
  };
  /** Can a standalone activation layer fold into the node that produced its input? */
  const fuseTarget = (l: tfl.layers.Layer): number | undefined => {
    const src = inbound(l)[0];
    if (!src || (readers.get(src.name) ?? 0) !== 1) return undefined;
    const ni = nodeOf.get(src.name);
    if (ni === undefined) return undefined;
    const n = b.nodes[ni];
    if (n.outputs[0] !== tensorOf.get(src.name)) return undefined;
    if (!['Conv', 'FullyConnected', 'Add'].includes(n.op) || (n.attrs.activation ?? 'none') !== 'none') return undefined;
    return ni;
  };

  for (const l of layers) {
    const cls = l.getClassName();
    const cfg = l.getConfig() as Record<string, unknown>;
    if (cls === 'InputLayer') continue;
    const inShape = (() => {
      const src = inbound(l)[0];
      return src ? b.get(tensorOf.get(src.name)!).shape : [];
    })();
    const act = (cfg.activation as string | undefined) ?? 'linear';
    switch (cls) {
      case 'Dense': {
        const [k, bias] = weights(l);
        const [K, N] = k.shape;
        const w = b.constant(`${l.name}/kernel`, 'float32', [N, K], transpose(k.data, k.shape, [1, 0]));
        const bi = bias ? b.constant(`${l.name}/bias`, 'float32', [N], bias.data) : -1;
        emit(l, 'FullyConnected', [input(l), w, bi], { activation: 'none' });
        activate(l, act, true);
        break;
      }
      case 'Conv2D':
      case 'DepthwiseConv2D': {
        const [k, bias] = weights(l);
        const dw = cls === 'DepthwiseConv2D';
        const [kh, kw, ci, m] = k.shape;
        const strides = pair(cfg.strides as number[], 1);
        const dil = pair(cfg.dilationRate as number[], 1);
        const pads = tfPads(inShape[1], inShape[2], [kh, kw], strides, dil, cfg.padding as string);
        if (cfg.dataFormat && cfg.dataFormat !== 'channelsLast') fail('EF2003', 'only channels-last convolutions are supported', { node: l.name });
        let w: number;
        let cout: number;
        if (dw) {
          cout = ci * m;
          // [KH,KW,C,M] → [C,M,KH,KW] = [C·M,KH,KW,1]
          w = b.constant(`${l.name}/kernel`, 'float32', [cout, kh, kw, 1], transpose(k.data, k.shape, [2, 3, 0, 1]));
        } else {
          cout = m;
          w = b.constant(`${l.name}/kernel`, 'float32', [m, kh, kw, ci], transpose(k.data, k.shape, [3, 0, 1, 2]));
        }
        const bi = bias ? b.constant(`${l.name}/bias`, 'float32', [cout], bias.data) : -1;
        emit(l, 'Conv', [input(l), w, bi], { strides, dilations: dil, pads, group: dw ? ci : 1, activation: 'none' });
        activate(l, act, true);
        break;
      }
      case 'MaxPooling2D':
      case 'AveragePooling2D': {
        const k = pair(cfg.poolSize as number[], 2);
        const s = pair((cfg.strides as number[] | null) ?? k, 2);
        const pads = tfPads(inShape[1], inShape[2], k, s, [1, 1], cfg.padding as string);
        const attrs: Record<string, number | number[] | string> = { kernel: k, strides: s, pads };
        if (cls === 'AveragePooling2D') attrs.count_include_pad = 0;
        emit(l, cls === 'MaxPooling2D' ? 'MaxPool' : 'AveragePool', [input(l)], attrs);
        break;
      }
      case 'GlobalAveragePooling2D':
      case 'GlobalMaxPooling2D':
        emit(l, cls === 'GlobalAveragePooling2D' ? 'ReduceMean' : 'ReduceMax', [input(l)], { axes: [1, 2], keepdims: 0 });
        break;
      case 'Flatten': {
        const per = inShape.slice(1).reduce((a, c) => a * c, 1);
        emit(l, 'Reshape', [input(l)], { shape: [inShape[0], per] });
        break;
      }
      case 'Reshape': {
        const target = (cfg.targetShape as number[]).slice();
        emit(l, 'Reshape', [input(l)], { shape: [inShape[0], ...target] });
        break;
      }
      case 'Dropout':
      case 'SpatialDropout2D':
        tensorOf.set(l.name, input(l));
        break;
      case 'BatchNormalization': {
        const ws = weights(l);
        const axis = cfg.axis as number;
        if (axis !== -1 && axis !== inShape.length - 1) fail('EF2003', `batch normalization over axis ${axis}; only the last (channel) axis is supported`, { node: l.name });
        const C = inShape[inShape.length - 1];
        let i = 0;
        const gamma = cfg.scale ? ws[i++].data : new Float32Array(C).fill(1);
        const beta = cfg.center ? ws[i++].data : new Float32Array(C);
        const mean = ws[i++].data;
        const variance = ws[i++].data;
        const c = (n: string, d: Float32Array) => b.constant(`${l.name}/${n}`, 'float32', [C], d);
        emit(l, 'BatchNormalization', [input(l), c('gamma', gamma), c('beta', beta), c('moving_mean', mean), c('moving_variance', variance)], { epsilon: cfg.epsilon as number });
        break;
      }
      case 'Activation':
      case 'ReLU':
      case 'Softmax': {
        let a = cls === 'ReLU' ? (cfg.maxValue === 6 ? 'relu6' : cfg.maxValue == null ? 'relu' : '') : cls === 'Softmax' ? 'softmax' : act;
        if (a === '') fail('EF2003', `ReLU with max_value ${String(cfg.maxValue)} is not supported (only 6 or none)`, { node: l.name });
        const src = inbound(l)[0];
        const target = fuseTarget(l);
        if (a === 'linear') {
          tensorOf.set(l.name, input(l));
          break;
        }
        if (target !== undefined && (a === 'relu' || a === 'relu6')) {
          b.nodes[target].attrs.activation = a;
          tensorOf.set(l.name, tensorOf.get(src.name)!);
          nodeOf.set(l.name, target);
          break;
        }
        const shape = b.get(input(l)).shape;
        const op = { relu: 'Relu', relu6: 'Clip', sigmoid: 'Sigmoid', tanh: 'Tanh', softmax: 'Softmax' }[a];
        if (!op) fail('EF2003', `activation '${a}' is not supported`, { node: l.name });
        a = a as string;
        emit(l, op!, [input(l)], a === 'relu6' ? { min: 0, max: 6 } : a === 'softmax' ? { axis: -1 } : {}, shape);
        break;
      }
      case 'Add': {
        const ins = inbound(l).map((_, k) => input(l, k));
        let acc = ins[0];
        for (let k = 1; k < ins.length; k++) acc = k === ins.length - 1 ? emit(l, 'Add', [acc, ins[k]], { activation: 'none' }) : (() => {
          const t = b.tensor({ name: `${l.name}_${k}`, dtype: 'float32', shape: shapeOf(l) });
          b.node({ op: 'Add', name: `${l.name}_${k}`, inputs: [acc, ins[k]], outputs: [t], attrs: { activation: 'none' } });
          return t;
        })();
        break;
      }
      case 'ZeroPadding2D': {
        const p = cfg.padding as number[][];
        emit(l, 'Pad', [input(l)], { pads: [0, p[0][0], p[1][0], 0, 0, p[0][1], p[1][1], 0], mode: 'constant', value: 0 });
        break;
      }
      // layers that from-ir.ts creates for imported bases (merges, activations, its two custom layers)
      case 'Concatenate': {
        const ins = inbound(l).map((_, k) => input(l, k));
        const ax = (cfg.axis as number | undefined) ?? -1;
        emit(l, 'Concat', ins, { axis: ax < 0 ? ax + inShape.length : ax });
        break;
      }
      case 'Multiply':
      case 'Maximum':
      case 'Minimum': {
        const ins = inbound(l).map((_, k) => input(l, k));
        if (ins.length !== 2) fail('EF2008', `${cls} of ${ins.length} inputs (2 supported)`, { node: l.name });
        emit(l, { Multiply: 'Mul', Maximum: 'Max', Minimum: 'Min' }[cls]!, ins, { activation: 'none' });
        break;
      }
      case 'LeakyReLU':
      case 'ELU':
        emit(l, cls === 'ELU' ? 'Elu' : 'LeakyRelu', [input(l)], { alpha: cfg.alpha as number });
        break;
      case 'EspforgeConstantOp': {
        const op = cfg.op as string;
        const c = b.constant(`${l.name}/const`, 'float32', cfg.constShape as number[], Float32Array.from(cfg.values as number[]));
        const x = input(l);
        const irOp = { add: 'Add', sub: 'Sub', rsub: 'Sub', mul: 'Mul', div: 'Div', rdiv: 'Div' }[op];
        if (!irOp) fail('EF2008', `constant op '${op}'`, { node: l.name });
        emit(l, irOp!, op === 'rsub' || op === 'rdiv' ? [c, x] : [x, c], { activation: 'none' }, inShape);
        break;
      }
      case 'EspforgeActivation': {
        const fn = cfg.fn as string;
        if (fn === 'clip') emit(l, 'Clip', [input(l)], { ...(cfg.min !== undefined ? { min: cfg.min as number } : {}), ...(cfg.max !== undefined ? { max: cfg.max as number } : {}) }, inShape);
        else if (fn === 'hardswish') emit(l, 'HardSwish', [input(l)], {}, inShape);
        else emit(l, 'HardSigmoid', [input(l)], { alpha: cfg.alpha as number, beta: cfg.beta as number }, inShape);
        break;
      }
      default:
        fail('EF2008', `layer type ${cls} cannot be converted to the IR yet`, { node: l.name });
    }
  }
  const outs = (model as unknown as { outputLayers: tfl.layers.Layer[] }).outputLayers;
  b.outputs = outs.map((o) => tensorOf.get(o.name)!);
  return b.build();
}
