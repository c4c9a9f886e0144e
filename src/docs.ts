// Generated documentation tables (ops, diagnostics), derived from the registry and the catalogue.
import { renderSupportMatrix } from './codegen/support-matrix.js';
import { CATALOGUE } from './diagnostics.js';
import { OPS } from './ops/index.js';

export function renderOpsDoc(): string {
  let s = '# Operators\n\nGenerated from `src/ops/index.ts` and the back-end tables (`src/codegen/support-matrix.ts`) by `scripts/gen-docs.ts`; do not edit by hand.\n\n';
  s += '| op | inputs | attributes | description |\n|---|---|---|---|\n';
  for (const d of OPS) {
    const ins = d.inputs.map((p) => `${p.name}${p.optional ? '?' : ''}${p.variadic ? '…' : ''}${p.constant ? ' (const)' : ''}`).join(', ');
    const attrs = Object.entries(d.attrs)
      .map(([k, a]) => `${k}: ${a.type}${a.default !== undefined ? ` = ${JSON.stringify(a.default)}` : ''}`)
      .join('; ');
    s += `| ${d.name} | ${ins} | ${attrs.replace(/\|/g, '\\|')} | ${d.doc.replace(/\|/g, '\\|')} |\n`;
  }
  return s + '\n' + renderSupportMatrix();
}

export function renderDiagnosticsDoc(): string {
  let s = '# Diagnostic codes\n\nGenerated from `src/diagnostics.ts` by `scripts/gen-docs.ts`; do not edit by hand.\n';
  s += 'Codes are stable: EF0xxx input files and the command line, EF1xxx IR and shapes, EF2xxx import, EF3xxx\n';
  s += 'quantization and simulation, EF4xxx code generation and fit, EF5xxx data and training, EF9xxx internal errors.\n\n';
  s += '| code | meaning |\n|---|---|\n';
  for (const [k, v] of Object.entries(CATALOGUE)) s += `| ${k} | ${v} |\n`;
  return s;
}
