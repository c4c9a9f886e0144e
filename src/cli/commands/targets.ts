// espforge targets [--json]: the chips, their budgets and what each emitted format supports.
import type { Command } from 'commander';
import { CHIPS } from '../../targets/chips.js';
import { FIRMWARE_BASELINES } from '../../targets/firmware.js';
import { MODULES } from '../../targets/modules.js';
import { printJson, table } from '../common.js';

const kb = (n: number) => (n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(n % (1024 * 1024) ? 1 : 0)} MB` : `${Math.round(n / 1024)} KB`);

export function register(program: Command): void {
  program
    .command('targets')
    .description('the ESP32-family chips and the budgets the fit check uses')
    .option('--json', 'machine-readable output')
    .action((o: { json?: boolean }) => {
      if (o.json) {
        printJson({ ok: true, chips: CHIPS, modules: MODULES, firmwareBaselines: FIRMWARE_BASELINES, formats: { c: 'all chips (portable C99 kernels)', espdl: 'esp32s3, esp32p4 (ESP-DL v3 .espdl + an ESP-IDF project on espressif/esp-dl)' }, files: { tflite: 'int8 .tflite from `espforge quantize`, and inside `build --zip`' } });
        return;
      }
      const rows = [['chip', 'CPU', 'MHz', 'app partition', 'rodata window', 'internal DRAM', 'largest block', 'data cache', 'PSRAM', 'ESP-NN']];
      for (const c of CHIPS)
        rows.push([c.id, c.cpu, String(c.maxMHz), kb(c.appPartition), kb(c.rodataWindow), kb(c.internalDram), c.largestFreeBlock ? kb(c.largestFreeBlock) : '-', kb(c.dataCache), c.psram, c.espNn]);
      const mods = [['module (--module)', 'chip', 'flash', 'PSRAM']];
      for (const m of MODULES) mods.push([m.name, m.chip, kb(m.flashBytes), m.psramBytes ? `${kb(m.psramBytes)} ${m.psramMode ?? ''}`.trim() : '-']);
      const base = Object.values(FIRMWARE_BASELINES).map((b) => `${b.chip} ${kb(b.bytes)} (${b.measured ? `measured, IDF ${b.idf}` : `estimated ±${Math.round(b.margin * 100)}%`})`);
      process.stdout.write(table(rows) + '\n\n' + table(mods) + `\n\nfirmware baselines (app without the model): ${base.join('; ')}\n` + '\nbuild formats: c (portable C99 kernels, every chip), espdl (ESP-DL v3 .espdl + esp-dl project: esp32s3, esp32p4)\n' +
        'the int8 .tflite (for TensorFlow Lite Micro / esp-tflite-micro) comes from `espforge quantize`, and inside `build --zip`\n');
    });
}
