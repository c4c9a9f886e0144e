// ESP32-family budgets for the fit check (docs: ../shared/docs/TARGETS.md, "ESP32-family memory and clock facts"
// and "Checker rules"). Sizes are bytes. Every number names its source in TARGETS.md; values marked
// "inference" there are used as conservative planning figures.

import { didYouMean, fail } from '../diagnostics.js';

export interface ChipBudget {
  id: string;
  name: string;
  cpu: string;
  maxMHz: number;
  /** Kconfig symbol that selects the maximum CPU frequency in sdkconfig.defaults. */
  cpuFreqOption: string;
  /** Default factory app partition (partitions_singleapp.csv): 1 MB. */
  appPartition: number;
  /** Constant-data (rodata) flash window. */
  rodataWindow: number;
  /** Internal data RAM usable for static buffers and heap (planning figure). */
  internalDram: number;
  /** Largest single static buffer / contiguous block: ESP32's static DRAM segment cap. */
  maxStaticBuffer: number;
  /** Largest contiguous free heap block at boot (ESP32 ≈ 113 KB); undefined where not a binding limit. */
  largestFreeBlock?: number;
  /** Flash data cache (weights read through it when they stay in flash). */
  dataCache: number;
  psram: 'none' | 'optional' | 'in-package';
  /** Typical flash size on modules, used for sdkconfig.defaults. */
  flashSize: string;
  espNn: string;
}

const KB = 1024;
const MB = 1024 * 1024;

export const CHIPS: readonly ChipBudget[] = [
  {
    id: 'esp32',
    name: 'ESP32',
    cpu: '2x Xtensa LX6',
    maxMHz: 240,
    cpuFreqOption: 'CONFIG_ESP_DEFAULT_CPU_FREQ_MHZ_240',
    appPartition: 1 * MB,
    rodataWindow: 4 * MB - 0x20, // drom0_0_seg
    internalDram: 320 * KB,
    maxStaticBuffer: 160 * KB, // static DRAM cap (memory-types.rst; 0x2c200 in memory.ld.in)
    largestFreeBlock: 113 * KB, // arduino-esp32#5346
    dataCache: 32 * KB,
    psram: 'optional',
    flashSize: '4MB',
    espNn: 'generic optimized C',
  },
  {
    id: 'esp32s2',
    name: 'ESP32-S2',
    cpu: '1x Xtensa LX7',
    maxMHz: 240,
    cpuFreqOption: 'CONFIG_ESP_DEFAULT_CPU_FREQ_MHZ_240',
    appPartition: 1 * MB,
    rodataWindow: 4 * MB,
    internalDram: 320 * KB,
    maxStaticBuffer: 320 * KB,
    dataCache: 32 * KB,
    psram: 'optional',
    flashSize: '4MB',
    espNn: 'generic optimized C',
  },
  {
    id: 'esp32s3',
    name: 'ESP32-S3',
    cpu: '2x Xtensa LX7 + PIE SIMD',
    maxMHz: 240,
    cpuFreqOption: 'CONFIG_ESP_DEFAULT_CPU_FREQ_MHZ_240',
    appPartition: 1 * MB,
    rodataWindow: 32 * MB,
    internalDram: 512 * KB - 96 * KB, // 512 KB SRAM, part of it is IRAM for code (planning figure)
    maxStaticBuffer: 416 * KB,
    dataCache: 32 * KB,
    psram: 'optional',
    flashSize: '8MB',
    espNn: 'PIE v1 assembly',
  },
  {
    id: 'esp32c3',
    name: 'ESP32-C3',
    cpu: '1x RV32IMC',
    maxMHz: 160,
    cpuFreqOption: 'CONFIG_ESP_DEFAULT_CPU_FREQ_MHZ_160',
    appPartition: 1 * MB,
    rodataWindow: 16 * MB,
    internalDram: 400 * KB - 16 * KB - 64 * KB, // 16 KB cache, code in IRAM (planning figure)
    maxStaticBuffer: 320 * KB,
    dataCache: 16 * KB,
    psram: 'none',
    flashSize: '4MB',
    espNn: 'generic optimized C',
  },
  {
    id: 'esp32c6',
    name: 'ESP32-C6',
    cpu: 'RV32 HP + LP core',
    maxMHz: 160,
    cpuFreqOption: 'CONFIG_ESP_DEFAULT_CPU_FREQ_MHZ_160',
    appPartition: 1 * MB,
    rodataWindow: 16 * MB,
    internalDram: 512 * KB - 64 * KB,
    maxStaticBuffer: 448 * KB,
    dataCache: 32 * KB, // not verified in TARGETS.md; conservative
    psram: 'none',
    flashSize: '4MB',
    espNn: 'generic C',
  },
  {
    id: 'esp32p4',
    name: 'ESP32-P4',
    cpu: '2x RV32 HP + PIE v2',
    maxMHz: 360,
    cpuFreqOption: 'CONFIG_ESP_DEFAULT_CPU_FREQ_MHZ_360',
    appPartition: 1 * MB,
    rodataWindow: 64 * MB,
    internalDram: 768 * KB - 128 * KB,
    maxStaticBuffer: 640 * KB,
    dataCache: 64 * KB,
    psram: 'in-package',
    flashSize: '16MB',
    espNn: 'PIE v2',
  },
];

export const CHIP_IDS = CHIPS.map((c) => c.id);

export function chip(id: string): ChipBudget {
  const norm = id.toLowerCase().replace(/[-_]/g, '');
  const c = CHIPS.find((x) => x.id === norm);
  if (!c) {
    const near = didYouMean(id, CHIP_IDS);
    fail('EF4006', `unknown target chip '${id}'`, {
      suggestion: near ? `did you mean '${near}'? Known: ${CHIP_IDS.join(', ')}` : `known chips: ${CHIP_IDS.join(', ')}`,
    });
  }
  return c;
}
