// report.html for `eval --report DIR` and `build`: one self-contained page of charts (vega-lite specs compiled and
// rendered to SVG by vega on the host, no browser JavaScript needed to draw them), optionally PNG copies through
// resvg. Charts: confusion matrix, per-class accuracy, float-vs-int8 error per layer, the memory plan as a
// timeline (arena offset × layer), MACs and rv32 instructions per layer. Nothing is printed; the caller writes files.

import type { AccuracyReport, LayerReport } from '../quant/report.js';

export interface MemoryBlock {
  tensor: string;
  offset: number;
  size: number;
  firstUse: number;
  lastUse: number;
}

export interface HtmlReportInput {
  title: string;
  /** Lines of context under the title (model, target, data). */
  facts?: [string, string][];
  accuracy?: AccuracyReport;
  classes?: string[];
  layerErrors?: LayerReport;
  /** Per layer of the generated code: name, op, MACs, and rv32 instructions when profiled. */
  layers?: { index: number; name: string; op: string; macs: number; instructions?: number }[];
  memory?: { arenaBytes: number; blocks: MemoryBlock[] };
}

export interface Chart {
  id: string;
  title: string;
  svg: string;
}

type Spec = Record<string, unknown>;

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
const cap = (s: string, n = 28) => (s.length > n ? s.slice(0, n - 1) + '…' : s);

function chartSpecs(r: HtmlReportInput): { id: string; title: string; spec: Spec }[] {
  const out: { id: string; title: string; spec: Spec }[] = [];
  const acc = r.accuracy;
  const name = (c: number) => (r.classes?.[c] !== undefined && r.classes[c] !== String(c) ? `${c} ${cap(r.classes[c], 16)}` : String(c));
  if (acc?.confusion) {
    const values: { label: string; predicted: string; count: number }[] = [];
    acc.confusion.forEach((row, i) => row.forEach((n, j) => values.push({ label: name(i), predicted: name(j), count: n })));
    const order = acc.confusion.map((_, i) => name(i));
    out.push({
      id: 'confusion',
      title: `Confusion matrix (${acc.quantAccuracy !== undefined ? 'quantized' : 'float'} model; rows = label)`,
      spec: {
        data: { values },
        width: Math.min(520, 40 * order.length + 40),
        height: Math.min(520, 40 * order.length + 40),
        encoding: {
          x: { field: 'predicted', type: 'ordinal', sort: order, title: 'predicted' },
          y: { field: 'label', type: 'ordinal', sort: order, title: 'label' },
        },
        layer: [
          { mark: 'rect', encoding: { color: { field: 'count', type: 'quantitative', scale: { scheme: 'blues' } } } },
          ...(order.length <= 20 ? [{ mark: { type: 'text', fontSize: 10 }, encoding: { text: { field: 'count', type: 'quantitative' } } }] : []),
        ],
      },
    });
    const perClass = acc.confusion.map((row, i) => {
      const n = row.reduce((a, b) => a + b, 0);
      return { class: name(i), accuracy: n ? row[i] / n : 0, samples: n };
    });
    out.push({
      id: 'per-class-accuracy',
      title: 'Accuracy per class',
      spec: {
        data: { values: perClass },
        width: Math.max(200, Math.min(800, 30 * perClass.length)),
        height: 200,
        mark: 'bar',
        encoding: {
          x: { field: 'class', type: 'ordinal', sort: order },
          y: { field: 'accuracy', type: 'quantitative', scale: { domain: [0, 1] }, axis: { format: '%' } },
        },
      },
    });
  }
  if (r.layerErrors?.layers.length) {
    const values = r.layerErrors.layers.map((l, i) => ({
      layer: `${String(i).padStart(2, '0')} ${cap(l.tensor)}`,
      op: l.op,
      sqnr: Number.isFinite(l.sqnrDb) ? l.sqnrDb : 99,
      exact: !Number.isFinite(l.sqnrDb),
    }));
    out.push({
      id: 'layer-error',
      title: `Float vs int8 per layer: SQNR in dB over ${r.layerErrors.samples} sample(s) (higher is better; 99 = exact)`,
      spec: {
        data: { values },
        width: Math.max(300, Math.min(1000, 18 * values.length)),
        height: 220,
        mark: 'bar',
        encoding: {
          x: { field: 'layer', type: 'ordinal', sort: null, axis: { labelAngle: -60 } },
          y: { field: 'sqnr', type: 'quantitative', title: 'SQNR (dB)' },
          color: { field: 'op', type: 'nominal' },
        },
      },
    });
  }
  if (r.memory?.blocks.length) {
    const values = r.memory.blocks.map((b) => ({ tensor: cap(b.tensor), from: b.firstUse, to: b.lastUse + 1, offset: b.offset, end: b.offset + b.size, size: b.size }));
    out.push({
      id: 'memory-plan',
      title: `Memory plan: tensors in the ${r.memory.arenaBytes}-byte arena (offset) while they are live (layer)`,
      spec: {
        data: { values },
        width: 640,
        height: 300,
        mark: { type: 'rect', stroke: 'white', strokeWidth: 0.5 },
        encoding: {
          x: { field: 'from', type: 'quantitative', title: 'layer', axis: { tickMinStep: 1, format: 'd' } },
          x2: { field: 'to' },
          y: { field: 'offset', type: 'quantitative', title: 'arena offset (bytes)', scale: { domain: [0, Math.max(16, r.memory.arenaBytes)] } },
          y2: { field: 'end' },
          color: { field: 'size', type: 'quantitative', scale: { scheme: 'viridis' }, title: 'bytes' },
        },
      },
    });
  }
  if (r.layers?.length) {
    const values = r.layers.flatMap((l) => {
      const layer = `${String(l.index).padStart(2, '0')} ${l.op} ${cap(l.name, 18)}`;
      const v: { layer: string; what: string; count: number }[] = [{ layer, what: 'MACs', count: l.macs }];
      if (l.instructions !== undefined) v.push({ layer, what: 'rv32 instructions', count: l.instructions });
      return v;
    });
    const withInstr = r.layers.some((l) => l.instructions !== undefined);
    out.push({
      id: 'layer-cost',
      title: withInstr ? 'MACs and rv32 instructions per layer' : 'MACs per layer (rv32 instructions: build with --verify rv32)',
      spec: {
        data: { values },
        width: Math.max(300, Math.min(1000, 18 * r.layers.length)),
        height: 220,
        mark: 'bar',
        encoding: {
          x: { field: 'layer', type: 'ordinal', sort: null, axis: { labelAngle: -60 } },
          xOffset: { field: 'what' },
          y: { field: 'count', type: 'quantitative' },
          color: { field: 'what', type: 'nominal', title: '' },
        },
      },
    });
  }
  return out;
}

