// A user's own files, through the CLI as a user runs it: regenerating into a project ESP-IDF has built keeps
// build/, sdkconfig, dependencies.lock, managed_components/ and the user's files without --force; --force never
// touches an input, the working folder or anything outside --out; the output folder is checked before any work.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT, sharedPath } from '../helpers/shared.js';

function cli(cwd: string, ...args: string[]) {
  const r = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'espforge.js'), ...args], { cwd, encoding: 'utf8', timeout: 60_000 });
  assert.doesNotMatch(r.stderr ?? '', /\n\s+at .*\(.*:\d+:\d+\)/, `stack trace on stderr:\n${r.stderr}`);
  assert.notEqual(r.signal, 'SIGTERM', 'timed out');
  return r;
}

function setup(t: import('node:test').TestContext) {
  const model = sharedPath(t, 'models', 'tflite', 'tflm-hello-world', 'hello_world_int8.tflite');
  if (!model) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'ef-userdir-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  copyFileSync(model, join(dir, 'm.tflite'));
  return dir;
}

test('regenerating into a built ESP-IDF project keeps build/, sdkconfig, dependencies.lock, managed_components/ and user files', (t) => {
  const dir = setup(t);
  if (!dir) return;
  assert.equal(cli(dir, 'build', 'm.tflite', '--target', 'esp32', '--out', 'proj').status, 0);
  // what `idf.py build` and the user leave behind
  const user: Record<string, string> = {
    'build/bootloader/bootloader.bin': 'bin',
    'build/CMakeCache.txt': 'cache',
    sdkconfig: 'CONFIG_MY_SETTING=y\n',
    'dependencies.lock': 'lock',
    'managed_components/espressif__esp-nn/idf_component.yml': 'x',
    'main/my_code.c': 'int mine;\n',
    'NOTES.md': 'my notes',
  };
  for (const [rel, text] of Object.entries(user)) {
    mkdirSync(join(dir, 'proj', rel, '..'), { recursive: true });
    writeFileSync(join(dir, 'proj', rel), text);
  }
  symlinkSync('/', join(dir, 'proj', 'build', 'root-link')); // never followed
  const again = cli(dir, 'build', 'm.tflite', '--target', 'esp32s3', '--out', 'proj');
  assert.equal(again.status, 0, again.stderr);
  for (const [rel, text] of Object.entries(user)) assert.equal(readFileSync(join(dir, 'proj', rel), 'utf8'), text, rel);
  assert.match(readFileSync(join(dir, 'proj', 'sdkconfig.defaults'), 'utf8'), /CONFIG_IDF_TARGET="esp32s3"/, 'espforge files were updated');
  // a new --name: the old component (unchanged, ours) goes, the new one comes, user files stay
  assert.equal(cli(dir, 'build', 'm.tflite', '--target', 'esp32', '--out', 'proj', '--name', 'other').status, 0);
  assert.ok(existsSync(join(dir, 'proj', 'components', 'other', 'other.c')));
  assert.ok(!existsSync(join(dir, 'proj', 'components', 'm')), 'stale component removed');
  for (const [rel, text] of Object.entries(user)) assert.equal(readFileSync(join(dir, 'proj', rel), 'utf8'), text, rel);
});

test('an edited espforge file needs --force; --force overwrites it and still keeps every other file', (t) => {
  const dir = setup(t);
  if (!dir) return;
  assert.equal(cli(dir, 'build', 'm.tflite', '--target', 'esp32', '--out', 'proj').status, 0);
  const app = join(dir, 'proj', 'main', 'app_main.c');
  writeFileSync(app, readFileSync(app, 'utf8') + '/* my change */\n');
  writeFileSync(join(dir, 'proj', 'sdkconfig'), 'CONFIG_X=y\n');
  const r = cli(dir, 'build', 'm.tflite', '--target', 'esp32', '--out', 'proj', '--json');
  assert.equal(r.status, 1);
  const j = JSON.parse(r.stdout);
  assert.equal(j.diagnostics[0].code, 'EF0005');
  assert.match(j.diagnostics[0].message, /main\/app_main\.c/);
  assert.match(readFileSync(app, 'utf8'), /my change/);
  assert.equal(cli(dir, 'build', 'm.tflite', '--target', 'esp32', '--out', 'proj', '--force').status, 0);
  assert.doesNotMatch(readFileSync(app, 'utf8'), /my change/);
  assert.equal(readFileSync(join(dir, 'proj', 'sdkconfig'), 'utf8'), 'CONFIG_X=y\n');
});

test('--force never removes an input, the working folder or a parent of it, and never writes through a link out of --out', (t) => {
  const dir = setup(t);
  if (!dir) return;
  const model = readFileSync(join(dir, 'm.tflite'));
  const self = cli(dir, 'build', 'm.tflite', '--target', 'esp32', '--out', 'm.tflite', '--force');
  assert.equal(self.status, 1);
  assert.match(self.stderr, /EF0007/);
  assert.deepEqual(readFileSync(join(dir, 'm.tflite')), model, 'the input model is untouched');
  writeFileSync(join(dir, 'mine.txt'), 'mine');
  for (const out of ['.', '..', dir]) {
    const r = cli(dir, 'build', 'm.tflite', '--target', 'esp32', '--out', out, '--force');
    assert.equal(r.status, 1, out);
    assert.match(r.stderr, /EF0007/, out);
  }
  assert.ok(!existsSync(join(dir, 'CMakeLists.txt')));
  assert.equal(readFileSync(join(dir, 'mine.txt'), 'utf8'), 'mine');
  // an input inside --out at a path espforge writes: refused even with --force
  mkdirSync(join(dir, 'p2'));
  copyFileSync(join(dir, 'm.tflite'), join(dir, 'p2', 'report.json'));
  const inside = cli(dir, 'build', join('p2', 'report.json'), '--target', 'esp32', '--out', 'p2', '--force');
  assert.equal(inside.status, 1);
  assert.match(inside.stderr, /EF0007/);
  assert.deepEqual(readFileSync(join(dir, 'p2', 'report.json')), model);
  // a folder inside --out that is a symbolic link elsewhere: refused, nothing written there
  const elsewhere = join(dir, 'elsewhere');
  mkdirSync(elsewhere);
  mkdirSync(join(dir, 'p3'));
  symlinkSync(elsewhere, join(dir, 'p3', 'main'));
  const link = cli(dir, 'build', 'm.tflite', '--target', 'esp32', '--out', 'p3', '--force');
  assert.equal(link.status, 1);
  assert.match(link.stderr, /EF0007/);
  assert.ok(!existsSync(join(elsewhere, 'app_main.c')));
});

test('the output folder is checked before the model is read; --out under /proc fails fast with a coded error', (t) => {
  const dir = setup(t);
  if (!dir) return;
  mkdirSync(join(dir, 'taken'));
  writeFileSync(join(dir, 'taken', 'thesis.tex'), 'years of work');
  writeFileSync(join(dir, 'garbage.tflite'), 'TFL3 not really a model');
  const r = cli(dir, 'build', 'garbage.tflite', '--target', 'esp32', '--out', 'taken');
  assert.equal(r.status, 1);
  assert.match(r.stderr, /EF0005/, 'the folder conflict is reported, not the (later) model error');
  const t0 = Date.now();
  const p = cli(dir, 'build', 'm.tflite', '--target', 'esp32', '--out', '/proc/espforge-x/y');
  assert.equal(p.status, 1);
  assert.match(p.stderr, /EF000[17]/);
  assert.ok(Date.now() - t0 < 30_000);
});
