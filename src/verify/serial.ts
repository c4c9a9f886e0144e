// Board-vs-host prediction report (`espforge compare PROJECT --log SERIAL.txt`): parse a captured serial-monitor
// log of the generated app (idf.py monitor output with its noise: boot messages, ESP_LOG lines, ANSI colour codes,
// timestamps, lines cut off when the capture started or the board reset) and put, per embedded sample, the true
// label, the float model's prediction, the integer simulator's prediction and the device's prediction side by side
// with the per-class score error — the seed project's hand-assembled report_prediction.log, generated.
//
// The app prints one line per sample (src/codegen/espidf/project.ts):
//   espforge-sample idx=K label=L pred=P check=PASS|FAIL q=v0,v1,... deq=f0,f1,...
// A line whose value lists do not have one value per class is a partial line and is skipped; when a sample
// appears more than once (the board reset and ran again), the last complete line wins.

import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { diag, fail, type Diagnostic } from '../diagnostics.js';

export interface DeviceSample {
  idx: number;
  label: number;
  pred: number;
  check: 'PASS' | 'FAIL';
  q: number[];
  deq: number[];
  /** 1-based line number in the log. */
  line: number;
}

export interface ParsedLog {
  samples: Map<number, DeviceSample>;
  /** Lines that mention espforge-sample but could not be read completely. */
  partialLines: number[];
  /** The app's own verdict line (`NAME: PASS ...` / `NAME: FAIL ...`), the last one seen. */
  verdict?: { pass: boolean; text: string };
  /** Latency of sample 0 in microseconds, from `NAME: predicted class P, latency T us`. */
  latencyUs?: number;
  /** How many times the app started (sample 0 seen). */
  runs: number;
}

// ANSI CSI sequences (colours, cursor), OSC sequences and other C0 control characters except tab
// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]|[\x00-\x08\x0b-\x1f\x7f]/g;
const SAMPLE_RE = /espforge-sample\s+idx=(\d+)\s+label=(-?\d+)\s+pred=(\d+)\s+check=(PASS|FAIL)\s+q=(-?\d+(?:,-?\d+)*)\s+deq=([0-9.eE+-]+(?:,[0-9.eE+-]+|,-?nan|,-?inf)*)\s*$/;

/** Parse a serial log; `classes` is the number of scores per sample line (output 0's size). */
export function parseSerialLog(text: string, classes: number): ParsedLog {
  const res: ParsedLog = { samples: new Map(), partialLines: [], runs: 0 };
  const lines = text.split(/\r\n|\n|\r/);
  lines.forEach((raw, i) => {
    const line = raw.replace(ANSI, '');
    const at = line.indexOf('espforge-sample');
    if (at >= 0) {
      const m = SAMPLE_RE.exec(line.slice(at));
      const q = m ? m[5].split(',').map(Number) : [];
      const deq = m ? m[6].split(',').map(Number) : [];
      if (!m || q.length !== classes || deq.length !== classes || q.some((v) => !Number.isInteger(v))) {
        res.partialLines.push(i + 1);
        return;
      }
      const s: DeviceSample = { idx: Number(m[1]), label: Number(m[2]), pred: Number(m[3]), check: m[4] as 'PASS' | 'FAIL', q, deq, line: i + 1 };
      if (s.idx === 0) res.runs++;
      res.samples.set(s.idx, s);
      return;
    }
    const v = /(?:^|\s)([A-Za-z_][A-Za-z0-9_]*): (PASS|FAIL)\b(.*)$/.exec(line);
    if (v) res.verdict = { pass: v[2] === 'PASS', text: `${v[1]}: ${v[2]}${v[3]}`.trim() };
    const l = /[A-Za-z_][A-Za-z0-9_]*: predicted class \d+, latency (\d+) us/.exec(line);
    if (l) res.latencyUs = Number(l[1]);
  });
  return res;
}

/** What compare needs from the project's report.json (written by build). */
export interface ProjectRecord {
  name: string;
  golden: { expected: number[][] }[];
  classes?: string[];
  output?: { dtype: string; scale: number; zeroPoint: number };
  samples?: { source?: string; cases: { index: number; label: number; float?: number[] }[] };
}

