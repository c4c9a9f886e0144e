// Conformance runner: runs peer ONNX test suites (onnx backend node tests, pytorch-converted, light model
// graphs, tract cases) through the ONNX importer and the float interpreter and compares with their expected
// outputs. Each test ends pass, fail (with the largest error) or skip (with the coded diagnostic that stopped
// it, e.g. EF2002 unsupported operator). Crashes (EF9001) are reported as failures with `crash: true`.
//
// Layouts handled:
//   <test>/model.onnx + <test>/test_data_set_N/{input,output}_K.pb   (onnx backend convention)
//   <test>/model.onnx + <test>/io.npz                                (tract; keys = graph input/output names)
//   <suite>/light_<name>.onnx + light_<name>_output_0.pb             (onnx "light": input is arange(n)/n)
//   <suite>/ containing any of the above as sub-folders.

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { toDiagnostics, type Diagnostic } from '../diagnostics.js';
import { isIntegerDType, shapeSize } from '../ir/dtype.js';
import type { Graph } from '../ir/graph.js';
import { toSourceLayout, transposeValue } from '../ir/layout.js';
import { getOp } from '../ops/index.js';
import type { Value } from '../ops/types.js';
import { inferCtx } from '../ops/infer.js';
import { decodeModel, importOnnx, onnxConstantInputs, SUPPORTED_ONNX_OPS } from '../import/onnx/index.js';
import { readTensorProto } from '../import/onnx/tensor.js';
import { onnx } from '../import/onnx/proto.js';
import { readNpz } from '../io/npy.js';
import { prepareFloat, runFloat } from '../sim/float.js';

export type CaseKind = 'onnx-test' | 'npz' | 'light';

export interface ConformanceCase {
  suite: string;
  name: string;
  kind: CaseKind;
  model: string;
  /** Folder (onnx-test, npz) or expected-output file (light). */
  data: string;
}

export type CaseStatus = 'pass' | 'fail' | 'skip';

export interface CaseResult {
  suite: string;
  name: string;
  status: CaseStatus;
  /** ONNX operators used by the model. */
  ops: string[];
  /** Every operator of the model is in the importer's table. */
  supportedOps: boolean;
  /** Largest |actual - expected| over all outputs and data sets (pass and numeric fail). */
  maxError?: number;
  message?: string;
  diagnostics: Diagnostic[];
  /** An internal error (EF9001) or an uncaught exception: always a bug. */
  crash: boolean;
  ms: number;
}

export interface SuiteSummary {
  suite: string;
  total: number;
  pass: number;
  fail: number;
  skip: number;
  /** Tests whose operators are all supported, and how many of those pass. */
  supported: number;
  supportedPass: number;
  crashes: number;
}

export interface ConformanceReport {
  results: CaseResult[];
  suites: SuiteSummary[];
  total: SuiteSummary;
}

export interface ConformanceOptions {
  rtol?: number;
  atol?: number;
  /** Skip (EF1007) models whose float execution exceeds this many multiply-accumulates. */
  maxMacs?: number;
  /** Only run cases whose name contains one of these strings. */
  filter?: string[];
  onResult?: (r: CaseResult) => void;
}

/** Tolerances the onnx backend runner uses for particular tests (see conformance MANIFESTs). */
const RTOL_OVERRIDE: Record<string, number> = { light_densenet121: 2e-3 };

function isTestDir(d: string): boolean {
  return existsSync(join(d, 'model.onnx'));
}

