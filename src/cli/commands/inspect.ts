// espforge inspect MODEL [--json]
import type { Command } from 'commander';
import { attemptAsync } from '../../diagnostics.js';
import { loadModel } from '../../import/index.js';
import { fitSummary, inspectGraph, opCoverage, type FitSummary, type ModelReport, type OpCoverage } from '../../inspect.js';
import type { Diagnostic } from '../../diagnostics.js';
import { printJson, report, reportFailure, table } from '../common.js';
import { modelWarnings } from '../../pipeline/quantize.js';

const fmtShape = (s: number[]) => `[${s.join(',')}]`;

function describePerm(p: number[]): string {
  if (p.join() === '0,2,3,1') return 'NCHW input is transposed to NHWC';
  return `layout maps to this one by permutation [${p.join(',')}]`;
}

export function renderInspect(r: ModelReport): string {
  const lines: string[] = [];
  lines.push(`model: ${r.source ?? '?'} (${r.format}${r.producer ? `, ${r.producer}` : ''})`);
  if (r.info?.arithmetic === 'espdl') lines.push(`arithmetic: ESP-DL for ${r.info.chip} (power-of-two exponents; --espdl-chip selects the chip)`);
  for (const t of r.inputs)
    lines.push(
      `input  ${t.name}: ${t.dtype}${fmtShape(t.shape)}${t.sourcePerm ? ` (stored layout; the source model's ${describePerm(t.sourcePerm)})` : ''}${
        t.quant ? ` q(s=${t.quant.scale[0].toPrecision(6)}, zp=${t.quant.zeroPoint[0]})` : ''
      }`,
    );
  for (const t of r.outputs)
    lines.push(`output ${t.name}: ${t.dtype}${fmtShape(t.shape)}${t.quant ? ` q(s=${t.quant.scale[0].toPrecision(6)}, zp=${t.quant.zeroPoint[0]})` : ''}`);
  lines.push('');
  const rows = [['#', 'op', 'name', 'input', 'output', 'params', 'MACs']];
  for (const l of r.layers) {
    const data = l.inputs.filter((i) => !i.constant);
    rows.push([
      String(l.index),
      l.op + (l.activation ? `+${l.activation}` : '') + (l.quantized ? ' (q)' : ''),
      l.name.length > 40 ? l.name.slice(0, 37) + '...' : l.name,
      data.map((i) => fmtShape(i.shape)).join(' '),
      l.outputs.map((o) => fmtShape(o.shape)).join(' '),
      l.params.toLocaleString('en-US'),
      l.macs.toLocaleString('en-US'),
    ]);
  }
  lines.push(table(rows, ['r', 'l', 'l', 'l', 'l', 'r', 'r']));
  lines.push('');
  lines.push(
    `total: ${r.totals.layers} layers, ${r.totals.params.toLocaleString('en-US')} parameters (${r.totals.paramBytes.toLocaleString('en-US')} bytes), ${r.totals.macs.toLocaleString('en-US')} MACs`,
  );
  lines.push(`ops: ${Object.entries(r.totals.opCounts).map(([k, v]) => `${k}×${v}`).join(', ')}`);
  return lines.join('\n');
}

function renderPasses(steps: { name: string; ms: number; nodesBefore: number; nodesAfter: number }[] | undefined): string {
  if (!steps) return '';
  const rows = [['pass', 'ms', 'nodes before', 'nodes after']];
  for (const s of steps) rows.push([s.name, s.ms.toFixed(1), String(s.nodesBefore), String(s.nodesAfter)]);
  return `pass pipeline:\n${table(rows, ['l', 'r', 'r', 'r'])}\n\n`;
}

const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;

export function renderFit(f: FitSummary | undefined, err: Diagnostic[] | undefined): string {
  if (err) return `\n\nfit: not available — ${err.map((d) => `${d.code} ${d.message}`).join('; ')}`;
  if (!f) return '';
  const rows = [['chip', 'fits', 'flash need / app partition', 'arena / static RAM cap', 'notes']];
  for (const c of f.chips)
    rows.push([
      c.chip,
      c.fits ? 'yes' : 'NO',
      `${kb(c.flashNeed)} / ${kb(c.partition)}${c.customPartition ? ' (custom partitions.csv)' : ''}`,
      `${kb(f.arenaBytes)} / ${kb(c.ramCap)}`,
      c.problems.join('; '),
    ]);
  const rb = f.rowBands;
  const bands = !rb
    ? ''
    : rb.pairs.length
      ? `\narena with row bands (build --row-bands): ${rb.arenaBytes} B, ${f.arenaBytes - rb.arenaBytes} B less (layers ${rb.pairs.map((p) => `${p.producer}+${p.consumer}`).join(', ')})`
      : `\narena with row bands (build --row-bands): ${rb.arenaBytes} B (no layer pair makes it smaller)`;
  return `\n\nfit per chip (${f.basis}: arena ${f.arenaBytes} B, weights ${f.weightBytes} B):\n${table(rows)}${bands}`;
}

export function renderOpList(r: { ops: OpCoverage[]; onnx: readonly string[]; keras: string[] }): string {
  const y = (b: boolean) => (b ? 'yes' : '-');
  const rows = [['op', 'float', 'int8', 'int8 C', 'int16 C', 'ONNX']];
  for (const o of r.ops) rows.push([o.op, y(o.float), y(o.int8), y(o.c), y(o.int16), o.onnx.join(' ') || '-']);
  return (
    'operators (the registry; int8: integer simulator, int8 C / int16 C: kernels in the generated C library)\n' +
    table(rows) +
    '\n\nAn op without an int8 kernel stays float after quantization (run --quantized simulates it) but cannot be built to C.\n' +
    `\nONNX operators imported (opset 7-21; some map to other registry ops, e.g. Gemm to FullyConnected):\n  ${r.onnx.join(', ')}\n` +
    `\nKeras layers imported:\n  ${r.keras.join(', ')}\n`
  );
}

export function register(program: Command, setExit: (c: number) => void): void {
  program
    .command('inspect')
    .description('layers, shapes, parameters and MACs of a model')
    .argument('[model]', 'model file (.onnx, .tflite, .h5, .keras, model.json)')
    .option('--list-ops', 'list the supported operators (float, int8, C kernels, int16) and the ONNX operators and Keras layers imported')
    .option('--json', 'machine-readable output')
    .option('--no-fit', 'skip the per-chip fit summary')
    .option('--passes', 'run the float pass pipeline and show each pass (time, node count); the layers shown are after the last pass')
    .option('--dump-after <pass>', 'show the layers as they are after the named pass (implies --passes)')
    .action(async (model: string | undefined, o: { json?: boolean; fit: boolean; passes?: boolean; dumpAfter?: string; listOps?: boolean }, cmd: Command) => {
      if (o.listOps) {
        const r = await opCoverage();
        if (o.json) printJson({ ok: true, ...r });
        else process.stdout.write(renderOpList(r));
        return;
      }
      if (model === undefined) return cmd.error("error: missing required argument 'model'", { exitCode: 2, code: 'commander.missingArgument' });
      const res = await attemptAsync(async () => {
        let g = await loadModel(model);
        let passTrace: { name: string; ms: number; nodesBefore: number; nodesAfter: number }[] | undefined;
        if (o.passes || o.dumpAfter) {
          const { tracePasses } = await import('../../passes/index.js');
          const t = tracePasses(g, undefined, o.dumpAfter ? { dumpAfter: [o.dumpAfter] } : {});
          passTrace = t.steps.map(({ name, ms, nodesBefore, nodesAfter }) => ({ name, ms, nodesBefore, nodesAfter }));
          g = o.dumpAfter ? t.steps.find((s) => s.name === o.dumpAfter)!.graph! : t.graph;
        }
        const r = { ...inspectGraph(g), passes: passTrace, diagnostics: modelWarnings(g) };
        // an .espdl model runs on the esp-dl runtime; the fit table is about espforge's own C build
        if (!o.fit || g.meta.info?.arithmetic === 'espdl') return { ...r, fit: undefined, fitError: undefined };
        const f = await attemptAsync(() => fitSummary(g), { file: model });
        return { ...r, fit: f.ok ? f.value : undefined, fitError: f.ok ? undefined : f.diagnostics };
      }, { file: model });
      if (reportFailure(res, o.json, setExit)) return;
      report(res.value.diagnostics, o.json);
      // the fit estimate is informative, but an internal error there is a bug: not a success
      const internal = (res.value.fitError ?? []).some((d) => d.code === 'EF9001');
      if (internal) setExit(1);
      if (o.json) printJson({ ok: !internal, ...res.value });
      else process.stdout.write(renderPasses(res.value.passes) + renderInspect(res.value) + renderFit(res.value.fit, res.value.fitError) + '\n');
    });
}
