// The TFLite forms of GELU, TRANSPOSE_CONV and RESIZE_BILINEAR (issue #16: our own .tflite as a first-class input).
// Small int8 graphs are quantized here, written by the writer, decoded by flatc with schema/tflite.fbs (so the file
// is a TFLite file by the schema, not just by our reader) and checked field by field against facts stated in this
// test: the builtin codes and option tables TFLite defines, the TRANSPOSE_CONV input order (output_shape, weights
// [Cout,KH,KW,Cin], input, bias), the weights re-laid out by an index map written here, per-channel quantization
// on axis 0, operator versions as the converter's op_version assigns them. Re-imported, each graph has the same
// nodes and attributes as the source and simulates to the same integers; without espforge's metadata (a foreign
// reader's view) it still simulates to the same integers. Forms TFLite lacks are refused with the reason.

import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EspforgeError } from '../../src/diagnostics.js';
import { shapeSize } from '../../src/ir/dtype.js';
import { GraphBuilder, type Attrs, type Graph } from '../../src/ir/graph.js';
import { getOp, normalizeAttrs } from '../../src/ops/index.js';
import { inferGraph } from '../../src/ops/infer.js';
import type { Value } from '../../src/ops/types.js';
import { quantizeModel } from '../../src/quant/ptq.js';
import { prepareIntGraph } from '../../src/sim/int.js';
import { runFloat } from '../../src/sim/float.js';
import { buildProject, pseudoRandomInput, simulate } from '../../src/pipeline/build.js';
import { importTflite } from '../../src/import/tflite/index.js';
import { exportTflite } from '../../src/import/tflite/writer.js';
import { readModel } from '../../src/import/tflite/reader.js';
import { NODE_ATTRS_METADATA } from '../../src/import/tflite/common.js';
import { REPO_ROOT } from '../helpers/shared.js';
import { rng } from '../helpers/rng.js';

const R = rng(1607);
const X = [1, 5, 6, 4];

type Layer = { op: string; inputs: number[]; attrs: Attrs };

function build(f: (b: GraphBuilder, x: number, w: (shape: number[]) => number) => Layer[]): Graph {
  const b = new GraphBuilder({ format: 'espforge', source: 'forms' });
  const x = b.tensor({ name: 'x', dtype: 'float32', shape: X });
  b.inputs = [x];
  let k = 0;
  const w = (shape: number[]) => b.constant(`w${k++}`, 'float32', shape, Float32Array.from({ length: shapeSize(shape) }, () => R() * 2 - 1));
  for (const [i, n] of f(b, x, w).entries()) {
    const y = b.tensor({ name: `y${i}`, dtype: 'float32', shape: [] });
    b.node({ op: n.op, name: `n${i}`, inputs: n.inputs, outputs: [y], attrs: n.attrs });
    b.outputs.push(y);
  }
  return inferGraph(b.build());
}

const calib = (n: number): Value[][] =>
  Array.from({ length: n }, () => [{ dtype: 'float32', shape: X, data: Float32Array.from({ length: shapeSize(X) }, () => R() * 6 - 3) }]);

async function int8(g: Graph): Promise<Graph> {
  return (await quantizeModel(g, calib(8), { scheme: 'int8' })).graph;
}