/** Find the test cases under the given directories. */
export function discoverCases(dirs: string[]): ConformanceCase[] {
  const out: ConformanceCase[] = [];
  const addDir = (d: string, suite: string) => {
    const name = basename(d);
    if (existsSync(join(d, 'io.npz'))) out.push({ suite, name, kind: 'npz', model: join(d, 'model.onnx'), data: d });
    else out.push({ suite, name, kind: 'onnx-test', model: join(d, 'model.onnx'), data: d });
  };
  for (const dir of dirs) {
    if (!existsSync(dir) || !statSync(dir).isDirectory()) continue;
    if (isTestDir(dir)) {
      addDir(dir, basename(join(dir, '..')));
      continue;
    }
    const suite = basename(dir);
    for (const e of readdirSync(dir).sort()) {
      const p = join(dir, e);
      if (statSync(p).isDirectory()) {
        if (isTestDir(p)) addDir(p, suite);
      } else if (e.endsWith('.onnx')) {
        const stem = e.slice(0, -5);
        const exp = join(dir, `${stem}_output_0.pb`);
        if (existsSync(exp)) out.push({ suite, name: stem, kind: 'light', model: p, data: exp });
      }
    }
  }
  return out;
}

interface DataSet {
  inputs: Value[];
  outputs: Value[];
}

function loadDataSets(c: ConformanceCase, inputNames: string[], outputNames: string[], inputShapes: number[][]): DataSet[] {
  if (c.kind === 'light') {
    const shape = inputShapes[0];
    const n = shapeSize(shape);
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = i / n;
    return [{ inputs: [{ dtype: 'float32', shape, data }], outputs: [readTensorProto(readFileSync(c.data), c.data)] }];
  }
  if (c.kind === 'npz') {
    const f = join(c.data, 'io.npz');
    const m = readNpz(readFileSync(f), f);
    const get = (k: string) => {
      const v = m.get(k);
      if (!v) throw new Error(`io.npz has no array '${k}' (has ${[...m.keys()].join(', ')})`);
      return v;
    };
    return [{ inputs: inputNames.map(get), outputs: outputNames.map(get) }];
  }
  const sets = readdirSync(c.data)
    .filter((e) => /^test_data_set_\d+$/.test(e))
    .sort();
  return sets.map((s) => {
    const dir = join(c.data, s);
    const read = (prefix: string) => {
      const files = readdirSync(dir)
        .filter((f) => new RegExp(`^${prefix}_\\d+\\.pb$`).test(f))
        .sort((a, b) => Number(/\d+/.exec(a)![0]) - Number(/\d+/.exec(b)![0]));
      return files.map((f) => readTensorProto(readFileSync(join(dir, f)), join(dir, f)));
    };
    return { inputs: read('input'), outputs: read('output') };
  });
}

/** Largest error, or undefined when the values differ beyond tolerance (message set). */
export function compareValues(actual: Value, expected: Value, rtol: number, atol: number): { ok: boolean; maxError: number; message?: string } {
  const same = actual.shape.length === expected.shape.length && actual.shape.every((d, i) => d === expected.shape[i]);
  if (!same && !(shapeSize(actual.shape) === shapeSize(expected.shape) && expected.shape.filter((d) => d !== 1).join() === actual.shape.filter((d) => d !== 1).join()))
    return { ok: false, maxError: Infinity, message: `shape [${actual.shape}] ≠ expected [${expected.shape}]` };
  const exact = isIntegerDType(expected.dtype);
  let maxError = 0;
  let ok = true;
  let where = -1;
  for (let i = 0; i < expected.data.length; i++) {
    const a = actual.data[i];
    const e = expected.data[i];
    if (Number.isNaN(e) && Number.isNaN(a)) continue;
    if (e === a) continue;
    const err = Math.abs(a - e);
    if (!(err <= maxError)) maxError = Number.isNaN(err) ? Infinity : Math.max(maxError, err);
    const bad = exact ? true : !(err <= atol + rtol * Math.abs(e));
    if (bad && ok) {
      ok = false;
      where = i;
    }
  }
  return {
    ok,
    maxError,
    message: ok ? undefined : `element ${where}: got ${actual.data[where]}, expected ${expected.data[where]}${exact ? ' (exact match required)' : ''}`,
  };
}

/**
 * The importer fixes symbolic dims (batch) to 1; test data may use another size (tract feeds [5,10] to an
 * ['unk', 10] input). Rewrite the declared input dims to the data's shape where they are symbolic.
 */
