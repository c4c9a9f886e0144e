// Shared by the ESP-NN lowerings (src/codegen/espnn/ops/*.ts): what a lowering declares (EspNnLowering), its
// per-layer decision, integer-parameter readers, and the scratch bounds of the kernels that need a buffer. Like
// the portable lowerings, these modules import no back-end driver and no op registry at run time.

import type { Graph, Node } from '../../ir/graph.js';
import type { BackendCtx, LayerCode } from '../c/lowering.js';

export type QP = Record<string, number | number[]>;

export const U16 = 65535;
export const I16 = 32767;
const a16 = (n: number) => Math.ceil(n / 16) * 16;
const a8 = (n: number) => Math.ceil(n / 8) * 8;

export function q1(q: QP | undefined, k: string): number | undefined {
  const v = q?.[k];
  if (typeof v === 'number') return v;
  if (Array.isArray(v) && v.length === 1) return v[0];
  return undefined;
}

export function qArr(q: QP | undefined, k: string, n: number): number[] | undefined {
  const v = q?.[k];
  const a = typeof v === 'number' ? [v] : v;
  if (!Array.isArray(a)) return undefined;
  if (a.length === 1 && n > 1) return new Array<number>(n).fill(a[0]);
  return a.length === n ? a : undefined;
}

export const attrNums = (n: Node, k: string, d: number[]) => (Array.isArray(n.attrs[k]) ? (n.attrs[k] as number[]) : d);

export interface ConvGeom {
  IH: number;
  IW: number;
  IC: number;
  OH: number;
  OW: number;
  OC: number;
  KH: number;
  KW: number;
  sh: number;
  sw: number;
  pt: number;
  pl: number;
}

const MARGIN = 64;

/** ESP32-S3 conv scratch as esp_nn_get_conv_scratch_size_esp32s3 computes it (esp_nn_conv_esp32s3.c), with the
 * 3x3 fast path (whose own size is not public) bounded by an aligned filter copy + window + corrections. */
function convScratchS3(c: ConvGeom): number {
  const { IH, IW, IC, OH, OW, OC, KH, KW, sh, sw, pt, pl } = c;
  const align = 64;
  if (KH === 1 && KW === 1 && pt === 0 && pl === 0 && sh === 1 && sw === 1) {
    const transpose = IW * IH < 8 ? 0 : 2 * 8 * a8(IC);
    const panel = IC * OC > 24 * 1024 ? 24 * IC + 16 * 1024 + align : 0;
    return Math.max(transpose + align, 16 * IC + 8 * IC + 8 * OC + align, panel);
  }
  const win = KH * KW * IC;
  let general: number;
  if (KW * IC < 16 && win >= 16) general = OC * 4 + 16 + OC * a16(win) + 16 + a16(win) + align;
  else {
    const padR = Math.max(0, (OW - 1) * sw + KW - pl - IW);
    const padB = Math.max(0, (OH - 1) * sh + KH - pt - IH);
    const input = pl === 0 && pt === 0 && padR === 0 && padB === 0 ? 0 : (IW + pl + padR) * (IH + pt + padB) * IC;
    general = input + Math.max(a16(KW * IC) * KH * OC, win * OC) + align + 4 * OC;
  }
  const threeByThree = KH === 3 && KW === 3 ? OC * a16(win) + 2 * a16(win) + 8 * OC + align : 0;
  return Math.max(general, threeByThree);
}

/** ESP32-P4 conv scratch as esp_nn_get_conv_scratch_size_esp32p4 computes it (esp_nn_conv_esp32p4.c), taking
 * the monolithic padded path where the library may tile. */
function convScratchP4(c: ConvGeom): number {
  const { IH, IW, IC, OC, KH, KW, sh, sw, pt, pl } = c;
  const align = 32;
  if (KH === 1 && KW === 1 && pt === 0 && pl === 0 && sh === 1 && sw === 1) {
    if (IC < 16) return OC * 4 + 16 * OC + 32 + align;
    const transpose = IW * IH < 8 ? 0 : 2 * 8 * a8(IC);
    return (IC % 8 ? IW * IH * a8(IC) : 0) + a8(IC) * OC + transpose + align;
  }
  const acc = 4 * OC;
  if (pt === 0 && pl === 0 && KW * IC >= 16) return KW * KH * a16(IC) * OC + align + acc;
  if (KW * KH * IC >= 16) return acc + KW * KH * IC + align;
  const eff = a16(Math.ceil(16 / KW));
  if (pt === 0 && pl === 0) return acc + KW * KH * eff * OC + IW * IH * eff + align;
  return (IW + 2 * pl) * (IH + 2 * pt) * Math.max(IC, eff) + KW * KH * Math.max(a16(IC), eff) * OC + align + acc;
}

