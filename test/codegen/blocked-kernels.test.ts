// The blocked conv kernels (kernels/conv.c sections convb, dwc, the 3x3 depthwise row kernel, and dwn, its plane form;
// kernels/conv_s16.c sections convb16 and convb16i, the int32 form for layers whose sums provably fit) on shapes the
// shared corpora do not reach: 16x8 windows of more than 511 products (int32 partial sums flushed into the int64 total),
// window rows of more than 511 values, fully connected rows of 1100 values, output-channel counts that leave blocks
// of 4 and 1, odd output widths (a pixel left after the pairs), strides, vertical dilation and asymmetric padding.
// Worst-case magnitudes (every input -32768, every weight -128: each product is 2^22) make a partial of 512
// products reach 2^31, which UBSan reports as a signed overflow: the host run is under ASan/UBSan with no
// recovery. Expected outputs are the integer simulator's (C vs simulator: a consistency check; the int64 sum
// of the simulator does not depend on how the C kernel splits it).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { harnessSpec, pseudoRandomInput, simulate } from '../../src/pipeline/build.js';
import { emitC } from '../../src/codegen/c/emit.js';
import { shapeSize } from '../../src/ir/dtype.js';
import { GraphBuilder, type Graph } from '../../src/ir/graph.js';
import { prepareIntGraph } from '../../src/sim/int.js';
import { runHost } from '../../src/verify/host.js';
import { hasTool } from '../../src/verify/toolchain.js';

const q = (s: number, z: number) => ({ scale: [s], zeroPoint: [z], axis: 0 });

function filter(n: number, seed: number, worst: boolean): Int8Array {
  const a = new Int8Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    a[i] = worst ? -128 : ((s >>> 16) % 255) - 127;
  }
  return a;
}

interface ConvSpec {
  ih: number; iw: number; ic: number; oc: number; k: number; stride: number; dh: number; pads: number[];
}

/** One conv layer (int8 or 16x8) with per-channel weight scales chosen so outputs stay inside the range. */
function convModel(c: ConvSpec, w16: boolean, worst: boolean): Graph {
  const b = new GraphBuilder({ format: 'espforge', source: 'blocked' });
  const at = w16 ? 'int16' : 'int8';
  const oh = Math.floor((c.ih + c.pads[0] + c.pads[2] - (c.dh * (c.k - 1) + 1)) / c.stride) + 1;
  const ow = Math.floor((c.iw + c.pads[1] + c.pads[3] - c.k) / c.stride) + 1;
  const ksz = c.k * c.k * c.ic;
  const inS = w16 ? 1 / 4096 : 0.02;
  const wS = Array.from({ length: c.oc }, (_, o) => 0.004 + 0.0003 * o);
  const x = b.tensor({ name: 'x', dtype: at, shape: [1, c.ih, c.iw, c.ic], quant: q(inS, w16 ? 0 : -7) });
  const w = b.tensor({ name: 'w', dtype: 'int8', shape: [c.oc, c.k, c.k, c.ic], data: filter(c.oc * ksz, 11, worst), quant: { scale: wS, zeroPoint: new Array(c.oc).fill(0), axis: 0 } });
  const bias = w16
    ? b.tensor({ name: 'b', dtype: 'int64', shape: [c.oc], data: Float64Array.from({ length: c.oc }, (_, o) => 977 * o - 5000) })
    : b.tensor({ name: 'b', dtype: 'int32', shape: [c.oc], data: Int32Array.from({ length: c.oc }, (_, o) => 97 * o - 500) });
  const outS = (inS * 0.006 * 128 * (w16 ? 32768 : 128) * ksz) / (w16 ? 32768 : 128) / 8;
  const y = b.tensor({ name: 'y', dtype: at, shape: [1, oh, ow, c.oc], quant: q(outS, w16 ? 0 : 3) });
  b.inputs = [x];
  b.outputs = [y];
  b.node({ op: 'Conv', name: 'conv', inputs: [x, w, bias], outputs: [y], attrs: { strides: [c.stride, c.stride], dilations: [c.dh, 1], pads: c.pads, group: 1, activation: 'none' } });
  return prepareIntGraph(b.build());
}

