// Command-line input binding shared by the commands that feed data to a model: `--input [NAME=]FILE ...` and
// `--input-kind raw|real`. How a file is read is decided by src/io/inputs.ts (loadInputFor → interpretInput).

import { fail } from '../diagnostics.js';
import type { Graph } from '../ir/graph.js';
import { loadInputFor, type LoadedInput } from '../io/inputs.js';
import { INPUT_KINDS, type InputKind } from '../quant/report.js';

export function parseInputKind(s: string | undefined): InputKind | undefined {
  if (s === undefined) return undefined;
  if (!(INPUT_KINDS as readonly string[]).includes(s)) fail('EF0006', `--input-kind must be raw or real, got '${s}'`);
  return s as InputKind;
}

/**
 * Bind `--input` arguments to graph inputs: `NAME=FILE` by graph-input name (only when NAME is one), otherwise in
 * order into the inputs not yet bound. Every graph input needs exactly one file.
 */
export async function loadInputs(g: Graph, args: string[], kind: InputKind | undefined, model: string): Promise<LoadedInput[]> {
  const names = g.inputs.map((id) => g.tensors[id].name);
  const files: (string | undefined)[] = names.map(() => undefined);
  const positional: string[] = [];
  for (const a of args) {
    const eq = a.indexOf('=');
    const k = eq > 0 ? names.indexOf(a.slice(0, eq)) : -1;
    if (k < 0) positional.push(a);
    else if (files[k] !== undefined) fail('EF0006', `input '${names[k]}' is given twice`, { file: model });
    else files[k] = a.slice(eq + 1);
  }
  for (const p of positional) {
    const k = files.indexOf(undefined);
    if (k < 0) fail('EF1009', `the model has ${names.length} input(s) (${names.join(', ')}); ${args.length} --input file(s) given`, { file: model });
    files[k] = p;
  }
  const missing = names.filter((_, k) => files[k] === undefined);
  if (missing.length)
    fail('EF1009', `no --input for model input(s) ${missing.join(', ')} (the model has ${names.length}: ${names.join(', ')})`, {
      file: model,
      suggestion: names.length > 1 ? `give one file per input, in order or as NAME=FILE, e.g. --input ${names[0]}=a.npy ${names[1]}=b.npy` : undefined,
    });
  const out: LoadedInput[] = [];
  for (let k = 0; k < names.length; k++) out.push(await loadInputFor(g, k, files[k]!, kind));
  return out;
}
