// The command line: argv → options → library calls → rendering. No model logic lives here.
// Exit codes: 0 success, 1 user error (bad input, does not fit), 2 usage error.

import { Command, CommanderError, Option } from 'commander';
import { diag, renderDiagnostic, toDiagnostics } from '../diagnostics.js';
import { VERSION } from '../version.js';
import { setImportDefaults } from '../import/index.js';
import { DATA_LAYOUTS, setDataLayout, type DataLayout } from '../ir/layout.js';
import { printJson, type CommandModule } from './common.js';

// One module per command; each registers itself on the program.
import * as inspect from './commands/inspect.js'; // cmd:inspect
import * as run from './commands/run.js'; // cmd:run
import * as conformance from './commands/conformance.js'; // cmd:conformance
import * as quantize from './commands/quantize.js'; // cmd:quantize
import * as evalCmd from './commands/eval.js'; // cmd:eval
import * as targets from './commands/targets.js'; // cmd:targets
import * as build from './commands/build.js'; // cmd:build
import * as verify from './commands/verify.js'; // cmd:verify
import * as train from './commands/train.js'; // cmd:train
import * as split from './commands/split.js'; // cmd:split
import * as demo from './commands/demo.js'; // cmd:demo
import * as compare from './commands/compare.js'; // cmd:compare

// In the order `--help` lists them: the main job first, then the pipeline's stages.
const COMMANDS: CommandModule[] = [
  demo, // cmd:demo
  inspect, // cmd:inspect
  run, // cmd:run
  quantize, // cmd:quantize
  evalCmd, // cmd:eval
  build, // cmd:build
  verify, // cmd:verify
  compare, // cmd:compare
  train, // cmd:train
  split, // cmd:split
  conformance, // cmd:conformance
  targets, // cmd:targets
];

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
  for (const c of COMMANDS) c.register(program, setExit);
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