interface DwSpec {
  ih: number; iw: number; c: number; stride: number; pads: number[]; zp: number;
  /** vertical stride when it differs from the horizontal one */
  strideH?: number;
  /** 'big': biases of about ±2^29 (the requantization's general path), with an output scale that keeps outputs in
   *  range; 'huge': biases just under 2^31 - 2^19 (sums near 2^31 that never wrap) and channel 0's multiplier just
   *  under 2^-30, where the short rounding of the 3x3 row kernel would overflow (it must take the general path);
   *  'left': an output scale that makes every multiplier at least 1/2 (requantization shifts S >= 0, the left-shift
   *  path) */
  bias?: 'big' | 'huge' | 'left';
}

/** One int8 depthwise 3x3 layer (ch_mult 1): the row kernel of section dwc from 12 output pixels a row. */
function dwModel(d: DwSpec, worst: boolean): Graph {
  const b = new GraphBuilder({ format: 'espforge', source: 'blocked_dw' });
  const sh = d.strideH ?? d.stride;
  const oh = Math.floor((d.ih + d.pads[0] + d.pads[2] - 3) / sh) + 1;
  const ow = Math.floor((d.iw + d.pads[1] + d.pads[3] - 3) / d.stride) + 1;
  const wS = Array.from({ length: d.c }, (_, o) => 0.004 + 0.0003 * o);
  const x = b.tensor({ name: 'x', dtype: 'int8', shape: [1, d.ih, d.iw, d.c], quant: q(0.02, d.zp) });
  const w = b.tensor({ name: 'w', dtype: 'int8', shape: [d.c, 3, 3, 1], data: filter(d.c * 9, 23, worst), quant: { scale: wS, zeroPoint: new Array(d.c).fill(0), axis: 0 } });
  const big = (o: number) => (o % 2 === 0 ? 1 : -1) * ((1 << 29) + 4099 * o);
  const bv = (o: number) => (d.bias === 'big' ? big(o) : d.bias === 'huge' ? 2 ** 31 - 2 ** 19 - 1 - 977 * o : 131 * o - 700);
  const bias = b.tensor({ name: 'b', dtype: 'int32', shape: [d.c], data: Int32Array.from({ length: d.c }, (_, o) => bv(o)) });
  const outS = d.bias === 'big' ? (0.02 * 0.006 * 2 ** 29) / 100 : d.bias === 'huge' ? (0.02 * 0.004 * 2 ** 30) / 0.99999 : d.bias === 'left' ? (0.02 * 0.004) / 0.7 : (0.02 * 0.006 * 128 * 128 * 9) / 128 / 8;
  const y = b.tensor({ name: 'y', dtype: 'int8', shape: [1, oh, ow, d.c], quant: q(outS, -2) });
  b.inputs = [x];
  b.outputs = [y];
  b.node({ op: 'Conv', name: 'dw', inputs: [x, w, bias], outputs: [y], attrs: { strides: [sh, d.stride], dilations: [1, 1], pads: d.pads, group: d.c, activation: 'none' } });
  return prepareIntGraph(b.build());
}

function fcModel(k: number, n: number, worst: boolean): Graph {
  const b = new GraphBuilder({ format: 'espforge', source: 'blocked_fc' });
  const x = b.tensor({ name: 'x', dtype: 'int16', shape: [1, k], quant: q(1 / 4096, 0) });
  const w = b.tensor({ name: 'w', dtype: 'int8', shape: [n, k], data: filter(n * k, 5, worst), quant: q(0.005, 0) });
  const bias = b.tensor({ name: 'b', dtype: 'int64', shape: [n], data: Float64Array.from({ length: n }, (_, o) => 300 * o - 2000) });
  const y = b.tensor({ name: 'y', dtype: 'int16', shape: [1, n], quant: q(0.25, 0) });
  b.inputs = [x];
  b.outputs = [y];
  b.node({ op: 'FullyConnected', name: 'fc', inputs: [x, w, bias], outputs: [y], attrs: { activation: 'none' } });
  return prepareIntGraph(b.build());
}

