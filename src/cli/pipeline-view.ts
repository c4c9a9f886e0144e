// Rendering of the pipeline trace (src/pipeline/stages.ts) for the commands: --dump-after and --timings.

import { inspectGraph } from '../inspect.js';
import type { StageDump, StageTiming } from '../pipeline/stages.js';
import { table } from './common.js';
import { renderInspect } from './commands/inspect.js';

/** A --dump-after dump as text: the layers of a graph, the memory plan, or the emitted files. */
export function renderDump(d: StageDump): string {
  const head = `after ${d.stage}:`;
  if (d.graph) return `${head}\n${renderInspect(inspectGraph(d.graph))}\n`;
  if (d.plan)
    return `${head} arena ${d.plan.arenaSize} B (lower bound ${d.plan.lowerBound} B)\n${table([['tensor', 'offset', 'bytes', 'layers'], ...d.plan.tensors.map((t) => [t.tensor, String(t.offset), String(t.size), `${t.firstUse}..${t.lastUse}`])], ['l', 'r', 'r', 'l'])}\n`;
  return `${head}\n${table(Object.entries(d.files ?? {}).map(([f, n]) => [f, `${n} B`]), ['l', 'r'])}\n`;
}

export function dumpJson(d: StageDump): unknown {
  return { stage: d.stage, graph: d.graph ? inspectGraph(d.graph) : undefined, plan: d.plan, files: d.files };
}

export function renderTimings(t: StageTiming[]): string {
  const rows = [['stage', 'ms', 'nodes']];
  for (const s of t) {
    rows.push([s.stage, s.stage === 'plan' ? '(in emit)' : s.ms.toFixed(1), s.nodes === undefined ? '' : String(s.nodes)]);
    for (const p of s.passes ?? []) rows.push([`  ${p.name}`, p.ms.toFixed(1), String(p.nodesAfter)]);
  }
  return `pipeline stages:\n${table(rows, ['l', 'r', 'r'])}`;
}

