// The embedded test of an .espdl file: run graph.test_inputs_value through the ESP-DL arithmetic of the
// integer simulator and compare with graph.test_outputs_value byte for byte — what ESP-DL's model->test()
// checks on the device (which allows ±1 for int16; espforge requires exact equality).

import { fail } from '../../diagnostics.js';
import type { Graph } from '../../ir/graph.js';
import { espdlTestVectors } from './index.js';

export interface EmbeddedTestResult {
  embedded: true;
  chip: string;
  pass: boolean;
  outputs: { name: string; dtype: string; shape: number[]; count: number; mismatches: number; firstMismatch?: number; got?: number; expected?: number; data: number[] }[];
}

export async function runEmbeddedTest(g: Graph, file: string): Promise<EmbeddedTestResult> {
  const tv = espdlTestVectors(g);
  if (!tv)
    fail('EF1009', 'the model has no embedded test values', {
      file,
      suggestion: 'only .espdl files exported with test values (esp-ppq export_test_values=True, or espforge build --format espdl) carry them; give --input instead',
    });
  const { prepareIntGraph, runInt } = await import('../../sim/int.js');
  const pg = prepareIntGraph(g);
  tv.inputs.forEach((v, k) => {
    const t = pg.tensors[pg.inputs[k]];
    if (v.dtype !== t.dtype || v.data.length !== v.shape.reduce((a, b) => a * b, 1) || v.shape.join() !== t.shape.join())
      fail('EF1004', `embedded test input ${k} is ${v.dtype}[${v.shape}], the model input '${t.name}' is ${t.dtype}[${t.shape}]`, { file });
  });
  const outs = runInt(pg, tv.inputs).outputs;
  const outputs = outs.map((v, k) => {
    const e = tv.outputs[k];
    const t = pg.tensors[pg.outputs[k]];
    let mismatches = 0;
    let first: number | undefined;
    if (e.data.length !== v.data.length) mismatches = Math.max(e.data.length, v.data.length);
    else
      for (let i = 0; i < v.data.length; i++)
        if (v.data[i] !== e.data[i]) {
          mismatches++;
          first ??= i;
        }
    return {
      name: t.name,
      dtype: v.dtype,
      shape: v.shape,
      count: e.data.length,
      mismatches,
      firstMismatch: first,
      got: first !== undefined ? Number(v.data[first]) : undefined,
      expected: first !== undefined ? Number(e.data[first]) : undefined,
      data: Array.from(v.data, Number),
    };
  });
  return { embedded: true, chip: String(g.meta.info?.chip), pass: outputs.every((o) => o.mismatches === 0), outputs };
}
