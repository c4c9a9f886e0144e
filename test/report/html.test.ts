// report.html in a real browser: `eval --report DIR` and `build` write pages of SVG charts; headless Chromium
// (Debian `chromium`) loads each one and the page's own check (every chart has a laid-out size) must report all
// charts rendered, with no console error. The chart data is checked against the eval's own JSON (confusion counts
// add up to the evaluated samples) and the PNG copies against the PNG signature.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT, sharedPath } from '../helpers/shared.js';

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'espforge.js'), ...args], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 180_000 });
  assert.doesNotMatch(r.stderr, /\n\s+at .*\(.*:\d+:\d+\)/, `stack trace on stderr:\n${r.stderr}`);
  return r;
}

function chromium(t: TestContext): string | undefined {
  for (const c of ['chromium', 'chromium-browser', 'google-chrome']) {
    const r = spawnSync(c, ['--version'], { encoding: 'utf8' });
    if (r.status === 0) return c;
  }
  if (process.env.CI === 'true') throw new Error('chromium missing under CI');
  t.skip('chromium not installed');
  return undefined;
}

/** Load a page in headless Chromium; returns the DOM after load and the browser's log. */
function render(browser: string, file: string, profile: string): { dom: string; log: string } {
  const r = spawnSync(browser, ['--headless', '--no-sandbox', '--disable-gpu', `--user-data-dir=${profile}`, '--enable-logging=stderr', '--v=0',
    '--virtual-time-budget=5000', '--dump-dom', pathToFileURL(file).href], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, r.stderr.slice(-2000));
  return { dom: r.stdout, log: r.stderr };
}

const consoleErrors = (log: string) => log.split('\n').filter((l) => /CONSOLE|Uncaught/.test(l) && /error|Uncaught/i.test(l));

test('eval --report and build report.html render in headless Chromium without errors', async (t) => {
  const browser = chromium(t);
  if (!browser) return;
  const onnx = sharedPath(t, 'models', 'onnx', 'mnist-8', 'model.onnx');
  const tfl = sharedPath(t, 'models', 'tflite', 'tinymaix', 'mnist_valid_q.tflite');
  if (!onnx || !tfl) return;
  const tmp = mkdtempSync(join(tmpdir(), 'ef-html-'));
  try {
    const dir = join(tmp, 'eval');
    const e = cli('eval', onnx, '--data', 'builtin:mnist', '--input-scale', '255', '--quantized', '--limit', '200', '--calib-count', '100', '--report-count', '10', '--report', dir);
    assert.equal(e.status, 0, e.stderr);
    const rep = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8'));
    const conf: number[][] = rep.accuracy.confusion;
    assert.equal(conf.flat().reduce((a, b) => a + b, 0), 200, 'confusion counts add up to the samples');
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    assert.match(html, /data-charts="3"/);
    for (const id of ['confusion', 'per-class-accuracy', 'layer-error']) assert.match(html, new RegExp(`<section class="chart" id="${id}">`));
    assert.deepEqual(readdirSync(join(dir, 'charts')).sort(), ['confusion.png', 'layer-error.png', 'per-class-accuracy.png']);
    for (const f of readdirSync(join(dir, 'charts'))) assert.deepEqual([...readFileSync(join(dir, 'charts', f)).subarray(0, 8)], [137, 80, 78, 71, 13, 10, 26, 10]);
    const r1 = render(browser, join(dir, 'report.html'), join(tmp, 'p1'));
    assert.match(r1.dom, /data-rendered="3"/, 'all 3 charts laid out with a size');
    assert.deepEqual(consoleErrors(r1.log), []);

    const proj = join(tmp, 'proj');
    const b = cli('build', tfl, '--target', 'esp32', '--out', proj);
    assert.equal(b.status, 0, b.stderr);
    const bh = readFileSync(join(proj, 'report.html'), 'utf8');
    assert.match(bh, /data-charts="2"/);
    assert.match(bh, /Memory plan: tensors in the \d+-byte arena/);
    const r2 = render(browser, join(proj, 'report.html'), join(tmp, 'p2'));
    assert.match(r2.dom, /data-rendered="2"/);
    assert.deepEqual(consoleErrors(r2.log), []);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
