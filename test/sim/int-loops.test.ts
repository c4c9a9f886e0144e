// The specialised inner loops of the integer simulator (src/sim/int/loops.ts) against references written from the
// formulas: mbqmFast against the BigInt MultiplyByQuantizedMultiplier reference over its fast path, its edge and
// the fallback; dotRows32 against BigInt sums wrapped to int32 (including sums that overflow), dotRows64 against
// exact BigInt sums; convPatches and depthwiseConv against a direct NHWC convolution written out here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mbqmRef, mbqm64Ref } from '../../src/arith/fixedpoint.js';
import { convPatches, depthwiseConv, dotRows32, dotRows64, mbqmFast, type ConvGeometry, type Requant } from '../../src/sim/int/loops.js';
import { rng } from '../helpers/rng.js';

const R = rng(20261207);
const int = (lo: number, hi: number): number => lo + Math.floor(R() * (hi - lo + 1));

test('mbqmFast equals the BigInt MultiplyByQuantizedMultiplier reference', () => {
  const xs = [0, 1, -1, 2097151, -2097151, 2097152, -2097152, 2147483647, -2147483648, 1 << 20, -(1 << 20)];
  for (let i = 0; i < 20000; i++) xs.push(i % 3 === 0 ? int(-2147483648, 2147483647) : int(-3000000, 3000000));
  const ms = [1 << 30, 2147483647, 1518500250, 1073741825];
  for (const x of xs) {
    const m = i32(ms[int(0, ms.length - 1)] + (R() < 0.5 ? 0 : int(0, 1 << 30)));
    for (const s of [-31, -20, -8, -1, 0, 1, 3, 7, int(-31, 10)]) assert.equal(mbqmFast(x, m, s), mbqmRef(x, m, s), `x=${x} m=${m} s=${s}`);
  }
});

function i32(v: number): number {
  return v > 2147483647 ? 2147483647 : v;
}

test('dotRows32 wraps like int32 C sums; dotRows64 is exact', () => {
  for (const [K, rows, big] of [[1, 1, false], [7, 5, false], [64, 9, false], [300, 6, true]] as const) {
    const x = Int32Array.from({ length: K + 3 }, () => (big ? int(-32768, 32767) * 65536 : int(-255, 255)));
    const w = Int32Array.from({ length: K * rows }, () => int(-128, 127));
    const a32 = new Float64Array(rows + 2);
    const a64 = new Float64Array(rows + 2);
    dotRows32(x, 3, K, w, 1, rows, a32, 2);
    dotRows64(Int32Array.from(x, (v) => (big ? v >> 16 : v)), 3, K, w, 1, rows, a64, 2);
    for (let c = 1; c < rows; c++) {
      let s = 0n;
      let s64 = 0n;
      for (let i = 0; i < K; i++) {
        s += BigInt(w[c * K + i]) * BigInt(x[3 + i]);
        s64 += BigInt(w[c * K + i]) * BigInt(big ? x[3 + i] >> 16 : x[3 + i]);
      }
      assert.equal(a32[2 + c - 1], Number(BigInt.asIntN(32, s)), `K=${K} row ${c} int32`);
      assert.equal(a64[2 + c - 1], Number(s64), `K=${K} row ${c} exact`);
    }
  }
});

/** Direct NHWC convolution with zero padding (the inputs have their zero point removed), then requantization. */
function reference(x: Int32Array, w: Int32Array, g: ConvGeometry, rq: Requant): number[] {
  const out: number[] = [];
  for (let n = 0; n < g.N; n++)
    for (let oy = 0; oy < g.OH; oy++)
      for (let ox = 0; ox < g.OW; ox++)
        for (let c = 0; c < g.Cout; c++) {
          const gi = Math.floor(c / g.cpg) * g.Cig;
          let s = 0n;
          for (let ky = 0; ky < g.KH; ky++)
            for (let kx = 0; kx < g.KW; kx++)
              for (let i = 0; i < g.Cig; i++) {
                const iy = oy * g.sh - g.pt + ky * g.dh;
                const ix = ox * g.sw - g.pl + kx * g.dw;
                if (iy < 0 || iy >= g.H || ix < 0 || ix >= g.W) continue;
                s += BigInt(w[((c * g.KH + ky) * g.KW + kx) * g.Cig + i]) * BigInt(x[((n * g.H + iy) * g.W + ix) * g.Cin + gi + i]);
              }
          const acc = s + BigInt(rq.bias[c]);
          let v = rq.acc64 ? mbqm64Ref(Number(acc), rq.mult[c], rq.shift[c]) : mbqmRef(Number(BigInt.asIntN(32, acc)), rq.mult[c], rq.shift[c]);
          v += rq.outZp;
          out.push(Math.min(rq.actMax, Math.max(rq.actMin, v)));
        }
  return out;
}

