// The command line: argv → options → library calls → rendering. No model logic lives here.
// Exit codes: 0 success, 1 user error (bad input, does not fit), 2 usage error.

import { Command, CommanderError, Option } from 'commander';
import { diag, renderDiagnostic, toDiagnostics } from '../diagnostics.js';
import { VERSION } from '../version.js';
import { setImportDefaults } from '../import/index.js';
import { DATA_LAYOUTS, setDataLayout, type DataLayout } from '../ir/layout.js';
import { printJson, type CommandModule } from './common.js';

// One module per command (src/cli/commands/NAME.ts); each registers itself on the program. Modules are loaded
// lazily: a run names one command, and loading only that one keeps every invocation's start-up short (the
// others pull in training, code generation, ...). Help, a bare `espforge` or an unknown word loads them all.
// In the order `--help` lists them: the main job first, then the pipeline's stages.
const COMMANDS: Record<string, () => Promise<CommandModule>> = {
  demo: () => import('./commands/demo.js'),
  inspect: () => import('./commands/inspect.js'),
  run: () => import('./commands/run.js'),
  quantize: () => import('./commands/quantize.js'),
  eval: () => import('./commands/eval.js'),
  build: () => import('./commands/build.js'),
  verify: () => import('./commands/verify.js'),
  compare: () => import('./commands/compare.js'),
  train: () => import('./commands/train.js'),
  split: () => import('./commands/split.js'),
  conformance: () => import('./commands/conformance.js'),
  targets: () => import('./commands/targets.js'),
};

/** The command modules this argv needs: the one it names, or every one (help, version, a typo). */
function commandsFor(argv: string[]): string[] {
  const GLOBAL_WITH_VALUE = new Set(['--layout', '--espdl-chip']);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (GLOBAL_WITH_VALUE.has(a)) {
      i++;
      continue;
    }
    if (a.startsWith('-')) continue;
    return a in COMMANDS && !argv.includes('--help') && !argv.includes('-h') ? [a] : Object.keys(COMMANDS);
  }
  return Object.keys(COMMANDS);
}

export async function main(argv: string[]): Promise<number> {
  const json = argv.includes('--json');
  const program = new Command('espforge')
    .description('Neural networks to bit-exact ESP32 firmware')
    .version(VERSION)
    .option('--treat-lambda-as-identity', 'Keras: import Lambda layers as identity (only for inference-time identities such as fake quantisation)')
    .option('--espdl-chip <chip>', 'ESP-DL (.espdl): chip whose arithmetic to simulate (esp32p4, esp32s3, ...; default esp32p4, esp-ppq\'s default target)')
    .addOption(
      new Option('--layout <layout>', 'layout of the data given to run/eval/quantize/build (default: by shape; channels-first NCHW/NCL data is transposed for ONNX models)').choices(
        DATA_LAYOUTS as string[],
      ),
    )
    .hook('preAction', (cmd) => {
      setDataLayout(cmd.opts().layout as DataLayout | undefined);
      if (cmd.opts().treatLambdaAsIdentity) setImportDefaults({ treatLambdaAsIdentity: true });
      if (cmd.opts().espdlChip) setImportDefaults({ espdlChip: cmd.opts().espdlChip });
    })
    .exitOverride()
    // with --json, parser errors (unknown option, missing argument) are reported as JSON on stdout instead
    .configureOutput({ writeErr: (s) => (json ? undefined : process.stderr.write(s)) });
  let exitCode = 0;
  const setExit = (c: number) => {
    exitCode = Math.max(exitCode, c);
  };
  for (const c of await Promise.all(commandsFor(argv).map((n) => COMMANDS[n]()))) c.register(program, setExit);
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
      if (json) printJson({ ok: false, diagnostics: [diag('EF0006', e.message.replace(/^error: /, ''), { suggestion: 'see espforge --help' })] });
      return 2;
    }
    const diags = toDiagnostics(e);
    if (json) printJson({ ok: false, diagnostics: diags });
    else for (const d of diags) process.stderr.write(renderDiagnostic(d) + '\n');
    return diags.some((d) => d.code === 'EF0006') ? 2 : 1;
  }
  return exitCode;
}