function withDataShapes(bytes: Uint8Array, file: string, names: string[], values: Value[]): Uint8Array {
  const m = onnx.ModelProto.decode(bytes);
  let changed = false;
  for (const vi of m.graph?.input ?? []) {
    const k = names.indexOf(vi.name ?? '');
    const dims = vi.type?.tensorType?.shape?.dim;
    if (k < 0 || !dims || !values[k] || values[k].shape.length !== dims.length) continue;
    dims.forEach((d, i) => {
      if (d.value !== 'dimValue' || Number(d.dimValue) < 0) {
        d.dimValue = values[k].shape[i];
        d.dimParam = undefined as unknown as string;
        changed = true;
      }
    });
  }
  void file;
  return changed ? onnx.ModelProto.encode(m).finish() : bytes;
}

function totalMacs(g: Graph): number {
  let s = 0;
  for (const n of g.nodes) {
    const ctx = inferCtx(g, n);
    s += getOp(n.op).macs(ctx, n.outputs.map((o) => ({ dtype: g.tensors[o].dtype, shape: g.tensors[o].shape })));
  }
  return s;
}

/** Run one case. Never throws. */
export function runCase(c: ConformanceCase, opts: ConformanceOptions = {}): CaseResult {
  const t0 = performance.now();
  const res: CaseResult = { suite: c.suite, name: c.name, status: 'skip', ops: [], supportedOps: false, diagnostics: [], crash: false, ms: 0 };
  const finish = () => {
    res.ms = performance.now() - t0;
    res.crash = res.diagnostics.some((d) => d.code === 'EF9001');
    if (res.crash) res.status = 'fail';
    return res;
  };
  try {
    const bytes = readFileSync(c.model);
    const m = decodeModel(bytes, c.model);
    const g = m.graph!;
    res.ops = [...new Set((g.node ?? []).map((n) => (n.domain && n.domain !== 'ai.onnx' ? `${n.domain}.` : '') + (n.opType ?? '')))].sort();
    res.supportedOps = res.ops.every((o) => SUPPORTED_ONNX_OPS.includes(o));
    const inits = new Set((g.initializer ?? []).map((t) => t.name));
    const inputVis = (g.input ?? []).filter((v) => !inits.has(v.name));
    const inputNames = inputVis.map((v) => v.name ?? '');
    const outputNames = (g.output ?? []).map((v) => v.name ?? '');
    const inputShapes = inputVis.map((v) => (v.type?.tensorType?.shape?.dim ?? []).map((d) => Number(d.dimValue ?? 1) || 1));
    const sets = loadDataSets(c, inputNames, outputNames, inputShapes);
    if (sets.length === 0) {
      res.message = 'no test data sets';
      return finish();
    }
    const modelBytes = withDataShapes(bytes, c.model, inputNames, sets[0].inputs);
    const constNames = onnxConstantInputs(bytes, c.model);
    const rtol = RTOL_OVERRIDE[c.name] ?? opts.rtol ?? 1e-3;
    const atol = opts.atol ?? 1e-7;
    let prepared: ReturnType<typeof prepareFloat> | undefined;
    let boundKey = '';
    let maxError = 0;
    for (const ds of sets) {
      if (ds.inputs.length !== inputNames.length) throw new Error(`data set has ${ds.inputs.length} inputs, the model ${inputNames.length}`);
      const bind = new Map<string, Value>();
      inputNames.forEach((n, k) => constNames.has(n) && bind.set(n, ds.inputs[k]));
      const key = [...bind.values()].map((v) => Array.from(v.data).join(',')).join('|');
      if (!prepared || key !== boundKey) {
        const graph = importOnnx(modelBytes, c.model, { bindInputs: bind });
        if (opts.maxMacs !== undefined) {
          const macs = totalMacs(graph);
          if (macs > opts.maxMacs) {
            res.diagnostics.push({
              code: 'EF1007',
              severity: 'error',
              message: `the model needs ${(macs / 1e9).toFixed(2)} GMAC per run, above this run's budget of ${(opts.maxMacs / 1e9).toFixed(2)} GMAC`,
              file: c.model,
              notes: [],
              suggestion: 'raise the budget (espforge conformance --max-gmacs N) to run it',
            });
            res.message = res.diagnostics[0].message;
            return finish();
          }
        }
        prepared = prepareFloat(graph);
        boundKey = key;
      }
      const graph = prepared.graph;
      const feeds = inputNames
        .map((n, k) => ({ n, v: ds.inputs[k] }))
        .filter(({ n }) => !bind.has(n))
        .map(({ v }, k) => {
          const t = graph.tensors[graph.inputs[k]];
          return t.sourcePerm ? transposeValue(v, t.sourcePerm) : v;
        });
      const outs = runFloat(prepared, feeds).outputs.map((v, k) => toSourceLayout(v, graph.tensors[graph.outputs[k]]));
      if (outs.length < ds.outputs.length) throw new Error(`the graph has ${outs.length} outputs, ${ds.outputs.length} expected`);
      for (let k = 0; k < ds.outputs.length; k++) {
        const cmp = compareValues(outs[k], ds.outputs[k], rtol, atol);
        maxError = Math.max(maxError, cmp.maxError);
        if (!cmp.ok) {
          res.status = 'fail';
          res.maxError = maxError;
          res.message = `output ${k} (${outputNames[k]}): ${cmp.message}`;
          return finish();
        }
      }
    }
    res.status = 'pass';
    res.maxError = maxError;
  } catch (e) {
    res.diagnostics = toDiagnostics(e, { file: c.model });
    res.status = 'skip';
    res.message = res.diagnostics.map((d) => `${d.code}: ${d.node ? `node '${d.node}': ` : ''}${d.message}`).join('; ');
    // a coded error from a supported op's kernel or shape inference is a failure of that op, not a skip
    if (res.diagnostics.some((d) => !['EF2002', 'EF2003', 'EF2004', 'EF2005', 'EF2006', 'EF2007', 'EF1007'].includes(d.code))) res.status = 'fail';
  }
  return finish();
}