test('convPatches and depthwiseConv equal a direct convolution (pointwise pairs, padding, stride, dilation, groups, depth multiplier)', () => {
  const cases: (Partial<ConvGeometry> & { depthwise?: boolean; acc64?: boolean })[] = [
    { KH: 1, KW: 1, Cin: 8, Cout: 12 },
    { KH: 1, KW: 1, Cin: 5, Cout: 6, N: 1, H: 5, W: 3 }, // an odd number of pixels: the last one alone
    { KH: 1, KW: 1, Cin: 9, Cout: 3, N: 3, H: 3, W: 5, sh: 2, sw: 2 },
    { KH: 3, KW: 3, Cin: 3, Cout: 5, pt: 1, pl: 1 },
    { KH: 3, KW: 2, Cin: 4, Cout: 6, sh: 2, sw: 1, dh: 1, dw: 2, pt: 1, pl: 0 },
    { KH: 3, KW: 3, Cin: 6, Cout: 4, cpg: 2, Cig: 3, pt: 1, pl: 1 },
    { KH: 1, KW: 1, Cin: 5, Cout: 7, sh: 2, sw: 2, acc64: true },
    { KH: 3, KW: 3, Cin: 8, Cout: 8, pt: 1, pl: 1, depthwise: true },
    { KH: 3, KW: 3, Cin: 4, Cout: 8, sh: 2, sw: 2, pt: 0, pl: 1, depthwise: true },
    { KH: 5, KW: 5, Cin: 3, Cout: 3, pt: 2, pl: 2, dh: 2, dw: 1, depthwise: true },
    { KH: 3, KW: 3, Cin: 4, Cout: 4, pt: 1, pl: 1, depthwise: true, acc64: true },
  ];
  for (const k of cases) {
    const Cin = k.Cin!;
    const Cout = k.Cout!;
    const KH = k.KH!;
    const KW = k.KW!;
    const [H, W, N] = [k.H ?? 7, k.W ?? 6, k.N ?? 2];
    const sh = k.sh ?? 1, sw = k.sw ?? 1, dh = k.dh ?? 1, dw = k.dw ?? 1, pt = k.pt ?? 0, pl = k.pl ?? 0;
    const Cig = k.depthwise ? 1 : (k.Cig ?? Cin);
    const cpg = k.depthwise ? Cout / Cin : (k.cpg ?? Cout);
    const OH = Math.floor((H + 2 * pt - dh * (KH - 1) - 1) / sh) + 1;
    const OW = Math.floor((W + 2 * pl - dw * (KW - 1) - 1) / sw) + 1;
    const g: ConvGeometry = { N, H, W, Cin, OH, OW, Cout, KH, KW, Cig, cpg, sh, sw, dh, dw, pt, pl };
    const x = Int32Array.from({ length: N * H * W * Cin }, () => (k.acc64 ? int(-32768, 32767) : int(-255, 255)));
    const w = Int32Array.from({ length: Cout * KH * KW * Cig }, () => int(-128, 127));
    const rq: Requant = {
      mult: Int32Array.from({ length: Cout }, () => int(1 << 30, 2147483647)),
      shift: Int32Array.from({ length: Cout }, () => int(-12, 1)),
      bias: Float64Array.from({ length: Cout }, () => int(-5000, 5000)),
      outZp: int(-20, 20),
      actMin: k.acc64 ? -32768 : -128,
      actMax: k.acc64 ? 32767 : 127,
      acc64: !!k.acc64,
    };
    const y = k.acc64 ? new Int16Array(N * OH * OW * Cout) : new Int8Array(N * OH * OW * Cout);
    if (k.depthwise) depthwiseConv(x, w, y, g, rq);
    else convPatches(x, w, y, g, rq);
    assert.deepEqual(Array.from(y), reference(x, w, g, rq), JSON.stringify(k));
  }
});
