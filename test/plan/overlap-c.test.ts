// Outputs overlapping their own input, end to end: for conv layers of random shapes (int8 and 16x8; 1x1 / 3x3 / 5x5, stride 1 / 2,
// padding, dilation, depthwise with channel multipliers, grouped, channel expansion and reduction) the generated C
// runs with the output placed EXACTLY at each end of the range its kernel's declared memory walk allows
// (offset alignment 1, `overlapAt: 'below' | 'above'`), with the plan the planner picks, and with no overlap at all.
// Every run must give the integer simulator's bytes (host -O2, host ASan/UBSan, rv32 when its toolchain is
// present). A walk that claims a kernel reads earlier or writes later than it does lets the output clobber input
// bytes still to be read at the boundary offset, and random data makes the outputs differ. Every kernel that
// declares a walk (int8 conv: gemm in its pixel-major form gemmr, convb, conv, dwconv, dwc (dwn declares none); 16x8 conv: conv16, convb16,
// dwconv16, dwconv16i; Add / Sub / Mul, int8 and int16) is reached: a change in a kernel's walk order without a change of its declared walk
// (src/codegen/c/ops/conv.ts, elementwise.ts) fails here.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { emitC } from '../../src/codegen/c/emit.js';
import { dtypeSize, shapeSize } from '../../src/ir/dtype.js';
import { harnessSpec, pseudoRandomInput, simulate } from '../../src/pipeline/build.js';
import { runMany, type HarnessModel } from '../../src/verify/multi.js';
import { hasTool } from '../../src/verify/toolchain.js';
import { QEMU_RV32, RV32_GCC } from '../../src/verify/host.js';
import { binaryGraph, convGraph, rng, type ConvCase } from '../helpers/conv-model.js';
import type { Graph } from '../../src/ir/graph.js';