export interface CompareRow {
  index: number;
  label: number;
  labelName?: string;
  floatPred?: number;
  simPred: number;
  devicePred?: number;
  /** The device's output bytes equal the simulator's (undefined: sample not in the log). */
  identical?: boolean;
  /** Largest |device int − simulator int| over the classes. */
  maxIntDiff?: number;
  scores: { float?: number; sim: number; device?: number; errVsFloat?: number; errVsSim?: number }[];
  /** Largest |device score − reference score| (reference: the float model when known, else the simulator). */
  maxAbsError?: number;
  line?: number;
}

export interface CompareReport {
  project: string;
  log: string;
  classes: string[];
  /** 'float' when the float model's scores were recorded at build time, else 'simulator'. */
  reference: 'float' | 'simulator';
  rows: CompareRow[];
  summary: {
    samples: number;
    inLog: number;
    missing: number[];
    partialLines: number[];
    identical: number;
    deviceVsSimAgreement: number;
    deviceVsFloatAgreement?: number;
    deviceAccuracy?: number;
    floatAccuracy?: number;
    maxAbsError: number;
    maxIntDiff: number;
    verdict?: string;
    latencyUs?: number;
    runs: number;
  };
}

const argmax = (a: ArrayLike<number>) => {
  let b = 0;
  for (let i = 1; i < a.length; i++) if (a[i] > a[b]) b = i;
  return b;
};

/** Build the board-vs-host report from a project record and a log. */
export function compareLog(rec: ProjectRecord, logText: string, where: { project: string; log: string }): CompareReport {
  if (!Array.isArray(rec.golden) || !rec.golden.length || !Array.isArray(rec.golden[0].expected?.[0]))
    fail('EF0001', 'report.json has no golden cases: is this a project written by espforge build?', { file: where.project });
  const K = rec.golden[0].expected[0].length;
  const out = rec.output ?? { dtype: 'int8', scale: 1, zeroPoint: 0 };
  // expected values are bytes for int8 (0..255), signed for int16
  const signed = (v: number) => (out.dtype === 'int8' ? ((v << 24) >> 24) : out.dtype === 'int16' ? ((v << 16) >> 16) : v);
  const deqv = (v: number) => (v - out.zeroPoint) * out.scale;
  const parsed = parseSerialLog(logText, K);
  const cases = rec.samples?.cases ?? rec.golden.map((_, k) => ({ index: k, label: -1, float: undefined as number[] | undefined }));
  const classes = rec.classes?.length === K ? rec.classes : Array.from({ length: K }, (_, i) => String(i));
  const reference = cases.every((c) => Array.isArray(c.float) && c.float.length === K) ? 'float' : 'simulator';
  const rows: CompareRow[] = cases.map((c, k) => {
    const simQ = rec.golden[k].expected[0].map(signed);
    const sim = simQ.map(deqv);
    const d = parsed.samples.get(k);
    const fl = c.float && c.float.length === K ? c.float : undefined;
    const scores = sim.map((s, j) => {
      const e: CompareRow['scores'][number] = { sim: s, float: fl?.[j] };
      if (d) {
        e.device = d.deq[j];
        e.errVsSim = Math.abs(d.deq[j] - s);
        if (fl) e.errVsFloat = Math.abs(d.deq[j] - fl[j]);
      }
      return e;
    });
    const row: CompareRow = { index: k, label: c.label, labelName: c.label >= 0 ? classes[c.label] : undefined, floatPred: fl ? argmax(fl) : undefined, simPred: argmax(simQ), scores };
    if (d) {
      row.devicePred = d.pred;
      row.identical = d.q.every((v, j) => v === simQ[j]);
      row.maxIntDiff = Math.max(...d.q.map((v, j) => Math.abs(v - simQ[j])));
      row.maxAbsError = Math.max(...scores.map((s) => (reference === 'float' ? s.errVsFloat! : s.errVsSim!)));
      row.line = d.line;
    }
    return row;
  });
  const seen = rows.filter((r) => r.devicePred !== undefined);
  const labelled = seen.filter((r) => r.label >= 0);
  const frac = (n: number, d: number) => (d ? n / d : 0);
  return {
    project: where.project,
    log: where.log,
    classes,
    reference,
    rows,
    summary: {
      samples: rows.length,
      inLog: seen.length,
      missing: rows.filter((r) => r.devicePred === undefined).map((r) => r.index),
      partialLines: parsed.partialLines,
      identical: seen.filter((r) => r.identical).length,
      deviceVsSimAgreement: frac(seen.filter((r) => r.devicePred === r.simPred).length, seen.length),
      deviceVsFloatAgreement: reference === 'float' ? frac(seen.filter((r) => r.devicePred === r.floatPred).length, seen.length) : undefined,
      deviceAccuracy: labelled.length ? frac(labelled.filter((r) => r.devicePred === r.label).length, labelled.length) : undefined,
      floatAccuracy: reference === 'float' && rows.some((r) => r.label >= 0)
        ? frac(rows.filter((r) => r.label >= 0 && r.floatPred === r.label).length, rows.filter((r) => r.label >= 0).length)
        : undefined,
      maxAbsError: seen.length ? Math.max(...seen.map((r) => r.maxAbsError!)) : 0,
      maxIntDiff: seen.length ? Math.max(...seen.map((r) => r.maxIntDiff!)) : 0,
      verdict: parsed.verdict?.text,
      latencyUs: parsed.latencyUs,
      runs: parsed.runs,
    },
  };
}

