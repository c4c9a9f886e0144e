// espforge demo [--out DIR] [--epochs N] [--seed N] [--target CHIP] [--force] [--json]
import type { Command } from 'commander';
import { attemptAsync, renderDiagnostic } from '../../diagnostics.js';
import { DEMO_EPOCHS, runDemo, type DemoResult } from '../../train/demo.js';
import { printJson, report, table } from '../common.js';
import { progressRenderer } from './train.js';

const pct = (v: number | undefined) => (v === undefined ? '-' : (v * 100).toFixed(2) + '%');

function render(r: DemoResult): string {
  const rows = [
    ['model', `small CNN, ${r.parameters} parameters, ${(r.sparsity * 100).toFixed(1)}% of weights pruned`],
    ['data', `builtin:mnist, ${r.trainSamples} train / ${r.testSamples} test digits`],
    ['training', `${r.secondsPerEpoch.toFixed(1)} s per epoch`],
    ['accuracy float', pct(r.floatAccuracy)],
    ['accuracy int8', pct(r.int8Accuracy)],
    ['float/int8 agreement', pct(r.agreement)],
    ['arena', r.arenaBytes === undefined ? '-' : `${r.arenaBytes} B`],
    ['flash (weights + code est.)', r.flashBytes === undefined ? '-' : `${r.flashBytes} B`],
    ['host verification', r.verified === undefined ? '-' : r.verified ? 'PASS (generated C = simulator, byte for byte)' : 'FAIL'],
    ['embedded test digits', r.sampleLabels ? `${r.sampleLabels.length}, labels ${r.sampleLabels.join(' ')}` : '-'],
    ['board-vs-host (host run)', r.compare ? `${r.compare.identical}/${r.compare.samples} identical to the simulator, accuracy ${pct(r.compare.deviceAccuracy)} (float ${pct(r.compare.floatAccuracy)}), max score error vs float ${r.compare.maxAbsError.toPrecision(3)}` : '-'],
    ['trained model', `${r.modelDir}/model.json`],
    ['ESP-IDF project', r.projectDir ?? '-'],
    ['reports', r.compare ? r.compare.files.map((f) => f.slice(r.outDir.length + 1)).join(', ') : '-'],
    ['total time', `${r.seconds.toFixed(1)} s`],
  ];
  let s = table(rows);
  if (r.verification?.length) s += '\n' + r.verification.map((v) => `  ${v}`).join('\n');
  if (r.stoppedAt) {
    s += `\n\nstopped at: ${r.stoppedAt.stage}\n` + r.stoppedAt.diagnostics.map(renderDiagnostic).join('\n');
    s += `\nnext: the trained model is in ${r.modelDir}; run \`espforge build ${r.modelDir}/model.json --target esp32s3 --calib builtin:mnist --out DIR\` once that stage works.`;
  } else if (r.projectDir)
    s += `\n\nnext: cd ${r.projectDir} && idf.py set-target esp32s3 && idf.py build flash monitor | tee serial.txt` +
      `\n      espforge compare ${r.projectDir} --log serial.txt   (the board's own board-vs-host report)`;
  return s;
}

export function register(program: Command, setExit: (c: number) => void): void {
  program
    .command('demo')
    .description('train a small CNN on the mnist package digits, prune, quantize int8, verify the C on the host, write an ESP-IDF project')
    .option('--out <dir>', 'output folder', 'espforge-demo')
    .option('--epochs <n>', 'training epochs', String(DEMO_EPOCHS))
    .option('--seed <n>', 'seed', '1')
    .option('--target <chip>', 'target chip', 'esp32s3')
    .option('--force', 'write into a folder that holds other files')
    .option('--json', 'machine-readable output')
    .action(async (o: { out: string; epochs: string; seed: string; target: string; force?: boolean; json?: boolean }) => {
      const pr = progressRenderer(o.json);
      const r = await attemptAsync(() =>
        runDemo({
          out: o.out,
          epochs: Math.max(1, Math.floor(Number(o.epochs) || DEMO_EPOCHS)),
          seed: Math.floor(Number(o.seed) || 0),
          target: o.target,
          force: o.force,
          onProgress: pr.onProgress,
          onStage: (s) => !o.json && process.stderr.write(`• ${s}\n`),
        }),
      );
      pr.stop();
      if (!r.ok) {
        setExit(report(r.diagnostics, o.json));
        if (o.json) printJson({ ok: false, diagnostics: r.diagnostics });
        return;
      }
      if (r.value.stoppedAt || r.value.verified === false) setExit(1);
      if (o.json) printJson({ ok: !r.value.stoppedAt, ...r.value });
      else process.stdout.write(render(r.value) + '\n');
    });
}