/** 1x1 16x8 conv, 511 input channels, 13 outputs, every weight -128; bias 2^22 - 1 (past: 2^22) on channel 0 */
function edgeModel(past: boolean, ic = 511): Graph {
  const b = new GraphBuilder({ format: 'espforge', source: 'edge16' });
  const oc = 13;
  const x = b.tensor({ name: 'x', dtype: 'int16', shape: [1, 3, 5, ic], quant: q(1 / 4096, 0) });
  const w = b.tensor({ name: 'w', dtype: 'int8', shape: [oc, 1, 1, ic], data: new Int8Array(oc * ic).fill(-128), quant: { scale: new Array(oc).fill(0.004), zeroPoint: new Array(oc).fill(0), axis: 0 } });
  const bias = b.tensor({ name: 'b', dtype: 'int64', shape: [oc], data: Float64Array.from({ length: oc }, (_, o) => (o === 0 ? 2 ** 22 - (past ? 0 : 1) : -(2 ** 22) + 1 + o)) });
  const y = b.tensor({ name: 'y', dtype: 'int16', shape: [1, 3, 5, oc], quant: q((2 ** 31 * 0.004) / 4096 / 32000, 0) });
  b.inputs = [x];
  b.outputs = [y];
  b.node({ op: 'Conv', name: 'conv', inputs: [x, w, bias], outputs: [y], attrs: { strides: [1, 1], dilations: [1, 1], pads: [0, 0, 0, 0], group: 1, activation: 'none' } });
  return prepareIntGraph(b.build());
}

function fcEdge(): Graph {
  const b = new GraphBuilder({ format: 'espforge', source: 'edgefc' });
  const x = b.tensor({ name: 'x', dtype: 'int16', shape: [2, 511], quant: q(1 / 4096, 0) });
  const w = b.tensor({ name: 'w', dtype: 'int8', shape: [5, 511], data: new Int8Array(5 * 511).fill(-128), quant: q(0.004, 0) });
  const bias = b.tensor({ name: 'b', dtype: 'int64', shape: [5], data: Float64Array.from({ length: 5 }, (_, o) => 2 ** 22 - 1 - 1000 * o) });
  const y = b.tensor({ name: 'y', dtype: 'int16', shape: [2, 5], quant: q((2 ** 31 * 0.004) / 4096 / 32000, 0) });
  b.inputs = [x];
  b.outputs = [y];
  b.node({ op: 'FullyConnected', name: 'fc', inputs: [x, w, bias], outputs: [y], attrs: { activation: 'none' } });
  return prepareIntGraph(b.build());
}

/** 3x3x5 -> 6 16x8 conv whose requantization shift is `sh` on every channel (output scale = in * w * 2^-sh * 0.75) */
function shiftModel(sh: number): Graph {
  const b = new GraphBuilder({ format: 'espforge', source: 'shift16' });
  const oc = 6;
  const x = b.tensor({ name: 'x', dtype: 'int16', shape: [1, 6, 7, 5], quant: q(1 / 4096, 0) });
  const w = b.tensor({ name: 'w', dtype: 'int8', shape: [oc, 3, 3, 5], data: filter(oc * 45, 3, false), quant: { scale: new Array(oc).fill(0.004), zeroPoint: new Array(oc).fill(0), axis: 0 } });
  const bias = b.tensor({ name: 'b', dtype: 'int64', shape: [oc], data: Float64Array.from({ length: oc }, (_, o) => 1000 * o - 2500) });
  const y = b.tensor({ name: 'y', dtype: 'int16', shape: [1, 6, 7, oc], quant: q((0.004 / 4096) * 2 ** -sh / 0.75, 0) });
  b.inputs = [x];
  b.outputs = [y];
  b.node({ op: 'Conv', name: 'conv', inputs: [x, w, bias], outputs: [y], attrs: { strides: [1, 1], dilations: [1, 1], pads: [1, 1, 1, 1], group: 1, activation: 'none' } });
  const g = prepareIntGraph(b.build());
  const s = g.nodes[0].qparams!.shift as number[];
  assert.ok(s.every((v) => v === sh), `shift ${s} is not ${sh}`);
  return g;
}

/** 3x3x7 -> 9 16x8 conv (pads 1) whose int64 biases (up to about 2^33, one channel -2^40) do not fit int32 beside
 *  the products: convb16i's wide form. The output scale maps 2^33 to about 20,000, so the products (up to about
 *  2^28) still move the results by hundreds; the -2^40 channel saturates. */
