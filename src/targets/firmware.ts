// Firmware baselines: the app image of a generated project WITHOUT the model (same sdkconfig.defaults, same
// main/app_main.c skeleton), per chip, from documented measurements. The flash figure of a build is this
// baseline plus every byte the model adds (src/codegen/build.ts `flashBreakdown`).
//
// Measured (../shared/docs/TARGETS.md "Checker rules", issue 11): ESP-IDF v5.5.5, GCC 12 (esp-14 toolchain as
// shipped with v5.5.5), target esp32c3, espforge's sdkconfig.defaults, `idf.py size` on the link map:
//   app with no model                                  164,224 B (78,818 flash code, 34,284 flash data)
//   same with idf_build_set_property(MINIMAL_BUILD ON) 134,096 B
//   generated person_detect app (no MINIMAL_BUILD)     456,032 B = baseline + weights 223,912 (exact)
//                                                      + requant tables 43,808 + kernel/invoke code 14,660
//                                                      + embedded sample 9,574
// The other chips were not measured: their baselines are estimates (the C3 figure scaled by an inference about
// code density and the size of each chip's IDF port), with a wide margin, and are labelled as such.

export interface FirmwareBaseline {
  chip: string;
  /** App image bytes without the model, as generated without MINIMAL_BUILD (any IDF >= 5.0). */
  bytes: number;
  /** Same with MINIMAL_BUILD (IDF >= 5.5), when known or estimated. */
  minimalBuildBytes: number;
  measured: boolean;
  /** Relative uncertainty of `bytes` (0.01 = ±1%). */
  margin: number;
  idf: string;
  source: string;
}

const C3_FULL = 164_224;
const C3_MIN = 134_096;

const est = (chip: string, scale: number, why: string): FirmwareBaseline => ({
  chip,
  bytes: Math.round(C3_FULL * scale),
  minimalBuildBytes: Math.round(C3_MIN * scale),
  measured: false,
  margin: 0.3,
  idf: 'v5.5.5 (not measured on this chip)',
  source: `estimate: the measured esp32c3 baseline (164,224 B) x ${scale} (${why}); not measured, ±30%`,
});

export const FIRMWARE_BASELINES: Readonly<Record<string, FirmwareBaseline>> = {
  esp32c3: {
    chip: 'esp32c3',
    bytes: C3_FULL,
    minimalBuildBytes: C3_MIN,
    measured: true,
    margin: 0.01,
    idf: 'v5.5.5',
    source: 'measured: ESP-IDF v5.5.5, esp32c3, espforge sdkconfig.defaults, no model, size tool on the link map (TARGETS.md, issue 11)',
  },
  esp32c6: est('esp32c6', 1.1, 'same RV32IMC ISA, a larger IDF port'),
  esp32p4: est('esp32p4', 1.25, 'RV32 with a larger IDF port and cache/MMU code'),
  esp32: est('esp32', 1.15, 'Xtensa LX6 code density, older port with more ROM patches in flash'),
  esp32s2: est('esp32s2', 1.1, 'Xtensa LX7'),
  esp32s3: est('esp32s3', 1.15, 'Xtensa LX7, dual core'),
};

export function firmwareBaseline(chipId: string): FirmwareBaseline {
  return FIRMWARE_BASELINES[chipId] ?? est(chipId, 1.3, 'unknown chip');
}