function summarize(suite: string, rs: CaseResult[]): SuiteSummary {
  const sup = rs.filter((r) => r.supportedOps);
  return {
    suite,
    total: rs.length,
    pass: rs.filter((r) => r.status === 'pass').length,
    fail: rs.filter((r) => r.status === 'fail').length,
    skip: rs.filter((r) => r.status === 'skip').length,
    supported: sup.length,
    supportedPass: sup.filter((r) => r.status === 'pass').length,
    crashes: rs.filter((r) => r.crash).length,
  };
}

/** Run every case found under `dirs`. */
export function runConformance(dirs: string[], opts: ConformanceOptions = {}): ConformanceReport {
  let cases = discoverCases(dirs);
  if (opts.filter?.length) cases = cases.filter((c) => opts.filter!.some((f) => c.name.includes(f)));
  const results: CaseResult[] = [];
  for (const c of cases) {
    const r = runCase(c, opts);
    results.push(r);
    opts.onResult?.(r);
  }
  const suites = [...new Set(results.map((r) => r.suite))].map((s) => summarize(s, results.filter((r) => r.suite === s)));
  return { results, suites, total: summarize('all', results) };
}

/** One line per test, as the CLI prints it. */
export function formatResult(r: CaseResult): string {
  const err = r.maxError !== undefined && Number.isFinite(r.maxError) ? ` max_err=${r.maxError.toExponential(2)}` : '';
  const why = r.status !== 'pass' && r.message ? `  ${r.message.split('\n')[0]}` : '';
  return `${r.status.toUpperCase().padEnd(4)} ${r.suite}/${r.name}${err}${why}${r.crash ? '  [CRASH]' : ''}`;
}

export function formatSummary(s: SuiteSummary): string {
  const rate = s.supported ? ((100 * s.supportedPass) / s.supported).toFixed(1) : '-';
  return `${s.suite}: ${s.total} tests, ${s.pass} pass, ${s.fail} fail, ${s.skip} skip; supported-op tests ${s.supportedPass}/${s.supported} pass (${rate}%)${s.crashes ? `, ${s.crashes} CRASHES` : ''}`;
}