/** Fixed shapes reaching every kernel and its block paths, then random ones. */
function cases(): ConvCase[] {
  const base = { kh: 3, kw: 3, sh: 1, sw: 1, dh: 1, dw: 1, pads: [1, 1, 1, 1], group: 1 };
  const fixed: ConvCase[] = [
    { ...base, ih: 7, iw: 6, ic: 8, oc: 16, kh: 1, kw: 1, pads: [0, 0, 0, 0] }, // gemm expansion, 2 blocks of 8
    { ...base, ih: 5, iw: 5, ic: 8, oc: 24, kh: 1, kw: 1, pads: [0, 0, 0, 0] }, // gemm expansion, 3 blocks of 8, odd row count
    { ...base, ih: 5, iw: 5, ic: 24, oc: 13, kh: 1, kw: 1, pads: [0, 0, 0, 0] }, // gemm reduction, 8 + 4 + 1, odd row count
    { ...base, ih: 3, iw: 3, ic: 3, oc: 7, kh: 1, kw: 1, pads: [0, 0, 0, 0] }, // gemm 4 + 3 single columns
    { ...base, ih: 9, iw: 10, ic: 3, oc: 16, sh: 2, sw: 2, pads: [0, 0, 1, 1] }, // convb stride 2, first-layer like
    { ...base, ih: 8, iw: 9, ic: 5, oc: 13 }, // convb pairs + singles, 8 + 4 + 1 channels
    { ...base, ih: 11, iw: 12, ic: 5, oc: 6, sh: 2, sw: 2, dh: 2, pads: [2, 1, 0, 2] }, // convb vertical dilation
    { ...base, ih: 9, iw: 9, ic: 4, oc: 8, kh: 5, kw: 5, pads: [2, 2, 2, 2] }, // convb 5x5
    { ...base, ih: 8, iw: 8, ic: 16, oc: 4 }, // convb reduction
    { ...base, ih: 8, iw: 7, ic: 6, oc: 9, group: 3 }, // conv, grouped
    { ...base, ih: 8, iw: 9, ic: 4, oc: 8, dw: 2, pads: [1, 2, 1, 2] }, // conv, horizontal dilation
    // dwconv 3x3 s1, 8-channel blocks: 33 rows, too tall for dwn's plane, too narrow for dwc
    { ...base, ih: 33, iw: 8, ic: 16, oc: 16, group: 16 },
    { ...base, ih: 10, iw: 10, ic: 12, oc: 12, group: 12, sh: 2, sw: 2, pads: [0, 0, 1, 1] }, // dwconv s2
    { ...base, ih: 7, iw: 7, ic: 6, oc: 12, group: 6 }, // dwconv channel multiplier 2
    { ...base, ih: 7, iw: 6, ic: 3, oc: 12, group: 3 }, // dwconv channel multiplier 4
    { ...base, ih: 9, iw: 9, ic: 5, oc: 5, group: 5, kh: 5, kw: 5, dh: 2, dw: 2, pads: [4, 4, 4, 4] }, // dwconv 5x5 dilated
    { ...base, ih: 9, iw: 26, ic: 5, oc: 5, group: 5, sh: 2, sw: 2 }, // dwc: stride 2, 13 pixels a row
    { ...base, ih: 6, iw: 24, ic: 3, oc: 3, group: 3, sh: 1, sw: 2, pads: [1, 0, 1, 1] }, // dwc: vertical stride 1, pad_l 0
    // 16x8 (two bytes per element): blocked, depthwise (blocks of 16 channels), generic (grouped)
    { ...base, ih: 6, iw: 7, ic: 128, oc: 13, w16: true }, // convb16 pairs + singles (sums beyond int32: not convb16i)
    { ...base, ih: 9, iw: 8, ic: 3, oc: 16, sh: 2, sw: 2, pads: [0, 0, 1, 1], w16: true }, // convb16i (no walk: never overlapped)
    { ...base, ih: 6, iw: 6, ic: 120, oc: 20, kh: 3, kw: 1, pads: [1, 0, 1, 0], w16: true }, // convb16 3x1 expansion
    { ...base, ih: 5, iw: 34, ic: 16, oc: 16, group: 16 }, // dwc at stride 1, too wide for dwn (no walk: never overlapped)
    { ...base, ih: 5, iw: 14, ic: 16, oc: 16, group: 16 }, // dwn (stack plane, no walk: never overlapped)
    { ...base, ih: 7, iw: 8, ic: 20, oc: 20, group: 20, w16: true, bigBias: true }, // dwconv16 (int64 sums), 16 + 4 channels
    { ...base, ih: 7, iw: 6, ic: 4, oc: 12, group: 4, sh: 2, sw: 2, w16: true, bigBias: true }, // dwconv16 multiplier 3, stride 2
    { ...base, ih: 7, iw: 8, ic: 20, oc: 20, group: 20, w16: true }, // dwconv16i (int32 sums): 3x3 inside windows and borders
    { ...base, ih: 7, iw: 6, ic: 4, oc: 12, group: 4, sh: 2, sw: 2, w16: true }, // dwconv16i multiplier 3, stride 2
    { ...base, ih: 9, iw: 9, ic: 5, oc: 5, group: 5, kh: 5, kw: 5, dh: 2, dw: 2, pads: [4, 4, 4, 4], w16: true }, // dwconv16i 5x5 dilated
    { ...base, ih: 7, iw: 7, ic: 6, oc: 9, group: 3, w16: true }, // conv16, grouped
  ];
  const r = rng(4242);
  const pick = <T,>(a: T[]) => a[Math.floor(r() * a.length)];
  const rand: ConvCase[] = [];
  while (rand.length < 10) {
    const kind = pick(['1x1', 'conv', 'dw', 'group']);
    const k = kind === '1x1' ? 1 : pick([1, 3, 3, 5]);
    const s = kind === '1x1' ? 1 : pick([1, 2]);
    const d = kind === '1x1' || k === 1 ? 1 : pick([1, 1, 2]);
    const p = kind === '1x1' ? 0 : pick([0, 1, 2]);
    const ic = kind === 'group' ? 2 * (1 + Math.floor(r() * 4)) : 1 + Math.floor(r() * 20);
    const group = kind === 'dw' ? ic : kind === 'group' ? 2 : 1;
    const oc = kind === 'dw' ? ic * pick([1, 1, 2, 3]) : kind === 'group' ? 2 * (1 + Math.floor(r() * 6)) : 1 + Math.floor(r() * 24);
    const ih = 3 + Math.floor(r() * 9);
    const iw = 3 + Math.floor(r() * 9);
    const c: ConvCase = { ih, iw, ic, oc, kh: k, kw: k, sh: s, sw: s, dh: d, dw: kind === 'conv' ? 1 : d, pads: [p, p, p + (s - 1), p], group };
    if (ih + 2 * p < d * (k - 1) + 1 || iw + 2 * p < d * (k - 1) + 1) continue;
    rand.push(c);
  }
  return [...fixed, ...rand];
}

