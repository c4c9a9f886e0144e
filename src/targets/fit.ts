// Per-chip fit check (TARGETS.md "Checker rules"):
// - flash: the chip's firmware baseline (src/targets/firmware.ts: measured on esp32c3, estimated elsewhere) +
//   const weights + parameter tables + generated code + embedded sample vs the app partition (1 MB default,
//   a custom partitions.csv lifts it up to the flash size), and rodata vs the constant-data window;
// - RAM: the static arena + a stack estimate vs internal DRAM, and the arena (ONE contiguous buffer) vs the
//   chip's largest contiguous internal block (ESP32: the ~113 KB largest free block at boot, below the 160 KB
//   static DRAM cap). When it does not fit internal RAM and the module has PSRAM (--psram / --module), the
//   arena is placed in PSRAM (EXT_RAM_BSS_ATTR); otherwise the model is refused with the budget and the exact
//   flags or presets that would make it fit. The arena is never split across DRAM segments: that would need a
//   heap allocation at run time, and the generated library allocates nothing;
// - speed: a warning for each layer whose weights exceed the flash data cache.

import { diag, type Diagnostic } from '../diagnostics.js';
import { CHIPS, chip, type ChipBudget } from './chips.js';
import { FLASH_SIZES_MB, flashModules, fmtMB, psramModules } from './modules.js';
import { firmwareBaseline } from './firmware.js';

export const STACK_ESTIMATE = 4 * 1024;

export interface FitInput {
  weightBytes: number;
  /** Generated code bytes (kernels + model), measured or estimated. */
  codeBytes: number;
  /** Other flash bytes the model adds: parameter tables, the embedded sample, the ESP-NN library. */
  extraFlashBytes?: number;
  arenaBytes: number;
  /** Per layer weight bytes, for the data-cache warning. */
  layers: { name: string; weightBytes: number }[];
  /** Flash size available for a custom partition table (default: the chip's typical flash). */
  flashBytes?: number;
  /** PSRAM on the module (--psram / --module); 0 or undefined: none. */
  psramBytes?: number;
  /** Does the model keep any activation in int16 (so that int8 activations would halve the arena)? */
  int16Activations?: boolean;
  /** Suggest structured pruning for a flash overflow (default yes: it removes stored weights). */
  prunable?: boolean;
}

export type ArenaPlacement = 'internal' | 'psram';

export interface ChipFit {
  chip: string;
  fits: boolean;
  flash: { need: number; appPartition: number; needsCustomPartition: boolean; partitionSize: number; flashSize: number };
  ram: { arena: number; stack: number; dram: number; maxStaticBuffer: number; largestFreeBlock?: number; internalBlock: number; psram: number };
  /** Where the arena goes: one static buffer in internal RAM, or in PSRAM (EXT_RAM_BSS_ATTR). */
  arenaPlacement: ArenaPlacement;
  problems: string[];
  warnings: string[];
}

const KB = 1024;
const flashBytesOf = (c: ChipBudget) => parseInt(c.flashSize, 10) * 1024 * 1024;
const kb = (n: number) => `${(n / KB).toFixed(1)} KB`;

/** Factory partition size (64 KB multiple) that holds `need` with 10% headroom, or undefined if 1 MB is enough. */
export function partitionFor(need: number, def = 1024 * 1024): number | undefined {
  if (need <= def) return undefined;
  const want = Math.ceil((need * 1.1) / (64 * KB)) * 64 * KB;
  return want;
}

/** The largest single static buffer internal RAM offers: the static cap, and on ESP32 the largest free block. */
export function internalBlock(c: ChipBudget): number {
  return Math.min(c.maxStaticBuffer, c.largestFreeBlock ?? Infinity, c.internalDram - STACK_ESTIMATE);
}

/** PSRAM a chip has without any module figure: the P4's in-package PSRAM (16 MB on ESP32-P4NRW16, the smaller
 * variant); 0 elsewhere (optional PSRAM is only assumed when --psram or --module says so). */
export function stockPsram(c: ChipBudget): number {
  return c.psram === 'in-package' ? 16 * 1024 * 1024 : 0;
}

/** Usable PSRAM of a module on this chip (ESP32 maps at most 4 MB without himem). */
export function usablePsram(c: ChipBudget, bytes: number | undefined): number {
  if (!bytes || c.psram === 'none') return 0;
  return c.id === 'esp32' ? Math.min(bytes, 4 * 1024 * 1024) : bytes;
}

