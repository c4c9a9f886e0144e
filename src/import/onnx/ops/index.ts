// The ONNX op table: for each supported ONNX operator, the attributes it accepts, which inputs must be
// constants, and the converter to canonical registry ops (src/ops/). Version differences are resolved in the
// entries against the model's default-domain opset (the newest operator version ≤ that opset applies).
//
// Each op family is one module exporting its rows; a new family is a new module plus one line in FAMILIES.

import { AXIS_OPS } from './axis.js';
import { CAST_OPS } from './cast.js';
import { CONSTANT_OPS } from './constants.js';
import { DENSE_OPS } from './dense.js';
import { ELEMENTWISE_OPS } from './elementwise.js';
import type { OpEntry } from './helpers.js';
import { NORM_OPS } from './norm.js';
import { RESIZE_OPS } from './resize.js';
import { RNN_ENTRIES } from './rnn.js';
import { SPATIAL_OPS } from './spatial.js';

export type { ConvertArgs, OpEntry } from './helpers.js';

const FAMILIES: Record<string, OpEntry>[] = [
  ELEMENTWISE_OPS,
  SPATIAL_OPS,
  DENSE_OPS,
  AXIS_OPS,
  NORM_OPS,
  RESIZE_OPS,
  CAST_OPS,
  CONSTANT_OPS,
  RNN_ENTRIES,
];

function mergeFamilies(families: Record<string, OpEntry>[]): Record<string, OpEntry> {
  const table: Record<string, OpEntry> = {};
  for (const family of families)
    for (const [name, entry] of Object.entries(family)) {
      if (table[name]) throw new Error(`ONNX op ${name} is converted by two op families`);
      table[name] = entry;
    }
  return table;
}

export const OP_TABLE: Record<string, OpEntry> = mergeFamilies(FAMILIES);

/** ONNX operators the importer converts (for docs and the conformance runner). */
export const SUPPORTED_ONNX_OPS: readonly string[] = Object.keys(OP_TABLE).sort();