/** Render every chart the input allows to SVG. */
export async function renderCharts(r: HtmlReportInput): Promise<Chart[]> {
  const vega = await import('vega');
  const vl = await import('vega-lite');
  const charts: Chart[] = [];
  for (const c of chartSpecs(r)) {
    const spec = { $schema: 'https://vega.github.io/schema/vega-lite/v6.json', background: 'white', ...c.spec } as unknown as Parameters<typeof vl.compile>[0];
    const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: 'none' });
    const svg = await view.toSVG();
    view.finalize();
    charts.push({ id: c.id, title: c.title, svg });
  }
  return charts;
}

/** PNG copies of the charts (resvg). */
export async function chartPngs(charts: Chart[]): Promise<Record<string, Uint8Array>> {
  const { Resvg } = await import('@resvg/resvg-js');
  const out: Record<string, Uint8Array> = {};
  for (const c of charts) out[`${c.id}.png`] = new Uint8Array(new Resvg(c.svg, { background: 'white', fitTo: { mode: 'zoom', value: 2 } }).render().asPng());
  return out;
}

/** The self-contained page. A small script marks the body with the number of charts that have a size once laid out
 * (a headless browser can check it); errors go to the console. */
export function htmlPage(r: HtmlReportInput, charts: Chart[]): string {
  const facts = (r.facts ?? []).map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join('\n');
  const sections = charts
    .map((c) => `<section class="chart" id="${c.id}">\n<h2>${esc(c.title)}</h2>\n${c.svg.replace(/^<\?xml[^>]*>\s*/, '')}\n</section>`)
    .join('\n');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${esc(r.title)}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin-bottom: 1.5em; }
th { text-align: left; padding-right: 1.5em; font-weight: 600; }
td, th { padding: 2px 8px 2px 0; }
section.chart { margin: 1.5em 0; }
h2 { font-size: 1.05em; }
</style>
</head>
<body data-charts="${charts.length}">
<h1>${esc(r.title)}</h1>
<table>
${facts}
</table>
${sections || '<p>No charts: nothing to plot for this run.</p>'}
<script>
window.addEventListener('error', function (e) { console.error('espforge-report error: ' + e.message); });
window.addEventListener('load', function () {
  var ok = 0, svgs = document.querySelectorAll('section.chart svg');
  for (var i = 0; i < svgs.length; i++) { var b = svgs[i].getBoundingClientRect(); if (b.width > 10 && b.height > 10) ok++; }
  document.body.setAttribute('data-rendered', String(ok));
  if (ok !== svgs.length) console.error('espforge-report error: ' + (svgs.length - ok) + ' chart(s) did not render');
});
</script>
</body>
</html>
`;
}

/** Charts + page in one call. */
export async function renderHtmlReport(r: HtmlReportInput): Promise<{ html: string; charts: Chart[] }> {
  const charts = await renderCharts(r);
  return { html: htmlPage(r, charts), charts };
}
