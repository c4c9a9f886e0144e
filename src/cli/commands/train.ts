// espforge train SPEC --data DATA [--epochs N] [--batch N] [--lr X] [--val F] [--prune I,F] [--structured R]
//                [--fine-tune F] [--class-weights balanced|w1,w2,..] [--patience N] [--limit N] [--seed N] --out DIR
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import { attemptAsync, fail } from '../../diagnostics.js';
import { trainFromSpec } from '../../pipeline/train.js';
import type { Progress } from '../../train/train.js';
import { printJson, reportFailure, table } from '../common.js';

/** A progress renderer for training: a bar on a terminal, one line per epoch otherwise. */
export function progressRenderer(json = false): { onProgress: (p: Progress) => void; stop: () => void } {
  if (json) return { onProgress: () => {}, stop: () => {} };
  const tty = Boolean(process.stderr.isTTY);
  let bar: cliProgress.SingleBar | undefined;
  let lastEpoch = 0;
  const fmt = (p: Progress) => ({ epoch: `${p.epoch}/${p.epochs}`, loss: p.loss.toFixed(4), acc: (p.accuracy * 100).toFixed(1) + '%', eta: Math.round(p.etaMs / 1000) + 's' });
  return {
    onProgress: (p) => {
      if (p.phase === 'batch' && tty) {
        if (p.epoch !== lastEpoch) {
          bar?.stop();
          bar = new cliProgress.SingleBar(
            { format: 'epoch {epoch} |{bar}| {value}/{total} loss {loss} acc {acc} ETA {eta}', stream: process.stderr, hideCursor: true, clearOnComplete: false },
            cliProgress.Presets.shades_classic,
          );
          bar.start(p.batches, 0, fmt(p));
          lastEpoch = p.epoch;
        }
        bar!.update(p.batch, fmt(p));
      } else if (p.phase === 'epoch') {
        bar?.stop();
        bar = undefined;
        lastEpoch = 0;
        const val = p.valLoss !== undefined ? `  val_loss ${p.valLoss.toFixed(4)}  val_acc ${((p.valAccuracy ?? 0) * 100).toFixed(1)}%` : '';
        const sp = p.sparsity !== undefined ? `  sparsity ${(p.sparsity * 100).toFixed(1)}%` : '';
        process.stderr.write(`epoch ${p.epoch}/${p.epochs}  loss ${p.loss.toFixed(4)}  acc ${(p.accuracy * 100).toFixed(1)}%${val}${sp}  (${(p.elapsedMs / 1000).toFixed(1)} s)\n`);
      }
    },
    stop: () => bar?.stop(),
  };
}

const num = (name: string, v: string | undefined, lo: number, hi: number, int = false): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < lo || n > hi || (int && !Number.isInteger(n))) fail('EF0006', `--${name} must be ${int ? 'an integer' : 'a number'} in [${lo}, ${hi}], got '${v}'`);
  return n;
};

interface Opts {
  data: string;
  out: string;
  epochs?: string;
  batch?: string;
  lr?: string;
  val?: string;
  prune?: string;
  structured?: string;
  fineTune?: string;
  classWeights?: string;
  patience?: string;
  limit?: string;
  seed?: string;
  force?: boolean;
  json?: boolean;
}