const pct = (x: number | undefined) => (x === undefined ? '-' : `${(x * 100).toFixed(1)}%`);
const num = (x: number | undefined) => (x === undefined ? '-' : Number.isInteger(x) ? String(x) : x.toPrecision(6));
const nm = (r: CompareReport, c: number | undefined) => (c === undefined || c < 0 ? '-' : r.classes[c] === String(c) ? String(c) : `${c} (${r.classes[c]})`);
const md = (s: string) => s.replace(/\|/g, '\\|');

export function compareMarkdown(r: CompareReport): string {
  const s = r.summary;
  const L: string[] = [`# Board vs host: prediction report\n`];
  L.push(`Project \`${r.project}\`, serial log \`${r.log}\`. Scores are output 0 dequantized; the error is |device − ${r.reference === 'float' ? 'float model' : 'simulator'}| per class.\n`);
  L.push('| | |\n|---|---|');
  L.push(`| samples embedded / found in the log | ${s.samples} / ${s.inLog}${s.missing.length ? ` (missing: ${s.missing.join(', ')})` : ''} |`);
  L.push(`| device output identical to the integer simulator | ${s.identical} / ${s.inLog} (max int difference ${s.maxIntDiff}) |`);
  L.push(`| top-1 agreement device vs simulator | ${pct(s.deviceVsSimAgreement)} |`);
  if (s.deviceVsFloatAgreement !== undefined) L.push(`| top-1 agreement device vs float model | ${pct(s.deviceVsFloatAgreement)} |`);
  if (s.deviceAccuracy !== undefined) L.push(`| accuracy on these samples: device / float | ${pct(s.deviceAccuracy)} / ${pct(s.floatAccuracy)} |`);
  L.push(`| max score error (device vs ${r.reference}) | ${num(s.maxAbsError)} |`);
  if (s.latencyUs !== undefined) L.push(`| latency (sample 0) | ${s.latencyUs} us |`);
  if (s.verdict) L.push(`| app verdict | ${md(s.verdict)} |`);
  if (s.partialLines.length) L.push(`| partial sample lines skipped | ${s.partialLines.length} (log lines ${s.partialLines.slice(0, 10).join(', ')}) |`);
  L.push(`\n## Per sample\n`);
  L.push('| # | label | float | simulated int | device | identical | max error |\n|---|---|---|---|---|---|---|');
  for (const row of r.rows)
    L.push(`| ${row.index} | ${md(nm(r, row.label))} | ${md(nm(r, row.floatPred))} | ${md(nm(r, row.simPred))} | ${md(nm(r, row.devicePred))} | ${row.identical === undefined ? 'not in log' : row.identical ? 'yes' : '**no**'} | ${num(row.maxAbsError)} |`);
  L.push(`\n## Scores per class\n`);
  for (const row of r.rows) {
    L.push(`### sample ${row.index}${row.label >= 0 ? ` (label ${md(nm(r, row.label))})` : ''}\n`);
    L.push(`| class | float | simulator | device | error vs ${r.reference} |\n|---|---|---|---|---|`);
    row.scores.forEach((c, j) =>
      L.push(`| ${md(r.classes[j])} | ${num(c.float)} | ${num(c.sim)} | ${num(c.device)} | ${num(r.reference === 'float' ? c.errVsFloat : c.errVsSim)} |`),
    );
    L.push('');
  }
  return L.join('\n');
}