function wideModel(): Graph {
  const b = new GraphBuilder({ format: 'espforge', source: 'wide16' });
  const oc = 9;
  const x = b.tensor({ name: 'x', dtype: 'int16', shape: [1, 5, 6, 7], quant: q(1 / 4096, 0) });
  const w = b.tensor({ name: 'w', dtype: 'int8', shape: [oc, 3, 3, 7], data: filter(oc * 63, 11, false), quant: { scale: Array.from({ length: oc }, (_, o) => 0.004 + 0.0005 * o), zeroPoint: new Array(oc).fill(0), axis: 0 } });
  const bias = b.tensor({ name: 'b', dtype: 'int64', shape: [oc], data: Float64Array.from({ length: oc }, (_, o) => (o === oc - 1 ? -(2 ** 40) - 17 : (o % 2 ? 1 : -1) * Math.round(2 ** 33 * (o / oc)) + 1234567 * o)) });
  const y = b.tensor({ name: 'y', dtype: 'int16', shape: [1, 5, 6, oc], quant: q((2 ** 33 * 0.004) / 4096 / 20000, 0) });
  b.inputs = [x];
  b.outputs = [y];
  b.node({ op: 'Conv', name: 'conv', inputs: [x, w, bias], outputs: [y], attrs: { strides: [1, 1], dilations: [1, 1], pads: [1, 1, 1, 1], group: 1, activation: 'none' } });
  return prepareIntGraph(b.build());
}

/** TFLM's 16x8 convolution transcribed from ../shared/docs/INT8-ARITHMETIC.md (section 3, the int64-accumulator
 *  overload) in BigInt, independent of the simulator and the C: acc = bias + sum of in-bounds w * x (OHWI filter,
 *  NHWC input, stride 1, the given pads), M16 = M < 0x7FFF0000 ? (M + 2^15) >> 16 : 0x7FFF, result =
 *  (acc * M16 + 2^(14-S)) >> (15-S) truncated to int32, clamped to int16. */
function conv16Reference(g: Graph, x: ArrayLike<number>): number[] {
  const n = g.nodes[0];
  const [, ih, iw, ic] = g.tensors[n.inputs[0]].shape;
  const W = g.tensors[n.inputs[1]];
  const [oc, kh, kw] = W.shape;
  const bias = g.tensors[n.inputs[2]].data!;
  const [pt, pl] = n.attrs.pads as number[];
  const mult = n.qparams!.mult as number[];
  const shift = n.qparams!.shift as number[];
  const out: number[] = [];
  for (let oy = 0; oy < ih + 2 - kh + 1; oy++)
    for (let ox = 0; ox < iw + 2 - kw + 1; ox++)
      for (let o = 0; o < oc; o++) {
        let acc = BigInt(Number(bias[o]));
        for (let ky = 0; ky < kh; ky++)
          for (let kx = 0; kx < kw; kx++) {
            const iy = oy - pt + ky;
            const ix = ox - pl + kx;
            if (iy < 0 || iy >= ih || ix < 0 || ix >= iw) continue;
            for (let c = 0; c < ic; c++) acc += BigInt(W.data![((o * kh + ky) * kw + kx) * ic + c]) * BigInt(x[(iy * iw + ix) * ic + c]);
          }
        const m16 = mult[o] < 0x7fff0000 ? (BigInt(mult[o]) + 32768n) >> 16n : 0x7fffn;
        const v = Number(BigInt.asIntN(32, (acc * m16 + (1n << BigInt(14 - shift[o]))) >> BigInt(15 - shift[o])));
        out.push(Math.max(-32768, Math.min(32767, v)));
      }
  return out;
}

function check(label: string, g: Graph, kernel: string, worstInput: boolean, overlapAt?: 'below' | 'above') {
  const e = emitC(g, { name: 'blk', ...(overlapAt ? { overlapAt, planAlignment: 1 } : {}) });
  assert.ok(e.kernels.includes(kernel), `${label}: built with ${e.kernels.join(',')}, not ${kernel}`);
  const t = g.tensors[g.inputs[0]];
  const n = shapeSize(t.shape);
  const cases = [0, 1].map((k) => {
    const inputs = [k === 0 && worstInput ? new Array<number>(n).fill(t.dtype === 'int16' ? -32768 : -128) : pseudoRandomInput(n, t.dtype, 4100 + k)];
    return { name: `c${k}`, inputs, expected: simulate(g, inputs) };
  });
  const run = runHost(e.files, harnessSpec(g, e.prefix), cases, true);
  run.cases.forEach((c, k) => assert.deepEqual(Array.from(c.outputs[0]), cases[k].expected[0], `${label}: C (ASan/UBSan) vs simulator, case ${k}`));
}