function flatcJson(t: TestContext, bytes: Uint8Array): any {
  if (spawnSync('flatc', ['--version']).status !== 0) {
    if (process.env.CI === 'true') throw new Error('flatc missing under CI');
    t.skip('flatc not installed');
    return undefined;
  }
  const dir = mkdtempSync(join(tmpdir(), 'espforge-forms-'));
  try {
    writeFileSync(join(dir, 'm.tflite'), bytes);
    execFileSync('flatc', ['--json', '--raw-binary', '--strict-json', '--defaults-json', '-o', dir, join(REPO_ROOT, 'schema/tflite.fbs'), '--', join(dir, 'm.tflite')]);
    return JSON.parse(readFileSync(join(dir, 'm.json'), 'utf8'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The operators of a flatc-decoded model: builtin code name, version, options type and table, inputs, outputs. */
function ops(j: any) {
  return j.subgraphs[0].operators.map((o: any) => {
    const c = j.operator_codes[o.opcode_index ?? 0];
    return { code: c.builtin_code, deprecated: c.deprecated_builtin_code, version: c.version, type: o.builtin_options_type, opts: o.builtin_options, inputs: o.inputs, outputs: o.outputs };
  });
}

/** Nodes as op, name and attributes with their defaults filled in (what the build sees). */
function nodes(g: Graph) {
  return g.nodes.map((n) => ({ op: n.op, name: n.name, attrs: normalizeAttrs(getOp(n.op), n.attrs, n.name) }));
}

function sameIntegers(a: Graph, b: Graph, label: string): void {
  const pa = prepareIntGraph(a);
  const pb = prepareIntGraph(b);
  for (let k = 0; k < 3; k++) {
    const inputs = pa.inputs.map((id, j) => pseudoRandomInput(shapeSize(pa.tensors[id].shape), pa.tensors[id].dtype, 31 * k + j + 1));
    assert.deepEqual(simulate(pb, inputs), simulate(pa, inputs), `${label}: case ${k}`);
  }
}

/** Both graphs build to the same ESP-IDF project, byte for byte, with the same arena (tflite-roundtrip's rule). */
function sameBuild(a: Graph, b: Graph, label: string): void {
  const opts = { target: 'esp32', dryRun: true, name: 'model' } as const;
  const pa = buildProject(a, opts);
  const pb = buildProject({ ...b, meta: { ...b.meta, source: a.meta.source } }, opts);
  assert.ok(pa.ok && pb.ok, `${label}: ${[...pa.diagnostics, ...pb.diagnostics].map((d) => d.message).join('; ')}`);
  assert.equal(pb.report!.arenaBytes, pa.report!.arenaBytes, `${label}: arena`);
  const names = [...new Set([...Object.keys(pa.files), ...Object.keys(pb.files)])];
  assert.deepEqual(names.filter((k) => pa.files[k] !== pb.files[k]), [], `${label}: project files differ`);
}

/** The file with espforge's per-operator attribute record made unreadable: what a reader without it builds. */
function withoutAttrRecord(bytes: Uint8Array): Uint8Array {
  const out = bytes.slice();
  const { model } = readModel(out, 'x.tflite');
  const b = model.metadata.get(NODE_ATTRS_METADATA);
  assert.ok(b !== undefined, 'the writer recorded node attributes');
  out[model.buffers[b].start] = 'x'.charCodeAt(0);
  return out;
}

function signedBytes(j: any, tensor: any): number[] {
  return (j.buffers[tensor.buffer].data as number[]).map((v) => (v << 24) >> 24);
}

test('Gelu → GELU with GeluOptions.approximate, version 2 (int8); re-imports to the same nodes, integers and C project', async (t) => {
  const q = await int8(build((_b, x): Layer[] => [
    { op: 'Gelu', inputs: [x], attrs: {} },
    { op: 'Gelu', inputs: [x], attrs: { approximate: 'tanh' } },
  ]));
  const bytes = exportTflite(q);
  const back = importTflite(bytes, 'gelu.tflite');
  assert.deepEqual(nodes(back), nodes(q));
  sameIntegers(q, back, 'gelu');
  sameBuild(q, back, 'gelu');
  const j = flatcJson(t, bytes);
  if (!j) return;
  const o = ops(j);
  assert.deepEqual(o.map((x: any) => [x.code, x.deprecated, x.version, x.type]), [
    ['GELU', 127, 2, 'GeluOptions'],
    ['GELU', 127, 2, 'GeluOptions'],
  ]);
  assert.deepEqual(o.map((x: any) => x.opts.approximate), [false, true]);
});

test('ConvTranspose → TRANSPOSE_CONV: input order, [Cout,KH,KW,Cin] weights on axis 0, SAME / VALID, dilated taps spread with zeros, zero taps before or after the filter for pads SAME does not give (PyTorch k3 s2 p1 op1); same nodes, integers and C project', async (t) => {
  const q = await int8(build((_b, x, w): Layer[] => {
    return [
      // k 4, stride 2, pads 1: the output starts at pad 1, which is TFLite's SAME on the 10x12 output
      { op: 'ConvTranspose', inputs: [x, w([4, 4, 4, 3]), w([3])], attrs: { strides: [2, 2], pads: [1, 1, 1, 1] } },
      // k 2, stride 2, no pads (PyTorch's 2x upsampler), fused relu: VALID, version 4
      { op: 'ConvTranspose', inputs: [x, w([4, 2, 2, 5]), w([5])], attrs: { strides: [2, 2], activation: 'relu' } },
      // dilation [2, 1], pads at the end only and an output_padding: VALID with a 3x3 filter holding zeros on row 1
      { op: 'ConvTranspose', inputs: [x, w([4, 2, 3, 2])], attrs: { dilations: [2, 1], pads: [0, 0, 1, 0], output_padding: [0, 1] } },
      // PyTorch's ConvTranspose2d(k=3, stride=2, padding=1, output_padding=1): SAME starts this 10x12 output at 0,
      // the layer at 1, so the file's filter is 4x4 with a zero last row and column
      { op: 'ConvTranspose', inputs: [x, w([4, 3, 3, 3]), w([3])], attrs: { strides: [2, 2], pads: [1, 1, 1, 1], output_padding: [1, 1] } },
      // pads [0, 1, 2, 1], stride 1: SAME starts the 5x6 output at 1 on both axes, the layer at 0 on H (a zero first row)
      { op: 'ConvTranspose', inputs: [x, w([4, 3, 3, 2])], attrs: { pads: [0, 1, 2, 1] } },
    ];
  }));
  const bytes = exportTflite(q);
  const back = importTflite(bytes, 'ct.tflite');
  assert.deepEqual(nodes(back), nodes(q));
  sameIntegers(q, back, 'ConvTranspose');
  sameBuild(q, back, 'ConvTranspose');
  // a reader without espforge's record sees pads it derives itself (and an undilated filter): same integers
  const foreign = importTflite(withoutAttrRecord(bytes), 'ct-foreign.tflite');
  assert.deepEqual(foreign.nodes.map((n) => n.attrs.dilations), [[1, 1], [1, 1], [1, 1], [1, 1], [1, 1]]);
  sameIntegers(q, foreign, 'ConvTranspose without the attribute record');

  const j = flatcJson(t, bytes);
  if (!j) return;
  const sg = j.subgraphs[0];
  const tc = ops(j).filter((o: any) => o.code === 'TRANSPOSE_CONV');
  assert.equal(tc.length, 5);
  assert.deepEqual(tc.map((o: any) => [o.type, o.opts.padding, o.opts.stride_h, o.opts.stride_w, o.opts.fused_activation_function, o.version]), [
    ['TransposeConvOptions', 'SAME', 2, 2, 'NONE', 3], // with bias: version 3
    ['TransposeConvOptions', 'VALID', 2, 2, 'RELU', 4], // fused activation: version 4
    ['TransposeConvOptions', 'VALID', 1, 1, 'NONE', 2], // int8, no bias: version 2
    ['TransposeConvOptions', 'SAME', 2, 2, 'NONE', 3],
    ['TransposeConvOptions', 'SAME', 1, 1, 'NONE', 2],
  ]);
  // file filter extents: dilated taps spread, zero taps added where the pads are not SAME's
  const fileK = [[4, 4], [2, 2], [3, 3], [4, 4], [4, 3]];
  // where the IR's tap (0, 0) sits in the file's filter
  const lead = [[0, 0], [0, 0], [0, 0], [0, 0], [1, 0]];
  const irNodes = q.nodes.filter((n) => n.op === 'ConvTranspose');
  tc.forEach((o: any, k: number) => {
    // input 0: the output shape as an int32 constant; input 2: the data input
    const os = sg.tensors[o.inputs[0]];
    assert.equal(os.type, 'INT32');
    const shape = Array.from(new Int32Array(Uint8Array.from(j.buffers[os.buffer].data).buffer));
    assert.deepEqual(shape, sg.tensors[o.outputs[0]].shape, `op ${k}: output_shape`);
    assert.deepEqual(shape, q.tensors[irNodes[k].outputs[0]].shape, `op ${k}: output_shape is the IR output's`);
    assert.equal(q.tensors.find((x) => x.name === sg.tensors[o.inputs[2]].name)?.id, irNodes[k].inputs[0]);
    // weights [Cout,KH,KW,Cin], int8, one scale per output channel on axis 0; bias int32
    const wt = sg.tensors[o.inputs[1]];
    const irW = q.tensors[irNodes[k].inputs[1]];
    const [Ci, KH, KW, Co] = irW.shape;
    const d = (irNodes[k].attrs.dilations as number[] | undefined) ?? [1, 1];
    const [EH, EW] = fileK[k];
    assert.deepEqual(wt.shape, [Co, EH, EW, Ci], `op ${k}: weight shape`);
    const [lh, lw] = lead[k];
    assert.equal(wt.type, 'INT8');
    assert.equal(wt.quantization.quantized_dimension, 0);
    assert.equal(wt.quantization.scale.length, Co);
    const got = signedBytes(j, wt);
    const want = new Array<number>(Co * EH * EW * Ci).fill(0);
    for (let co = 0; co < Co; co++)
      for (let ky = 0; ky < KH; ky++)
        for (let kx = 0; kx < KW; kx++)
          for (let ci = 0; ci < Ci; ci++) want[((co * EH + lh + ky * d[0]) * EW + lw + kx * d[1]) * Ci + ci] = irW.data![((ci * KH + ky) * KW + kx) * Co + co];
    assert.deepEqual(got, want, `op ${k}: weights re-laid out`);
    if (o.inputs[3] >= 0) assert.equal(sg.tensors[o.inputs[3]].type, 'INT32');
  });
});

test('bilinear Resize → RESIZE_BILINEAR: align_corners / half_pixel_centers as the coordinate mode says (pytorch_half_pixel is half_pixel_centers at output > 1); same nodes, integers and C project', async (t) => {
  const fg = build((_b, x): Layer[] => [
    { op: 'Resize', inputs: [x], attrs: { mode: 'linear', coordinate_transformation_mode: 'pytorch_half_pixel', nearest_mode: 'floor', sizes: [1, 10, 12, 4], scales: [1, 2, 2, 1] } },
    { op: 'Resize', inputs: [x], attrs: { mode: 'linear', coordinate_transformation_mode: 'align_corners', sizes: [1, 9, 11, 4] } },
    { op: 'Resize', inputs: [x], attrs: { mode: 'linear', coordinate_transformation_mode: 'asymmetric', sizes: [1, 10, 12, 4] } },
    { op: 'Resize', inputs: [x], attrs: { mode: 'linear', coordinate_transformation_mode: 'half_pixel', sizes: [1, 3, 4, 4] } },
  ]);
  const q = await int8(fg);
  const bytes = exportTflite(q);
  const back = importTflite(bytes, 'rb.tflite');
  assert.deepEqual(nodes(back), nodes(q));
  sameIntegers(q, back, 'RESIZE_BILINEAR');
  sameBuild(q, back, 'RESIZE_BILINEAR');
  const foreign = importTflite(withoutAttrRecord(bytes), 'rb-foreign.tflite');
  assert.deepEqual(foreign.nodes.map((n) => n.attrs.coordinate_transformation_mode), ['half_pixel', 'align_corners', 'asymmetric', 'half_pixel']);
  sameIntegers(q, foreign, 'RESIZE_BILINEAR without the attribute record');
  const j = flatcJson(t, bytes);
  if (!j) return;
  const sg = j.subgraphs[0];
  const o = ops(j);
  assert.deepEqual(o.map((x: any) => [x.code, x.type, x.opts.align_corners, x.opts.half_pixel_centers, x.version]), [
    ['RESIZE_BILINEAR', 'ResizeBilinearOptions', false, true, 3], // half_pixel_centers: version 3
    ['RESIZE_BILINEAR', 'ResizeBilinearOptions', true, false, 2], // int8: version 2
    ['RESIZE_BILINEAR', 'ResizeBilinearOptions', false, false, 2],
    ['RESIZE_BILINEAR', 'ResizeBilinearOptions', false, true, 3],
  ]);
  // input 1: the output [height, width] as an int32 constant
  const sizes = o.map((x: any) => Array.from(new Int32Array(Uint8Array.from(j.buffers[sg.tensors[x.inputs[1]].buffer].data).buffer)));
  assert.deepEqual(sizes, [[10, 12], [9, 11], [10, 12], [3, 4]]);
  // 16x8: int16 RESIZE_BILINEAR is version 4 whatever its options; the twin runs to the same integers
  const q16 = (await quantizeModel(fg, calib(8), { scheme: 'int16' })).graph;
  assert.ok(q16.nodes.filter((n) => n.op === 'Resize').every((n) => q16.tensors[n.inputs[0]].dtype === 'int16'));
  const b16 = exportTflite(q16);
  sameIntegers(q16, importTflite(b16, 'rb16.tflite'), 'RESIZE_BILINEAR 16x8');
  const j16 = flatcJson(t, b16);
  assert.deepEqual(ops(j16).filter((x: any) => x.code === 'RESIZE_BILINEAR').map((x: any) => x.version), [4, 4, 4, 4]);
});

test('forms TFLite lacks are refused with the reason: other bilinear coordinate modes, grouped ConvTranspose, HardSigmoid, LayerNormalization', () => {
  const refused = (g: Graph, code: string, re: RegExp, label: string) =>
    assert.throws(() => exportTflite(g), (e: unknown) => e instanceof EspforgeError && e.diagnostics[0].code === code && re.test(e.message), label);
  const lin = (ctm: string, sizes: number[], extra: Attrs = {}) => build((_b, x): Layer[] => [{ op: 'Resize', inputs: [x], attrs: { mode: 'linear', coordinate_transformation_mode: ctm, sizes, ...extra } }]);
  refused(lin('half_pixel_symmetric', [1, 10, 12, 4]), 'EF2003', /Resize \(linear, half_pixel_symmetric\) has no TFLite form: .*not 'half_pixel_symmetric'/, 'half_pixel_symmetric');
  refused(lin('pytorch_half_pixel', [1, 1, 12, 4]), 'EF2003', /Resize \(linear, pytorch_half_pixel\) has no TFLite form: .*output extent is > 1; this output is 1x12/, 'pytorch_half_pixel to one row');
  refused(lin('half_pixel', [1, 10, 12, 4], { scales: [1, 2.1, 2, 1] }), 'EF2003', /scales \[1,2\.1,2,1\] are not output\/input/, 'scales other than out/in');
  refused(
    build((_b, x, w): Layer[] => [{ op: 'ConvTranspose', inputs: [x, w([4, 3, 3, 1])], attrs: { group: 2 } }]),
    'EF2003',
    /grouped ConvTranspose has no TFLite form \(TRANSPOSE_CONV has no groups\)/,
    'grouped ConvTranspose',
  );
  refused(build((_b, x): Layer[] => [{ op: 'HardSigmoid', inputs: [x], attrs: {} }]), 'EF2002', /HardSigmoid \(node 'n0'\): TFLite has no HARD_SIGMOID builtin/, 'HardSigmoid');
  refused(
    build((_b, x, w): Layer[] => [{ op: 'LayerNormalization', inputs: [x, w([4])], attrs: {} }]),
    'EF2002',
    /LayerNormalization \(node 'n0'\): TFLite has no LAYER_NORM builtin/,
    'LayerNormalization',
  );
  // and the suggestion says what to do instead
  try {
    exportTflite(build((_b, x): Layer[] => [{ op: 'HardSigmoid', inputs: [x], attrs: {} }]));
  } catch (e) {
    assert.match(String((e as EspforgeError).diagnostics[0].suggestion), /espforge build MODEL --calib DATA/);
  }
});

// ---------------------------------------------------------------- TFLite's own rules, transcribed here

const f32Of = (j: any, tensor: any): Float32Array => new Float32Array(Uint8Array.from(j.buffers[tensor.buffer].data as number[]).buffer);
const i32Of = (j: any, tensor: any): number[] => Array.from(new Int32Array(Uint8Array.from(j.buffers[tensor.buffer].data as number[]).buffer));

/** TFLite reference TransposeConv (float): out[y·s − pad + fy] += in[y]·w[oc,fy,fx,ic]; pad from the output extent. */
function tfliteTransposeConv(x: Value, w: Float32Array, ws: number[], bias: Float32Array | undefined, os: number[], opts: any): Float64Array {
  const [N, H, W, Ci] = x.shape;
  const [Co, KH, KW] = ws;
  const [, OH, OW] = os;
  const pad = (o: number, k: number, s: number) => {
    if (opts.padding !== 'SAME') return 0;
    const fwdOut = Math.floor((o + s - 1) / s);
    return Math.floor(Math.max((fwdOut - 1) * s + k - o, 0) / 2);
  };
  const [ph, pw] = [pad(OH, KH, opts.stride_h), pad(OW, KW, opts.stride_w)];
  const out = new Float64Array(N * OH * OW * Co);
  for (let n = 0; n < N; n++)
    for (let iy = 0; iy < H; iy++)
      for (let ix = 0; ix < W; ix++)
        for (let ic = 0; ic < Ci; ic++)
          for (let fy = 0; fy < KH; fy++)
            for (let fx = 0; fx < KW; fx++) {
              const oy = iy * opts.stride_h - ph + fy;
              const ox = ix * opts.stride_w - pw + fx;
              if (oy < 0 || oy >= OH || ox < 0 || ox >= OW) continue;
              for (let oc = 0; oc < Co; oc++) out[((n * OH + oy) * OW + ox) * Co + oc] += Number(x.data[((n * H + iy) * W + ix) * Ci + ic]) * w[((oc * KH + fy) * KW + fx) * Ci + ic];
            }
  for (let i = 0; i < out.length; i++) {
    if (bias) out[i] += bias[i % Co];
    if (opts.fused_activation_function === 'RELU') out[i] = Math.max(out[i], 0);
  }
  return out;
}

/** TFLite reference ResizeBilinear (float): per-axis scale in/out ((in−1)/(out−1) with align_corners), half-pixel centres. */
function tfliteResizeBilinear(x: Value, OH: number, OW: number, opts: any): Float64Array {
  const [N, H, W, C] = x.shape;
  const scale = (i: number, o: number) => (opts.align_corners && o > 1 ? (i - 1) / (o - 1) : i / o);
  const interp = (v: number, s: number, size: number) => {
    const sv = opts.half_pixel_centers ? (v + 0.5) * s - 0.5 : v * s;
    return [sv, Math.max(Math.floor(sv), 0), Math.min(Math.ceil(sv), size - 1)];
  };
  const out = new Float64Array(N * OH * OW * C);
  const at = (n: number, y: number, xx: number, c: number) => Number(x.data[((n * H + y) * W + xx) * C + c]);
  for (let n = 0; n < N; n++)
    for (let y = 0; y < OH; y++) {
      const [iy, y0, y1] = interp(y, scale(H, OH), H);
      for (let xx = 0; xx < OW; xx++) {
        const [ix, x0, x1] = interp(xx, scale(W, OW), W);
        for (let c = 0; c < C; c++)
          out[((n * OH + y) * OW + xx) * C + c] =
            at(n, y0, x0, c) * (1 - (iy - y0)) * (1 - (ix - x0)) + at(n, y1, x0, c) * (iy - y0) * (1 - (ix - x0)) + at(n, y0, x1, c) * (1 - (iy - y0)) * (ix - x0) + at(n, y1, x1, c) * (iy - y0) * (ix - x0);
      }
    }
  return out;
}

test('float: the written TRANSPOSE_CONV and RESIZE_BILINEAR, computed by TFLite reference rules from what flatc decodes, give the source graph outputs', (t) => {
  const g = build((_b, x, w): Layer[] => [
    { op: 'ConvTranspose', inputs: [x, w([4, 4, 4, 3]), w([3])], attrs: { strides: [2, 2], pads: [1, 1, 1, 1] } },
    { op: 'ConvTranspose', inputs: [x, w([4, 2, 2, 5]), w([5])], attrs: { strides: [2, 2], activation: 'relu' } },
    { op: 'ConvTranspose', inputs: [x, w([4, 2, 3, 2])], attrs: { dilations: [2, 1], pads: [0, 0, 1, 0], output_padding: [0, 1] } },
    { op: 'ConvTranspose', inputs: [x, w([4, 3, 3, 2])], attrs: { strides: [2, 3], pads: [1, 1, 1, 1] } }, // 9x16: SAME starts at 1 on both axes
    { op: 'ConvTranspose', inputs: [x, w([4, 3, 3, 3]), w([3])], attrs: { strides: [2, 2], pads: [1, 1, 1, 1], output_padding: [1, 1] } }, // PyTorch's 2x upsampler
    { op: 'ConvTranspose', inputs: [x, w([4, 3, 3, 2])], attrs: { pads: [0, 1, 2, 1] } },
    { op: 'ConvTranspose', inputs: [x, w([4, 3, 2, 2])], attrs: { strides: [3, 2], dilations: [1, 2], pads: [2, 0, 0, 3], output_padding: [1, 0] } },
    { op: 'Resize', inputs: [x], attrs: { mode: 'linear', coordinate_transformation_mode: 'pytorch_half_pixel', sizes: [1, 10, 12, 4], scales: [1, 2, 2, 1] } },
    { op: 'Resize', inputs: [x], attrs: { mode: 'linear', coordinate_transformation_mode: 'align_corners', sizes: [1, 9, 11, 4] } },
    { op: 'Resize', inputs: [x], attrs: { mode: 'linear', coordinate_transformation_mode: 'asymmetric', sizes: [1, 7, 8, 4] } },
    { op: 'Resize', inputs: [x], attrs: { mode: 'linear', coordinate_transformation_mode: 'half_pixel', sizes: [1, 3, 4, 4] } },
  ]);
  const j = flatcJson(t, exportTflite(g));
  if (!j) return;
  const x: Value = { dtype: 'float32', shape: X, data: Float32Array.from({ length: shapeSize(X) }, () => R() * 4 - 2) };
  const want = runFloat(g, [x]).outputs;
  const sg = j.subgraphs[0];
  const got = new Map<number, Float64Array>();
  for (const o of ops(j)) {
    const os = sg.tensors[o.outputs[0]].shape;
    if (o.code === 'TRANSPOSE_CONV') {
      assert.deepEqual(i32Of(j, sg.tensors[o.inputs[0]]), os);
      const wt = sg.tensors[o.inputs[1]];
      got.set(o.outputs[0], tfliteTransposeConv(x, f32Of(j, wt), wt.shape, o.inputs[3] >= 0 ? f32Of(j, sg.tensors[o.inputs[3]]) : undefined, os, o.opts));
    } else {
      assert.equal(o.code, 'RESIZE_BILINEAR');
      const [OH, OW] = i32Of(j, sg.tensors[o.inputs[1]]);
      got.set(o.outputs[0], tfliteResizeBilinear(x, OH, OW, o.opts));
    }
  }
  assert.equal(sg.outputs.length, want.length);
  sg.outputs.forEach((ti: number, k: number) => {
    const r = got.get(ti)!;
    assert.deepEqual(sg.tensors[ti].shape, want[k].shape, `output ${k}`);
    const bad = Array.from(want[k].data).findIndex((v, i) => !(Math.abs(Number(v) - r[i]) <= 1e-5 * (1 + Math.abs(r[i]))));
    assert.equal(bad, -1, `output ${k} (${g.nodes[k].op}): element ${bad}: graph ${want[k].data[bad]}, TFLite rules ${r[bad]}`);
  });
});