/** Scratch bytes espforge reserves for an ESP-NN conv on this chip (other chips: the larger of the two). */
export function convScratchBound(chipId: string, c: ConvGeom): number {
  const v = chipId === 'esp32s3' ? convScratchS3(c) : chipId === 'esp32p4' ? convScratchP4(c) : Math.max(convScratchS3(c), convScratchP4(c));
  return a16(v + MARGIN);
}

/** ESP32-S3 depthwise scratch as esp_nn_get_depthwise_conv_scratch_size_esp32s3 dispatches
 * (esp_nn_depthwise_conv_s8_esp32s3.c): int8 padded input (tiled to a 40 KB budget) for 3x3 with channels % 16,
 * a channel-padded int8 path for other multiples of 8 from 12 channels, int16 copies of filter and input
 * otherwise (tiled above 48 KB), a channel-padded int16 path for ch_mult 1, and int16 copies for ch_mult % 4. */
function dwScratchS3(c: ConvGeom & { mult: number }): number {
  const { IH, IW, IC, OH, OW, KH, KW, sh, sw, pt, pl, mult } = c;
  const filter = KW * KH * IC * mult;
  const input = IW * IH * IC;
  if (mult === 1 && IC % 8 === 0) {
    if (KH === 3 && KW === 3) {
      if (IC % 16 === 0) {
        const padW = pl + Math.max(0, (OW - 1) * sw + KW - pl - IW);
        const padH = pt + Math.max(0, (OH - 1) * sh + KH - pt - IH);
        if (!padW && !padH) return filter + 16;
        const full = (IW + padW) * (IH + padH) * IC;
        if (full <= 40 * 1024) return filter + full + 16;
        const row = (IW + padW) * IC;
        const rows = Math.min(Math.max(Math.floor((40 * 1024 - filter - 32) / row), KH), IH + padH);
        return filter + rows * row + 32;
      }
      if (IC >= 12) {
        const C16 = a16(IC);
        const padTotW = 2 * pl + Math.max(0, OW * sw + 2 - IW);
        const padTotH = 2 * pt + Math.max(0, OH * sh + 2 - IH);
        return 9 * C16 + (IW + padTotW) * (IH + padTotH) * C16 + OW * OH * C16 + 12 * C16 + 64;
      }
      return 2 * (filter + input) + 32;
    }
    const s16 = 2 * (filter + input);
    return s16 <= 48 * 1024 ? s16 + 32 : 2 * filter + 2 * IW * KH * IC + 32;
  }
  if (mult === 1 && IC > 3) {
    const CP = a8(IC);
    return a16(2 * KW * KH * CP) + a16(2 * IW * IH * CP) + a16(OW * OH * CP) + 12 * CP + 16 + 48;
  }
  if (mult % 4 === 0) return 2 * (filter + input) + 32;
  return 32;
}

/** Scratch bytes espforge reserves for an ESP-NN depthwise conv: the S3 formula on ESP32-S3; elsewhere (ESP32-P4's
 * kernels and the generic ones, whose sizes were not read) at least int16 copies of filter and input as well. */
export function dwScratchBound(chipId: string, c: ConvGeom & { mult: number }): number {
  const s3 = dwScratchS3(c);
  const v = chipId === 'esp32s3' ? s3 : Math.max(s3, 2 * (c.KW * c.KH * c.IC * c.mult + c.IW * c.IH * c.IC) + 32);
  return a16(v + MARGIN);
}

/** Softmax: 4 bytes per element of a row in the generic version (esp_nn_ansi_headers.h), with a margin. */
export function softmaxScratchBound(depth: number): number {
  return a16(8 * depth + MARGIN);
}

export interface Decision {
  take: boolean;
  /** Why ESP-NN does not take an op it has a kernel for (shown in the report). */
  reason?: string;
  scratch?: number;
}

export const no = (reason: string): Decision => ({ take: false, reason });

/** One op's ESP-NN lowering. The back end only asks it about int8 -> int8 layers (ESP-NN has no other kernels). */
export interface EspNnLowering {
  /** The registry op it lowers. */
  op: string;
  /** Does ESP-NN take this layer on this chip (and with how much scratch)? `take: false` carries the reason shown
   * in the build report; undefined: the layer is not one this kernel computes (no note). */
  decide(g: Graph, n: Node, chipId: string): Decision | undefined;
  emit(g: Graph, n: Node, i: number, c: BackendCtx): LayerCode;
}
