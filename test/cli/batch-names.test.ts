// Batch inference and class names through the CLI: `train` on an image folder saves the folder names with the
// model; `run` on a folder / a batched .npy writes one CSV row per sample and shows the names; `eval --per-sample`
// writes a row per test sample; `build --samples` embeds the names in app_main.c.
// Expected values: a batch row equals `run` on that one sample alone (the single-sample path), and the names are
// the folder names the test wrote.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { REPO_ROOT } from '../helpers/shared.js';
import { rng as makeRng } from '../helpers/rng.js';
import { writeNpy } from '../../src/io/npy.js';

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'espforge.js'), ...args], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 180_000 });
  assert.doesNotMatch(r.stderr, /\n\s+at .*\(.*:\d+:\d+\)/, `stack trace on stderr:\n${r.stderr}`);
  return r;
}

/** Parse a simple CSV (quoted cells allowed). */
function csv(text: string): string[][] {
  return text.trim().split('\n').map((l) => {
    const out: string[] = [];
    let cur = '';
    let q = false;
    for (let i = 0; i < l.length; i++) {
      const ch = l[i];
      if (q) {
        if (ch === '"' && l[i + 1] === '"') (cur += '"'), i++;
        else if (ch === '"') q = false;
        else cur += ch;
      } else if (ch === '"') q = true;
      else if (ch === ',') out.push(cur), (cur = '');
      else cur += ch;
    }
    out.push(cur);
    return out;
  });
}

const DARK = 'dark "night"??=';

test('train saves folder names; run batches (folder, .npy) to CSV with names; eval --per-sample; build embeds names', async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'ef-batch-'));
  try {
    // an image folder with two named classes: dark and bright 8x8 noise
    const rng = makeRng(5);
    const data = join(tmp, 'imgs');
    for (const [cls, lo] of [['dark "night"??=', 0], ['bright, day', 150]] as const) {
      mkdirSync(join(data, cls), { recursive: true });
      for (let i = 0; i < 30; i++) {
        const px = Buffer.from(Array.from({ length: 64 }, () => lo + Math.floor(rng() * 100)));
        await sharp(px, { raw: { width: 8, height: 8, channels: 1 } }).png().toFile(join(data, cls, `${i}.png`));
      }
    }
    const model = join(tmp, 'model');
    const tr = cli('train', join(REPO_ROOT, 'examples', '03-single-conv.json'), '--data', data, '--out', model, '--epochs', '8', '--lr', '0.01', '--json');
    assert.equal(tr.status, 0, tr.stderr);
    const meta = JSON.parse(readFileSync(join(model, 'model.json'), 'utf8')).userDefinedMetadata;
    assert.deepEqual(meta.classes, ['bright, day', DARK], 'folder names, sorted');

    // run on a folder: one row per image, label = folder, names shown
    const outCsv = join(tmp, 'run.csv');
    const r = cli('run', join(model, 'model.json'), '--input', join(data), '--csv', outCsv);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /60 sample\(s\)/);
    assert.ok(r.stdout.includes('(bright, day)') || r.stdout.includes(`(${DARK})`), r.stdout);
    const rows = csv(readFileSync(outCsv, 'utf8'));
    assert.deepEqual(rows[0].slice(0, 6), ['index', 'name', 'label', 'predicted', 'predicted_name', 'score']);
    assert.deepEqual(rows[0].slice(6), ['score_bright, day', `score_${DARK}`]);
    assert.equal(rows.length, 61);
    // a batch row equals the single-sample run of the same image
    const one = cli('run', join(model, 'model.json'), '--input', join(data, DARK, '3.png'), '--json');
    assert.equal(one.status, 0, one.stderr);
    const oj = JSON.parse(one.stdout);
    const row = rows.find((x) => x[1] === `${DARK}/3.png`)!;
    assert.equal(row[2], DARK);
    assert.deepEqual(row.slice(6).map(Number), oj.outputs[0].dequantized.map((v: number) => Number(String(v))));
    assert.equal(Number(row[3]), oj.outputs[0].argmax);
    assert.deepEqual(oj.classes, ['bright, day', DARK]);

    // a batched .npy [3,8,8,1] → 3 rows; row k equals the single run of sample k written alone
    const x = new Float32Array(3 * 64).map((_, i) => (i < 64 ? 20 : 200) + (i % 7));
    writeFileSync(join(tmp, 'b.npy'), writeNpy({ dtype: 'float32', shape: [3, 8, 8, 1], data: x }));
    writeFileSync(join(tmp, 's2.npy'), writeNpy({ dtype: 'float32', shape: [1, 8, 8, 1], data: x.slice(128) }));
    const rb = cli('run', join(model, 'model.json'), '--input', join(tmp, 'b.npy'), '--output', join(tmp, 'b.csv'));
    assert.equal(rb.status, 0, rb.stderr);
    const brows = csv(readFileSync(join(tmp, 'b.csv'), 'utf8'));
    assert.equal(brows.length, 4);
    const s2 = JSON.parse(cli('run', join(model, 'model.json'), '--input', join(tmp, 's2.npy'), '--json').stdout);
    assert.deepEqual(brows[3].slice(6).map(Number), s2.outputs[0].dequantized);

    // eval --per-sample: one row per test sample, names in the rows
    const pe = join(tmp, 'per.csv');
    const ev = cli('eval', join(model, 'model.json'), '--data', data, '--per-sample', pe);
    assert.equal(ev.status, 0, ev.stderr);
    const prow = csv(readFileSync(pe, 'utf8'));
    assert.equal(prow[0].join(','), 'index,label,label_name,float_pred,float_name,float_score,quant_pred,quant_name,quant_score,correct');
    assert.equal(prow.length - 1, 12, '20 % of 60 images are the test split');
    for (const p of prow.slice(1)) assert.equal(p[2], ['bright, day', DARK][Number(p[1])]);
    assert.ok(ev.stdout.includes(`classes: 0=bright, day, 1=${DARK}`), ev.stdout);

    // build --samples: the app carries the names and prints them
    const proj = join(tmp, 'proj');
    const b = cli('build', join(model, 'model.json'), '--target', 'esp32c3', '--calib', data, '--samples', `${data}:4`, '--out', proj);
    assert.equal(b.status, 0, b.stderr);
    assert.ok(b.stdout.includes(`classes: bright, day, ${DARK}`), b.stdout);
    const app = readFileSync(join(proj, 'main', 'app_main.c'), 'utf8');
    assert.ok(app.includes('static const char *const class_names[2] = {\n    "bright, day",\n    "dark \\"night\\"\\?\\?="\n};'), app.slice(0, 3000));
    // the firmware prints the names (the app run on the host stand-in; -std=c99 -Wall -Wextra -Werror, no trigraphs)
    const { hasTool } = await import('../../src/verify/toolchain.js');
    if (hasTool('cmake') && hasTool('gcc')) {
      const { checkIdfProjectOnHost } = await import('../../src/verify/idf-shim.js');
      const run = checkIdfProjectOnHost(proj, { timeoutMs: 120_000 });
      assert.equal(run.ok, true, JSON.stringify(run.diagnostics) + run.buildLog.slice(-1500));
      const labels = JSON.parse(readFileSync(join(proj, 'report.json'), 'utf8')).samples.cases.map((c: { label: number }) => c.label);
      labels.forEach((l: number, k: number) =>
        assert.ok(run.runOutput.includes(`model: sample ${k}: label ${l} (${['bright, day', DARK][l]}), predicted `), run.runOutput));
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
