// The op support matrix of docs/ops.md, read from the tables that decide support (no list of its own): the op
// registry (float), the integer kernels (int8), the quantizer's int16 set, the portable C and ESP-NN lowering
// tables, and the importers that export an op table. The ONNX and ESP-DL importers' tables name the source ops
// they read, not the registry ops those become, so their columns mark a registry op read under its own name
// (Gemm → FullyConnected and the like are not shown). The TFLite importer (a switch over builtin codes) and the
// Keras / TF.js importers (layer classes, not ops) export no op-name table and have no column.

import { SUPPORTED as ESPDL_SOURCE_OPS } from '../import/espdl/index.js';
import { SUPPORTED_ONNX_OPS } from '../import/onnx/ops/index.js';
import { OPS } from '../ops/index.js';
import { INT16_OPS } from '../quant/policy.js';
import { intKernel } from '../sim/int/index.js';
import { C_LOWERINGS } from './c/ops/index.js';
import { ESPNN_LOWERINGS } from './espnn/ops/index.js';

export function renderSupportMatrix(): string {
  const yes = (b: boolean) => (b ? '✓' : '');
  let s = '## Support matrix\n\n';
  s += 'float: float reference evaluation (`espforge run`); int8: an integer kernel in the simulator; int16: the quantizer\n';
  s += 'makes it int16 under `--scheme int16`; C: a portable C kernel (`espforge build`), for int8 and, where marked, int16\n';
  s += 'activations; ESP-NN: an ESP-NN lowering (taken per layer when its constraints hold, else the portable kernel);\n';
  s += 'ONNX / ESP-DL: the importer reads an operator of the same name (imports under other names are not shown). TFLite,\n';
  s += 'Keras and TF.js importers have no column: they export no op-name table.\n\n';
  s += '| op | float | int8 | int16 | C | ESP-NN | ONNX | ESP-DL |\n|---|---|---|---|---|---|---|---|\n';
  for (const d of OPS) {
    const c = C_LOWERINGS.get(d.name);
    const cCol = c ? (c.int16 ? 'int8, int16' : 'int8') : '';
    s += `| ${d.name} | ${yes(typeof d.evalFloat === 'function')} | ${yes(intKernel(d.name) !== undefined)} | ${yes(INT16_OPS.has(d.name))} | ${cCol} | ${yes(ESPNN_LOWERINGS.has(d.name))} | ${yes(SUPPORTED_ONNX_OPS.includes(d.name))} | ${yes(ESPDL_SOURCE_OPS.has(d.name))} |\n`;
  }
  return s;
}
