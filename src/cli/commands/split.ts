// espforge split DIR --out DIR [--ratios 0.8,0.1,0.1] [--seed N] [--link] [--force] [--json]
import type { Command } from 'commander';
import { attempt, fail } from '../../diagnostics.js';
import { splitImageFolder } from '../../data/split.js';
import { printJson, report, table } from '../common.js';

export function register(program: Command, setExit: (c: number) => void): void {
  program
    .command('split')
    .description('split an image-folder dataset into train/val/test folders, stratified and reproducible')
    .argument('<dir>', 'folder with one sub-folder of images per class')
    .requiredOption('--out <dir>', 'output folder (gets train/, val/, test/)')
    .option('--ratios <list>', 'train,val,test fractions (or train,test)', '0.8,0.1,0.1')
    .option('--seed <n>', 'seed for the shuffle', '0')
    .option('--link', 'symlink files instead of copying them')
    .option('--force', 'replace a non-empty output folder')
    .option('--json', 'machine-readable output')
    .action((dir: string, o: { out: string; ratios: string; seed: string; link?: boolean; force?: boolean; json?: boolean }) => {
      const r = attempt(() => {
        const ratios = o.ratios.split(',').map(Number);
        if (ratios.some((x) => !Number.isFinite(x))) fail('EF0006', `--ratios must be numbers, got '${o.ratios}'`);
        const seed = Number(o.seed);
        if (!Number.isInteger(seed)) fail('EF0006', `--seed must be an integer, got '${o.seed}'`);
        return splitImageFolder(dir, o.out, { ratios, seed, link: o.link, force: o.force });
      }, { file: dir });
      if (!r.ok) {
        setExit(report(r.diagnostics, o.json));
        if (o.json) printJson({ ok: false, diagnostics: r.diagnostics });
        return;
      }
      const s = r.value;
      if (o.json) printJson({ ok: true, ...s });
      else {
        const rows = [['class', ...s.parts], ...s.classes.map((c, ci) => [c, ...s.counts.map((p) => String(p[ci]))])];
        rows.push(['total', ...s.counts.map((p) => String(p.reduce((a, b) => a + b, 0)))]);
        process.stdout.write(table(rows, ['l', 'r', 'r', 'r']) + `\nwrote ${s.out}\n`);
      }
    });
}