const csvCell = (v: string | number | boolean | undefined) => {
  const s = v === undefined ? '' : String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

export function compareCsv(r: CompareReport): string {
  const K = r.classes.length;
  const head = ['index', 'label', 'label_name', 'float_pred', 'sim_pred', 'device_pred', 'identical', 'max_int_diff', 'max_abs_error'];
  for (let j = 0; j < K; j++) head.push(`float_${j}`, `sim_${j}`, `device_${j}`, `err_${j}`);
  const rows = [head.join(',')];
  for (const row of r.rows) {
    const c: (string | number | boolean | undefined)[] = [row.index, row.label, row.labelName, row.floatPred, row.simPred, row.devicePred, row.identical, row.maxIntDiff, row.maxAbsError];
    for (const s of row.scores) c.push(s.float, s.sim, s.device, r.reference === 'float' ? s.errVsFloat : s.errVsSim);
    rows.push(c.map(csvCell).join(','));
  }
  return rows.join('\n') + '\n';
}

export interface CompareRun {
  report: CompareReport;
  /** Written files: .md, .json, .csv. */
  written: string[];
  diagnostics: Diagnostic[];
}

/** Base name of the report files. */
export const COMPARE_BASENAME = 'board-vs-host';

/**
 * Read PROJECT/report.json and the log, write OUT/board-vs-host.{md,json,csv} (OUT defaults to the log's folder).
 * Diagnostics (EF4013): samples missing from the log, or device outputs that differ from the simulator.
 */
export function compareProject(project: string, log: string, out?: string): CompareRun {
  const rp = join(project, 'report.json');
  if (!existsSync(rp)) fail('EF0001', 'no report.json: give the folder written by espforge build', { file: project });
  let rec: ProjectRecord;
  try {
    rec = JSON.parse(readFileSync(rp, 'utf8')) as ProjectRecord;
  } catch {
    return fail('EF0001', 'report.json is not valid JSON', { file: rp });
  }
  if (!existsSync(log) || !statSync(log).isFile()) fail('EF0001', 'serial log not found', { file: log, suggestion: 'capture it with: idf.py monitor | tee SERIAL.txt' });
  if (statSync(log).size > 256 * 1024 * 1024) fail('EF0001', 'serial log is larger than 256 MB', { file: log });
  const report = compareLog(rec, readFileSync(log, 'latin1'), { project, log });
  const dir = out ?? dirname(log);
  mkdirSync(dir, { recursive: true });
  const files: [string, string][] = [
    [`${COMPARE_BASENAME}.md`, compareMarkdown(report)],
    [`${COMPARE_BASENAME}.json`, JSON.stringify(report, null, 1) + '\n'],
    [`${COMPARE_BASENAME}.csv`, compareCsv(report)],
  ];
  const written = files.map(([f, text]) => {
    writeFileSync(join(dir, f), text);
    return join(dir, f);
  });
  const diagnostics: Diagnostic[] = [];
  const s = report.summary;
  if (s.inLog === 0)
    diagnostics.push(diag('EF4013', `the log holds none of the ${s.samples} espforge-sample lines of ${rec.name}'s app`, {
      file: log,
      notes: s.partialLines.length ? [`${s.partialLines.length} partial line(s) skipped (log lines ${s.partialLines.slice(0, 5).join(', ')})`] : [],
      suggestion: 'flash the project and capture the whole run: idf.py flash monitor | tee SERIAL.txt (press the reset button once the monitor runs)',
    }));
  else if (s.missing.length)
    diagnostics.push(diag('EF4013', `sample(s) ${s.missing.join(', ')} of ${s.samples} are not in the log (cut off or partial lines)`, {
      file: log,
      severity: 'warning',
      suggestion: 'capture the whole run (reset the board once the monitor runs)',
    }));
  if (s.inLog > 0 && s.identical < s.inLog)
    diagnostics.push(diag('EF4013', `the device output differs from the integer simulator on ${s.inLog - s.identical} of ${s.inLog} sample(s) (max difference ${s.maxIntDiff})`, {
      file: log,
      suggestion: 'check that the flashed firmware was built from this project folder; otherwise report it with the model and the log',
    }));
  return { report, written, diagnostics };
}