export function register(program: Command, setExit: (c: number) => void): void {
  program
    .command('train')
    .description('train (or fine-tune) a model from a JSON layer spec on a dataset, optionally pruning it')
    .argument('<spec>', 'model spec (.json): input shape, layers, optional MobileNetV2 base')
    .requiredOption('--data <data>', 'builtin:mnist, .npz/.npy, an IDX folder or an image folder')
    .requiredOption('--out <dir>', 'output folder for the TF.js layers model (model.json + weights.bin)')
    .option('--epochs <n>', 'epochs (default: spec, else 5)')
    .option('--batch <n>', 'batch size (default 32)')
    .option('--lr <x>', 'Adam learning rate (default 0.001)')
    .option('--val <f>', 'validation fraction held out from the training data (default 0.1)')
    .option('--prune <i,f>', 'magnitude pruning from initial to final sparsity, polynomial decay, e.g. 0.5,0.8')
    .option('--structured <r>', 'after training, remove this fraction of conv channels (L1) and fine-tune one epoch')
    .option('--fine-tune <f>', 'with a base model: fraction of base layers (from the top) that train')
    .option('--class-weights <w>', "'balanced' or comma-separated weights per class")
    .option('--patience <n>', 'early stopping: epochs without validation improvement')
    .option('--limit <n>', 'use at most N training samples')
    .option('--seed <n>', 'seed for weights, shuffling and splits (default 0)')
    .option('--force', 'overwrite an output folder that holds other files')
    .option('--json', 'machine-readable output')
    .action(async (specFile: string, o: Opts) => {
      const r = await attemptAsync(() => trainCommand(specFile, o), { file: specFile });
      if (reportFailure(r, o.json, setExit)) return;
      if (o.json) printJson(r.value);
    });
}

async function trainCommand(specFile: string, o: Opts) {
  if (!existsSync(specFile)) fail('EF0001', 'no such file', { file: specFile });
  let prune: [number, number] | undefined;
  if (o.prune !== undefined) {
    const p = o.prune.split(',').map(Number);
    if (p.length !== 2 || p.some((x) => !Number.isFinite(x))) fail('EF0006', `--prune takes initial,final sparsity, e.g. 0.5,0.8; got '${o.prune}'`);
    prune = [p[0], p[1]];
  }
  const pr = progressRenderer(o.json);
  try {
    const summary = await trainFromSpec(specFile, {
      data: o.data,
      out: o.out,
      fineTune: num('fine-tune', o.fineTune, 0, 1),
      epochs: num('epochs', o.epochs, 1, 10000, true),
      batchSize: num('batch', o.batch, 1, 65536, true),
      learningRate: num('lr', o.lr, 0, 10),
      validationSplit: num('val', o.val, 0, 0.9),
      seed: num('seed', o.seed, 0, 2 ** 31, true),
      structured: num('structured', o.structured, 0, 0.95),
      prune,
      classWeights: o.classWeights ? (o.classWeights === 'balanced' ? 'balanced' : o.classWeights.split(',').map(Number)) : undefined,
      patience: num('patience', o.patience, 1, 1000, true),
      limit: num('limit', o.limit, 1, 1e9, true),
      force: o.force,
      onProgress: pr.onProgress,
      onLog: (s) => !o.json && process.stderr.write(s + '\n'),
    });
    pr.stop();
    const last = { sparsity: summary.sparsity };
    const test = summary.testSamples > 0;
    const stageLog = summary.stages ?? [];
    if (!o.json) {
      const rows = [
        ['parameters', String(summary.parameters)],
        ['MACs', String(summary.macs)],
        ['seconds / epoch', summary.secondsPerEpoch.toFixed(1)],
        ['train accuracy', pct(summary.trainAccuracy)],
        ['validation accuracy', pct(summary.valAccuracy)],
        ['test accuracy', test ? `${pct(summary.testAccuracy)} (${summary.testSamples} samples)` : 'no test split'],
      ];
      rows.push(['validation on', summary.validation]);
      for (const st of stageLog.length > 1 ? stageLog : [])
        rows.push([st.name, `${st.epochs} epoch(s)${st.stoppedEarly ? ' (early stop)' : ''}, lr ${st.learningRate}, ${st.optimizer}` +
          (st.fineTune !== undefined ? `, fine-tune ${Math.round(st.fineTune * 100)}%` : '') + (st.prune ? `, prune ${st.prune[0]}→${st.prune[1]}` : '')]);
      if (last.sparsity) for (const l of last.sparsity) rows.push([`sparsity ${l.layer}`, pct(l.sparsity)]);
      process.stdout.write(table(rows, ['l', 'r']) + `\nwrote ${summary.out}/model.json + weights.bin\n`);
    }
    return summary;
  } finally {
    pr.stop();
  }
}

const pct = (v: number | undefined) => (v === undefined || Number.isNaN(v) ? '-' : (v * 100).toFixed(2) + '%');
