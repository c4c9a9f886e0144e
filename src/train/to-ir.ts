// A trained (or fine-tuned) tfjs-layers model straight into the espforge IR, so training output goes to quantize
// and build without a file round trip. A tfjs-layers model serialises to the same Keras JSON topology that TF.js
// model.json files hold, so the conversion is the Keras importer's (one layer table for .h5, .keras, model.json
// and in-memory models): the topology comes from model.toJSON() and the weights from the model's variables.

import type * as tfl from '@tensorflow/tfjs-layers';
import type { Graph } from '../ir/graph.js';
import { kerasToGraph, type Weights } from '../import/keras/model.js';

export interface ToIrOptions {
  /** Batch size of the graph input (default 1). */
  batch?: number;
  name?: string;
}

/** Convert a tfjs-layers model (float) into an IR graph with shapes inferred. */
export function modelToIR(model: tfl.LayersModel, opts: ToIrOptions = {}): Graph {
  const topology = model.toJSON(null, false) as unknown as Record<string, unknown>;
  // variables are named '<layer>/<weight>' (kernel, bias, gamma, moving_mean, ...)
  const byOwner = new Map<string, Weights>();
  for (const w of model.weights) {
    const parts = w.originalName.replace(/:\d+$/, '').split('/');
    const owner = parts.length > 1 ? parts[parts.length - 2] : '';
    const m = byOwner.get(owner) ?? new Map();
    m.set(parts[parts.length - 1], { shape: w.shape as number[], data: Float32Array.from(w.read().dataSync() as Float32Array) });
    byOwner.set(owner, m);
  }
  return kerasToGraph(topology, { get: (path) => byOwner.get(path[path.length - 1]) ?? new Map() }, {
    file: opts.name ?? model.name,
    format: 'espforge',
    kerasVersion: String(topology.keras_version ?? 'tfjs-layers'),
    batch: opts.batch,
  });
}
