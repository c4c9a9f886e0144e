// report.html for a build: the charts of src/report/html.ts from a BuildReport (layers, memory plan, rv32
// per-layer instructions), added to the project's files before they are written.
import type { BuildReport } from '../pipeline/build.js';
import type { LayerReport } from '../quant/report.js';
import { renderHtmlReport, type HtmlReportInput } from './html.js';

export function buildHtmlInput(rep: BuildReport, layerErrors?: LayerReport): HtmlReportInput {
  const fit = rep.fit.find((f) => f.chip === rep.target);
  const rv = rep.verification.find((v) => v.target === 'rv32');
  const facts: [string, string][] = [
    ['model', rep.model ? `${rep.model.file} (sha256 ${rep.model.sha256.slice(0, 16)}…)` : rep.name],
    ['target', `${rep.target}: ${fit?.fits ? 'fits' : 'does not fit'}`],
    ['parameters / MACs', `${rep.parameters} / ${rep.macs}`],
    ['arena / weights', `${rep.arenaBytes} B / ${rep.weightBytes} B`],
    ['verification', rep.verification.length ? rep.verification.map((v) => `${v.target} ${v.identical ? 'identical' : 'DIFFERS'}`).join(', ') : 'not run'],
  ];
  if (rv?.instructions !== undefined) facts.push(['rv32 instructions / inference', String(rv.instructions)]);
  if (rep.rowBands)
    facts.push(['row bands (--row-bands)', rep.rowBands.pairs.length ? `layers ${rep.rowBands.pairs.map((p) => `${p.producer}+${p.consumer}`).join(', ')}: arena ${rep.arenaBytes} B instead of ${rep.rowBands.arenaWithout} B` : `none taken (arena ${rep.rowBands.arenaWithout} B without)`]);
  if (rep.classes) facts.push(['classes', rep.classes.join(', ')]);
  return {
    title: `${rep.name}: espforge build report`,
    facts,
    classes: rep.classes,
    layers: rep.layers.map((l) => ({ index: l.index, name: l.name, op: l.op, macs: l.macs, instructions: l.instructions })),
    memory: rep.memoryPlan ? { arenaBytes: rep.arenaBytes, blocks: rep.memoryPlan } : undefined,
    layerErrors,
  };
}

/** Render report.html for a build report (with the float-vs-int8 error per layer when the float model is known). */
export async function buildReportHtml(rep: BuildReport, layerErrors?: LayerReport): Promise<string> {
  return (await renderHtmlReport(buildHtmlInput(rep, layerErrors))).html;
}
