// Per-chip fit check (TARGETS.md "Checker rules"):
// - flash: const weights + ~0.45 MB firmware baseline + generated code vs the app partition (1 MB default,
//   a custom partitions.csv lifts it up to the flash size), and rodata vs the constant-data window;
// - RAM: the static arena + a stack estimate vs internal DRAM, and the arena (ONE static buffer) vs the chip's
//   static-buffer cap (160 KB on ESP32);
// - speed: a warning for each layer whose weights exceed the flash data cache.

import { diag, type Diagnostic } from '../diagnostics.js';
import { CHIPS, chip, type ChipBudget } from './chips.js';

export const FIRMWARE_BASELINE = Math.round(0.45 * 1024 * 1024);
export const STACK_ESTIMATE = 4 * 1024;

export interface FitInput {
  weightBytes: number;
  /** Estimated generated code bytes (kernels + model). */
  codeBytes: number;
  arenaBytes: number;
  /** Per layer weight bytes, for the data-cache warning. */
  layers: { name: string; weightBytes: number }[];
  /** Flash size available for a custom partition table (default: the chip's typical flash). */
  flashBytes?: number;
}

export interface ChipFit {
  chip: string;
  fits: boolean;
  flash: { need: number; appPartition: number; needsCustomPartition: boolean; partitionSize: number; flashSize: number };
  ram: { arena: number; stack: number; dram: number; maxStaticBuffer: number; largestFreeBlock?: number };
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

export function checkChip(c: ChipBudget, f: FitInput): ChipFit {
  const problems: string[] = [];
  const warnings: string[] = [];
  const need = FIRMWARE_BASELINE + f.weightBytes + f.codeBytes;
  const flashSize = f.flashBytes ?? flashBytesOf(c);
  const custom = partitionFor(need, c.appPartition);
  // a factory partition starts at 0x10000 and must leave room for the bootloader/partition table
  const maxPartition = flashSize - 64 * KB;
  const partitionSize = custom ?? c.appPartition;
  if (custom !== undefined && custom > maxPartition)
    problems.push(
      `flash: firmware (~${kb(FIRMWARE_BASELINE)}) + weights (${kb(f.weightBytes)}) + code (${kb(f.codeBytes)}) = ${kb(need)} exceeds the ${c.flashSize} flash of a typical ${c.name} module; use a smaller model, int8 instead of int16, pruning, or a module with more flash`,
    );
  if (f.weightBytes > c.rodataWindow)
    problems.push(`flash: weights (${kb(f.weightBytes)}) exceed the ${c.name} constant-data window (${kb(c.rodataWindow)}); use a smaller model`);
  const ramNeed = f.arenaBytes + STACK_ESTIMATE;
  if (ramNeed > c.internalDram)
    problems.push(
      `RAM: arena (${kb(f.arenaBytes)}) + stack (${kb(STACK_ESTIMATE)}) exceeds the ${c.name} internal DRAM (${kb(c.internalDram)}); use a smaller input, stride/pool earlier, int8 instead of int16${c.psram !== 'none' ? ', or PSRAM' : ''}`,
    );
  if (f.arenaBytes > c.maxStaticBuffer)
    problems.push(
      `RAM: the arena is one static buffer of ${kb(f.arenaBytes)}, above the ${c.name} static DRAM cap of ${kb(c.maxStaticBuffer)}; use a smaller input or fewer channels in the first layers, int8 instead of int16, or a chip with more contiguous RAM (e.g. esp32s3)`,
    );
  for (const l of f.layers)
    if (l.weightBytes > c.dataCache)
      warnings.push(`layer '${l.name}' reads ${kb(l.weightBytes)} of weights, more than the ${kb(c.dataCache)} flash data cache: expect cache-miss slowdowns`);
  return {
    chip: c.id,
    fits: problems.length === 0,
    flash: { need, appPartition: c.appPartition, needsCustomPartition: custom !== undefined, partitionSize, flashSize },
    ram: { arena: f.arenaBytes, stack: STACK_ESTIMATE, dram: c.internalDram, maxStaticBuffer: c.maxStaticBuffer, largestFreeBlock: c.largestFreeBlock },
    problems,
    warnings,
  };
}

export function checkAllChips(f: FitInput): ChipFit[] {
  return CHIPS.map((c) => checkChip(c, f));
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
  const ok = checkAllChips(f).filter((x) => x.fits && x.chip !== except).map((x) => x.chip);
  return ok.length ? `it fits: ${ok.join(', ')}` : undefined;
}
