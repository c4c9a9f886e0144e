// Module presets (--module NAME): the chip, its flash and its PSRAM as sold on common Espressif modules.
// Sources: Espressif module datasheets as summarised in ../shared/docs/TARGETS.md (typical flash, PSRAM per chip):
// ESP32-WROOM-32 (4 MB flash, no PSRAM), ESP32-WROVER (4 MB flash + 4 MB quad PSRAM, 4 MB mapped),
// ESP32-S3-WROOM-1 N8R8 / N16R8 (8 / 16 MB flash, 8 MB octal PSRAM), ESP32-C3 (4 MB flash in package, no PSRAM),
// ESP32-C6 (4 or 8 MB flash, no PSRAM), ESP32-P4NRW16 / NRW32 (16 / 32 MB PSRAM in package; 16 MB flash on the
// EV board).

import { didYouMean, fail } from '../diagnostics.js';

export interface ModulePreset {
  name: string;
  chip: string;
  flashBytes: number;
  psramBytes: number;
  /** PSRAM interface: sdkconfig needs the mode for octal PSRAM. */
  psramMode?: 'quad' | 'octal' | 'hex';
  description: string;
}

const MB = 1024 * 1024;

export const MODULES: readonly ModulePreset[] = [
  { name: 'esp32-wroom-32', chip: 'esp32', flashBytes: 4 * MB, psramBytes: 0, description: 'ESP32-WROOM-32: 4 MB flash, no PSRAM' },
  { name: 'esp32-wrover', chip: 'esp32', flashBytes: 4 * MB, psramBytes: 4 * MB, psramMode: 'quad', description: 'ESP32-WROVER: 4 MB flash, 4 MB quad PSRAM' },
  { name: 'esp32-s3-wroom-1-n8r8', chip: 'esp32s3', flashBytes: 8 * MB, psramBytes: 8 * MB, psramMode: 'octal', description: 'ESP32-S3-WROOM-1 N8R8: 8 MB flash, 8 MB octal PSRAM' },
  { name: 'esp32-s3-wroom-1-n16r8', chip: 'esp32s3', flashBytes: 16 * MB, psramBytes: 8 * MB, psramMode: 'octal', description: 'ESP32-S3-WROOM-1 N16R8: 16 MB flash, 8 MB octal PSRAM' },
  { name: 'esp32-c3-4mb', chip: 'esp32c3', flashBytes: 4 * MB, psramBytes: 0, description: 'ESP32-C3 (FH4 / MINI-1): 4 MB flash, no PSRAM' },
  { name: 'esp32-c6-4mb', chip: 'esp32c6', flashBytes: 4 * MB, psramBytes: 0, description: 'ESP32-C6 (WROOM-1 N4): 4 MB flash, no PSRAM' },
  { name: 'esp32-c6-8mb', chip: 'esp32c6', flashBytes: 8 * MB, psramBytes: 0, description: 'ESP32-C6 (WROOM-1 N8): 8 MB flash, no PSRAM' },
  { name: 'esp32-p4-nrw16', chip: 'esp32p4', flashBytes: 16 * MB, psramBytes: 16 * MB, psramMode: 'hex', description: 'ESP32-P4NRW16: 16 MB PSRAM in package, 16 MB flash' },
  { name: 'esp32-p4-nrw32', chip: 'esp32p4', flashBytes: 16 * MB, psramBytes: 32 * MB, psramMode: 'hex', description: 'ESP32-P4NRW32: 32 MB PSRAM in package, 16 MB flash' },
];

export function modulePreset(name: string): ModulePreset {
  const n = name.toLowerCase().replace(/_/g, '-');
  const m = MODULES.find((x) => x.name === n);
  if (!m) {
    const near = didYouMean(name, MODULES.map((x) => x.name));
    fail('EF0006', `unknown module preset '${name}'`, {
      suggestion: `${near ? `did you mean '${near}'? ` : ''}known presets: ${MODULES.map((x) => x.name).join(', ')}`,
    });
  }
  return m;
}

/** Presets of a chip that have PSRAM, smallest first. */
export function psramModules(chipId: string): ModulePreset[] {
  return MODULES.filter((m) => m.chip === chipId && m.psramBytes > 0).sort((a, b) => a.psramBytes - b.psramBytes || a.flashBytes - b.flashBytes);
}

/** Presets of a chip with at least `bytes` of flash, smallest first. */
export function flashModules(chipId: string, bytes: number): ModulePreset[] {
  return MODULES.filter((m) => m.chip === chipId && m.flashBytes >= bytes).sort((a, b) => a.flashBytes - b.flashBytes);
}

/** "8MB", "8M", "512KB", "4194304" → bytes; undefined for anything else. */
export function parseSize(s: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(b|k|kb|kib|m|mb|mib)?\s*$/i.exec(s);
  if (!m) return undefined;
  const v = Number(m[1]);
  const u = (m[2] ?? 'b').toLowerCase();
  const mul = u.startsWith('k') ? 1024 : u.startsWith('m') ? MB : 1;
  const n = Math.round(v * mul);
  return Number.isFinite(n) ? n : undefined;
}

/** Flash sizes ESP-IDF's CONFIG_ESPTOOLPY_FLASHSIZE_* offers. */
export const FLASH_SIZES_MB = [1, 2, 4, 8, 16, 32, 64, 128];

export const fmtMB = (n: number) => (n % MB === 0 ? `${n / MB}MB` : `${(n / 1024).toFixed(0)}KB`);