test('blocked conv kernels: C under ASan/UBSan equals the simulator on border, block-tail and long-window shapes', (t) => {
  if (!hasTool('gcc')) {
    if (process.env.CI === 'true') throw new Error('gcc missing under CI');
    t.skip('gcc not found (EF4002)');
    return;
  }
  // 16x8: 3x3 x 64 channels = 576 products per window (two partial groups of rows), 13 output channels (8 + 4 + 1)
  const c64: ConvSpec = { ih: 6, iw: 7, ic: 64, oc: 13, k: 3, stride: 1, dh: 1, pads: [1, 1, 1, 1] };
  check('int16 3x3x64 worst case', convModel(c64, true, true), 'convb16', true);
  // random filters: every sum provably fits int32 (|bias| + 32768 * sum |w| < 2^31), the int32 kernel convb16i
  check('int16 3x3x64', convModel(c64, true, false), 'convb16i', false);
  // 16x8: 5x5 x 128 channels: a window row of 640 values (no pair tiles, chunks of 511), stride 2, vertical dilation
  const c128: ConvSpec = { ih: 9, iw: 8, ic: 128, oc: 4, k: 5, stride: 2, dh: 2, pads: [0, 2, 1, 1] };
  check('int16 5x5x128 worst case', convModel(c128, true, true), 'convb16', true);
  // 16x8 fully connected, 1100 values per row
  check('int16 FC 1100 worst case', fcModel(1100, 13, true), 'convb16', true);
  check('int16 FC 1100', fcModel(1100, 13, false), 'convb16', false);
  // convb16i at its bound: 511 products of -128 * -32768 = 2^22 plus a bias of 2^22 - 1 reach exactly 2^31 - 1
  // (one more unit of bias or weight and the emitter must choose convb16); channel counts 13 = 8 + 4 + 1, an odd
  // width, padding (border pixels), the rounding forms of section rq16i's requantization (shifts -1: r = 0, rl = 2^15;
  // -2, -20, -31: r = 1, 19, 30 with rh = 2^(r-1), -31 the largest shift a 16x8 layer may have); shift 0 (ts = 15, a
  // left shift in TFLM's terms) is outside rq16i, so that layer takes convb16i's wide form (int64 requantization)
  check('int16 1x1x511 at the int32 bound', edgeModel(false), 'convb16i', true);
  // one unit more bias: the sums with the bias no longer fit int32, the products alone still do: the wide form
  check('int16 1x1x511 one past the int32 bound (wide)', edgeModel(true), 'convb16i', true);
  // one product more (512 of -128 * -32768 = 2^31): not even the products fit, the int64 kernel convb16
  check('int16 1x1x512 products past the int32 bound', edgeModel(true, 512), 'convb16', true);
  // wide biases (2^33, 2^40): C == simulator here, and both == the BigInt transcription of TFLM's arithmetic
  const wg = wideModel();
  assert.ok(Math.max(...(wg.nodes[0].qparams!.shift as number[])) <= -16, 'wide model: right shifts of 16 or more');
  check('int16 3x3x7 wide biases', wg, 'convb16i', false);
  for (const seed of [4100, 4101, 77]) {
    const xin = pseudoRandomInput(5 * 6 * 7, 'int16', seed);
    const ref = conv16Reference(wg, xin);
    assert.ok(new Set(ref).size > 50, `wide model outputs vary: ${new Set(ref).size} values, ${ref.slice(0, 20)}`);
    assert.deepEqual(simulate(wg, [xin])[0], ref, `wide model, input seed ${seed}: simulator vs TFLM transcription`);
  }
  check('int16 FC 511 at the int32 bound', fcEdge(), 'convb16i', true);
  check('int16 3x3x5 pads', convModel({ ih: 7, iw: 9, ic: 5, oc: 13, k: 3, stride: 1, dh: 1, pads: [1, 1, 1, 1] }, true, false), 'convb16i', false);
  for (const sh of [-1, -2, -20, -31]) check(`int16 3x3x5 shift ${sh}`, shiftModel(sh), 'convb16i', false);
  check('int16 3x3x5 shift 0 (wide form)', shiftModel(0), 'convb16i', false);
  // int8: odd output width, stride 2, vertical dilation, asymmetric padding, 13 channels
  const c8: ConvSpec = { ih: 11, iw: 12, ic: 5, oc: 13, k: 3, stride: 2, dh: 2, pads: [2, 1, 0, 2] };
  check('int8 3x3x5 s2', convModel(c8, false, false), 'convb', false);
  check('int8 5x5x5', convModel({ ...c8, k: 5, stride: 1, dh: 1, pads: [2, 2, 2, 2] }, false, false), 'convb', false);
  // int8 1x1 with the output overlapping its input (the pixel-major GEMM, section gemmr): 16 and 24 columns (every
  // block of 8: one call, each row pair through all blocks), an odd row count (the last row alone), 13 columns
  // (ef_gemm_s8 pair by pair); worst-case filters and inputs
  for (const [ih, iw, ic, oc] of [[4, 6, 8, 16], [3, 5, 24, 24], [5, 3, 9, 13]]) {
    const g1 = { ih, iw, ic, oc, k: 1, stride: 1, dh: 1, pads: [0, 0, 0, 0] };
    check(`int8 1x1 ${ih}x${iw}x${ic}->${oc} overlapped`, convModel(g1, false, false), 'gemmr', false, 'below');
    check(`int8 1x1 ${ih}x${iw}x${ic}->${oc} overlapped worst case`, convModel(g1, false, true), 'gemmr', true, 'below');
  }
  // int8 depthwise 3x3 from 12 output pixels a row, the row kernel (section dwc; output row 0 through ef_dwconv_s8):
  // horizontal stride 1 (pads 0, 1, 2 on the left: left columns outside the input read the zero point; one column
  // carried partial sums) and 2 (pads 0 and 1, two columns a window), columns right of the input (odd and even
  // widths), long rows, biases near ±2^29 and just under 2^31 (sums near 2^31 that never wrap), requantization
  // shifts S >= 0 (the left-shift path), right pads beyond one window, inputs of 1 and 2 rows (windows missing their top and bottom rows, or all
  // of them), asymmetric pads, vertical strides 1, 2 and 3; worst-case filters and inputs (-128 everywhere, in_zp
  // 127) give every tap product its largest magnitude
  const dws: DwSpec[] = [
    { ih: 5, iw: 40, c: 5, stride: 1, pads: [1, 1, 1, 1], zp: -7 },
    { ih: 3, iw: 70, c: 3, stride: 1, pads: [1, 1, 1, 1], zp: 9, bias: 'big' },
    { ih: 3, iw: 20, c: 2, stride: 1, pads: [1, 1, 1, 1], zp: 9, bias: 'huge' },
    { ih: 4, iw: 37, c: 3, stride: 1, pads: [2, 2, 0, 2], zp: 127 },
    { ih: 3, iw: 18, c: 9, stride: 1, pads: [0, 0, 0, 0], zp: -128 },
    { ih: 1, iw: 20, c: 2, stride: 1, pads: [1, 1, 1, 1], zp: 5 },
    { ih: 2, iw: 17, c: 4, stride: 1, pads: [2, 0, 2, 1], zp: -1 },
    { ih: 9, iw: 14, c: 3, stride: 1, strideH: 2, pads: [2, 1, 2, 1], zp: 6 },
    { ih: 4, iw: 12, c: 2, stride: 1, pads: [0, 1, 0, 1], zp: 2 },
    { ih: 5, iw: 14, c: 3, stride: 1, pads: [1, 1, 1, 1], zp: -4, bias: 'left' },
    { ih: 10, iw: 13, c: 2, stride: 1, strideH: 3, pads: [1, 0, 2, 2], zp: 8 },
    { ih: 7, iw: 70, c: 3, stride: 2, pads: [1, 1, 1, 1], zp: 3 },
    { ih: 6, iw: 36, c: 6, stride: 2, pads: [0, 0, 1, 1], zp: 127 },
    { ih: 2, iw: 39, c: 2, stride: 2, pads: [1, 1, 1, 0], zp: -128 },
    { ih: 5, iw: 24, c: 3, stride: 2, strideH: 1, pads: [1, 0, 1, 1], zp: -5 },
    { ih: 1, iw: 26, c: 2, stride: 2, strideH: 1, pads: [2, 1, 2, 0], zp: 11 },
    { ih: 8, iw: 27, c: 4, stride: 2, strideH: 3, pads: [2, 1, 0, 1], zp: 0 },
    { ih: 4, iw: 30, c: 3, stride: 2, pads: [1, 1, 1, 1], zp: -9, bias: 'big' },
    { ih: 4, iw: 25, c: 2, stride: 2, pads: [1, 0, 1, 0], zp: 9, bias: 'huge' },
    { ih: 4, iw: 25, c: 3, stride: 2, pads: [1, 1, 1, 1], zp: 4, bias: 'left' },
    // right pads that leave several windows past the input (stride 2: the carried column then reads in_zp too)
    { ih: 4, iw: 22, c: 2, stride: 2, pads: [1, 1, 1, 5], zp: -6 },
    { ih: 4, iw: 13, c: 2, stride: 1, pads: [1, 2, 1, 4], zp: 7 },
  ];
  // at stride 1 a padded plane of at most 32 x 32 (oh + 2 rows, ow + 2 columns) and 16 pixels goes to section dwn (the
  // channel copied to a stack plane whose ring holds in_zp) instead: those shapes run through dwn, and once more 32
  // columns wider, through dwc
  const dwn = (d: DwSpec) => {
    const oh = Math.floor((d.ih + d.pads[0] + d.pads[2] - 3) / (d.strideH ?? d.stride)) + 1;
    const ow = Math.floor((d.iw + d.pads[1] + d.pads[3] - 3) / d.stride) + 1;
    return d.stride === 1 && (d.strideH ?? 1) === 1 && oh * ow >= 16 && oh + 2 <= 32 && ow + 2 <= 32;
  };
  let viaDwn = 0;
  for (const d of dws) {
    const runs = dwn(d) ? [d, { ...d, iw: d.iw + 32 }] : [d];
    runs.forEach((r, j) => {
      const k = j === 0 && dwn(d) ? 'dwn' : 'dwc';
      if (k === 'dwn') viaDwn++;
      check(`int8 dw 3x3 s${r.stride} ${r.ih}x${r.iw}x${r.c} pads ${r.pads.join(',')}`, dwModel(r, false), k, false);
      check(`int8 dw 3x3 s${r.stride} ${r.ih}x${r.iw}x${r.c} worst case`, dwModel({ ...r, zp: 127 }, true), k, true);
    });
  }
  assert.ok(viaDwn >= 6, `only ${viaDwn} shapes reached dwn`);
  // dwn at its limits: a 30 x 30 output (a 32 x 32 plane), 16 pixels (4 x 4), pads 2 on every side, 13 channels
  check('int8 dw 3x3 s1 30x30x3 (dwn, full plane)', dwModel({ ih: 30, iw: 30, c: 3, stride: 1, pads: [1, 1, 1, 1], zp: -5 }, false), 'dwn', false);
  check('int8 dw 3x3 s1 4x4x13 (dwn, 16 pixels)', dwModel({ ih: 4, iw: 4, c: 13, stride: 1, pads: [1, 1, 1, 1], zp: 6, bias: 'big' }, false), 'dwn', false);
  check('int8 dw 3x3 s1 3x3x5 pads 2 (dwn)', dwModel({ ih: 3, iw: 3, c: 5, stride: 1, pads: [2, 2, 2, 2], zp: 127 }, true), 'dwn', true);
  // narrower rows (and planes too tall for dwn, or fewer than 16 pixels) keep the pixel-by-pixel kernel
  check('int8 dw 3x3 s1 33x11x4', dwModel({ ih: 33, iw: 11, c: 4, stride: 1, pads: [1, 1, 1, 1], zp: -3 }, false), 'dwconv', false);
  check('int8 dw 3x3 s1 3x3x9', dwModel({ ih: 3, iw: 3, c: 9, stride: 1, pads: [1, 1, 1, 1], zp: -3 }, false), 'dwconv', false);
  check('int8 dw 3x3 s2 5x21x4', dwModel({ ih: 5, iw: 21, c: 4, stride: 2, pads: [1, 1, 1, 1], zp: -3 }, false), 'dwconv', false);
});