test('conv layers run byte-exact with the output at each end of the overlap its kernel walk allows', async (t) => {
  if (!hasTool('gcc')) {
    if (process.env.CI === 'true') throw new Error('gcc missing under CI');
    t.skip('gcc not found (EF4002)');
    return;
  }
  const models: HarnessModel[] = [];
  const expected: number[][][][] = [];
  const pinnedOnly: boolean[] = [];
  const kernelsSeen = new Set<string>();
  let pinned = 0;
  const graphs: { g: Graph; label: string; pins: ('below' | 'above')[] }[] = [
    ...cases().map((c, ci) => ({ g: convGraph(c, 100 + ci), label: `conv ${JSON.stringify(c)}`, pins: ['below', 'above'] as ('below' | 'above')[] })),
    // element-wise ops over a dense input 0: the output may sit exactly on it (below = 0)
    ...(['Add', 'Sub', 'Mul'] as const).flatMap((op) =>
      (['int8', 'int16'] as const).map((dt) => ({ g: binaryGraph(op, [1, 5, 7, 3], dt), label: `${op} ${dt}`, pins: ['below'] as ('below' | 'above')[] })),
    ),
  ];
  graphs.forEach(({ g, label, pins }, ci) => {
    const bytes = (id: number) => shapeSize(g.tensors[id].shape) * dtypeSize(g.tensors[id].dtype);
    const golden = [0, 1].map((k) => {
      const inputs = g.inputs.map((id, j) => pseudoRandomInput(shapeSize(g.tensors[id].shape), g.tensors[id].dtype, 700 + 13 * ci + 5 * j + k));
      return { name: `c${k}`, inputs, expected: simulate(g, inputs) };
    });
    const variants: { tag: string; e: ReturnType<typeof emitC> }[] = [
      { tag: 'none', e: emitC(g, { name: `ov${ci}n`, overlap: false }) },
      { tag: 'best', e: emitC(g, { name: `ov${ci}b` }) },
      ...pins.map((pin) => ({ tag: pin, e: emitC(g, { name: `ov${ci}${pin === 'below' ? 'lo' : 'hi'}`, planAlignment: dtypeSize(g.tensors[g.inputs[0]].dtype), overlapAt: pin }) })),
    ];
    assert.equal(variants[0].e.plan.overlaps.length, 0, `${label}: overlap off`);
    for (const v of variants.slice(2)) {
      const ov = v.e.plan.overlaps;
      if (ov.length === 0) {
        // a kernel that declares no walk: never overlapped, whatever the plan was asked
        const k = v.e.layers[0].kernel;
        assert.ok(k === 'convb16i' || k === 'dwn' || (k === 'dwc' && g.nodes[0].attrs.strides !== undefined && (g.nodes[0].attrs.strides as number[])[1] === 1), `${label} ${v.tag}: ${k} declares a walk but is no overlap pair`);
        continue;
      }
      assert.equal(ov.length, 1, `${label} ${v.tag}: the layer is an overlap pair`);
      const sizeIn = bytes(g.inputs[0]);
      const sizeOut = bytes(g.outputs[0]);
      const clamp = (d: number) => Math.min(Math.max(d, -sizeOut), sizeIn);
      const [lo, hi] = [clamp(ov[0].range.below), clamp(ov[0].range.above)];
      if (lo < hi) assert.equal(ov[0].d, v.tag === 'below' ? lo : hi, `${label} ${v.tag}: pinned at the end of the range`);
      if (ov[0].overlapping) {
        pinned++;
        kernelsSeen.add(v.e.layers[0].kernel);
      }
    }
    // the planner's own choice is never worse than the disjoint plan
    assert.ok(variants[1].e.plan.arenaSize <= variants[0].e.plan.arenaSize, `${label}: overlap plan not larger`);
    for (const v of variants) {
      models.push({ dir: `m${ci}${v.tag}`, files: v.e.files, spec: harnessSpec(g, v.e.prefix), cases: golden.map(({ name, inputs }) => ({ name, inputs })) });
      expected.push(golden.map((gc) => gc.expected));
      pinnedOnly.push(v.tag === 'below' || v.tag === 'above');
    }
  });
  // every kernel with a declared walk ran overlapped
  for (const k of ['gemmr', 'convb', 'conv', 'dwconv', 'dwc', 'conv16', 'convb16', 'dwconv16', 'dwconv16i', 'add', 'add16', 'mul', 'mul16']) assert.ok(kernelsSeen.has(k), `kernel ${k} ran with an overlapped output (${[...kernelsSeen].join(',')})`);
  t.diagnostic(`${models.length} builds, ${pinned} pinned overlapped runs`);
  const targets: ('host' | 'host-sanitize' | 'rv32')[] = ['host', 'host-sanitize'];
  if (hasTool(RV32_GCC) && hasTool(QEMU_RV32)) targets.push('rv32');
  // all four plans at -O2; the two pinned ones (the runs that can catch a wrong walk) also under ASan/UBSan and rv32
  for (const target of targets) {
    const pick = models.map((_, mi) => mi).filter((mi) => target === 'host' || pinnedOnly[mi]);
    const outs = await runMany(pick.map((mi) => models[mi]), target);
    outs.forEach((mo, j) =>
      mo.forEach((co, k) => assert.deepEqual(Array.from(co[0]), expected[pick[j]][k][0], `${target}: ${models[pick[j]].dir} case ${k}: C vs simulator`)),
    );
  }
});