export function checkChip(c: ChipBudget, f: FitInput): ChipFit {
  const problems: string[] = [];
  const warnings: string[] = [];
  const baseline = firmwareBaseline(c.id).bytes;
  const need = baseline + f.weightBytes + f.codeBytes + (f.extraFlashBytes ?? 0);
  const flashSize = f.flashBytes ?? flashBytesOf(c);
  const custom = partitionFor(need, c.appPartition);
  // a factory partition starts at 0x10000 and must leave room for the bootloader/partition table
  const maxPartition = flashSize - 64 * KB;
  const partitionSize = custom ?? c.appPartition;
  if (custom !== undefined && custom > maxPartition) {
    const fixes: string[] = [];
    const wantMB = FLASH_SIZES_MB.find((m) => m * 1024 * 1024 - 64 * KB >= custom);
    const mods = flashModules(c.id, custom + 64 * KB);
    if (wantMB) fixes.push(`a module with ${wantMB} MB flash (--flash-size ${wantMB}MB${mods.length ? ` or --module ${mods[0].name}` : ''})`);
    if (f.prunable !== false) fixes.push('structured pruning that removes whole filters or channels (unstructured zeros are still stored)');
    fixes.push('a smaller model');
    problems.push(
      `flash: firmware (~${kb(baseline)}) + weights (${kb(f.weightBytes)}) + code, tables and sample (${kb(f.codeBytes + (f.extraFlashBytes ?? 0))}) = ${kb(need)} exceeds the ${fmtMB(flashSize)} flash of this ${c.name} module; use ${fixes.join(', or ')}`,
    );
  }
  if (f.weightBytes > c.rodataWindow)
    problems.push(`flash: weights (${kb(f.weightBytes)}) exceed the ${c.name} constant-data window (${kb(c.rodataWindow)}); use a smaller model`);
  const block = internalBlock(c);
  const psram = usablePsram(c, f.psramBytes);
  const internalOk = f.arenaBytes + STACK_ESTIMATE <= c.internalDram && f.arenaBytes <= block;
  let arenaPlacement: ArenaPlacement = 'internal';
  if (!internalOk && psram >= f.arenaBytes) arenaPlacement = 'psram';
  else if (!internalOk) {
    const fixes = ['a smaller input or fewer channels in the first layers (or stride / pooling earlier)'];
    if (f.int16Activations) fixes.push('int8 activations (--scheme int8 or mixed) instead of int16');
    if (c.psram !== 'none') {
      const mods = psramModules(c.id).filter((m) => usablePsram(c, m.psramBytes) >= f.arenaBytes);
      if (psram > 0) fixes.push(`more PSRAM than the ${fmtMB(psram)} given`);
      else if (mods.length) fixes.push(`PSRAM for the arena (--module ${mods[0].name}, or --psram ${fmtMB(mods[0].psramBytes)} for your module)`);
    }
    const where =
      f.arenaBytes + STACK_ESTIMATE > c.internalDram
        ? `arena (${kb(f.arenaBytes)}) + stack (${kb(STACK_ESTIMATE)}) exceeds the ${c.name} internal DRAM (${kb(c.internalDram)})`
        : `the arena is one contiguous buffer of ${kb(f.arenaBytes)}, above the largest contiguous internal block of ${c.name} (${kb(block)}${c.largestFreeBlock ? ', the largest free heap block at boot' : ', its static DRAM cap'})`;
    problems.push(`RAM: ${where}${psram > 0 ? ` and the ${fmtMB(psram)} of PSRAM` : ''}; use ${fixes.join(', or ')}`);
  }
  for (const l of f.layers)
    if (l.weightBytes > c.dataCache)
      warnings.push(`layer '${l.name}' reads ${kb(l.weightBytes)} of weights, more than the ${kb(c.dataCache)} flash data cache: expect cache-miss slowdowns`);
  return {
    chip: c.id,
    fits: problems.length === 0,
    flash: { need, appPartition: c.appPartition, needsCustomPartition: custom !== undefined, partitionSize, flashSize },
    ram: { arena: f.arenaBytes, stack: STACK_ESTIMATE, dram: c.internalDram, maxStaticBuffer: c.maxStaticBuffer, largestFreeBlock: c.largestFreeBlock, internalBlock: block, psram },
    arenaPlacement,
    problems,
    warnings,
  };
}

/** Every chip with its stock module (the --psram / --flash-size / --module figures describe the target's module
 * only), except `target`, which is checked with `f` as given. */
export function checkAllChips(f: FitInput, target?: string): ChipFit[] {
  return CHIPS.map((c) => checkChip(c, c.id === target ? f : { ...f, psramBytes: stockPsram(c), flashBytes: undefined }));
}

/** Diagnostics for one target: EF4001 errors naming the budget, warnings for the data cache. */
export function fitDiagnostics(target: string, f: FitInput): { fit: ChipFit; diagnostics: Diagnostic[] } {
  const c = chip(target);
  const fit = checkChip(c, f);
  const diagnostics: Diagnostic[] = [];
  for (const p of fit.problems)
    diagnostics.push(
      diag('EF4001', `the model does not fit ${c.name}: ${p}`, {
        suggestion: suggestOther(f, c.id),
      }),
    );
  if (fit.warnings.length)
    diagnostics.push(
      diag('EF4007', `${fit.warnings.length} layer(s) read more weights than ${c.name}'s flash data cache: expect cache-miss slowdowns there`, {
        severity: 'warning',
        notes: fit.warnings,
        suggestion: 'fine for correctness; for speed, keep such layers small, or on chips with PSRAM copy weights to RAM',
      }),
    );
  return { fit, diagnostics };
}

function suggestOther(f: FitInput, except: string): string | undefined {
  const ok = checkAllChips(f, except).filter((x) => x.fits && x.chip !== except).map((x) => x.chip);
  return ok.length ? `other chips it fits as they are: ${ok.map((x) => `--target ${x}`).join(', ')}` : undefined;
}
