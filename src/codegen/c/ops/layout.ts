// Portable C lowering: Data movement: Reshape / Identity (bytes unchanged), Transpose, Pad, Concat, Slice, Gather, Resize (nearest).

import { fail } from '../../../diagnostics.js';
import { shapeSize } from '../../../ir/dtype.js';
import { interp10 } from '../../../arith/resize10.js';
import { num, arr, checkMult, attrNums, same16, operand, sourceIndex, type CLowering, type LayerCode, type LowerCtx } from '../lowering.js';

function emitCopy(c: LowerCtx): LayerCode {
  const { P, X, Y, ptr, cptr, consts } = c;
  return {
    kernel: ['copy'],
    call: `    ${P}_copy(${ptr(Y.id)}, ${cptr(X.id)}, ${shapeSize(X.shape) * (X.dtype === 'int16' ? 2 : 1)}); /* no-op when the plan aliased the two */`,
    consts,
    notes: ['bytes unchanged'],
  };
}

function emitTranspose(c: LowerCtx): LayerCode {
  const { n, i, P, L, X, Y, ptr, cptr, consts } = c;
  const r = X.shape.length;
  if (r > 4) fail('EF3002', `Transpose of a rank-${r} tensor has no C kernel (rank <= 4)`, { node: n.name });
  const perm = attrNums(n, 'perm', X.shape.map((_, k) => r - 1 - k));
  const inStr = X.shape.map((_, k) => shapeSize(X.shape.slice(k + 1)));
  const dims = [...new Array(4 - r).fill(1), ...perm.map((p) => X.shape[p])];
  const st = [...new Array(4 - r).fill(0), ...perm.map((p) => inStr[p])];
  consts.push({ sym: `${L}_tr`, ctype: 'int32_t', data: [...dims, ...st], comment: `layer ${i}: output dims[4], input element strides of the output axes[4] (perm ${perm.join(',')})`, where: 'model' });
  const es = X.dtype === 'int16' ? 2 : 1;
  const call = `    ${P}_transpose(${cptr(X.id)}, ${ptr(Y.id)}, ${L}_tr, ${L}_tr + 4, ${es});`;
  return { kernel: ['transpose'], call, consts, notes: [`perm [${perm.join(',')}]`] };
}

function emitPad(c: LowerCtx): LayerCode {
  const { n, i, P, L, q, X, Y, ptr, cptr, consts } = c;
  const r = X.shape.length;
  if (r > 4 || r < 1) fail('EF3002', `Pad of a rank-${r} tensor has no C kernel (ranks 1 to 4)`, { node: n.name });
  if (((n.attrs.mode as string | undefined) ?? 'constant') !== 'constant') fail('EF3002', 'only constant Pad has a C kernel', { node: n.name });
  // ranks below 4 run as 4-D with leading unit axes (no padding on them)
  const p0 = attrNums(n, 'pads', new Array(2 * r).fill(0));
  const lead = new Array(4 - r).fill(0);
  const pads = [...lead, ...p0.slice(0, r), ...lead, ...p0.slice(r)];
  const X4 = [...new Array(4 - r).fill(1), ...X.shape];
  const Y4 = [...new Array(4 - r).fill(1), ...Y.shape];
  if (pads.some((v) => v < 0)) fail('EF3002', 'Pad with negative pads (cropping) has no C kernel', { node: n.name });
  const value = num(q, 'pad_value', n);
  consts.push({ sym: `${L}_dims`, ctype: 'int32_t', data: [...X4, ...Y4, ...pads.slice(0, 4)], comment: `layer ${i}: input dims, output dims, pads before (4-D)`, where: 'model' });
  if (X.dtype === 'int16' || Y.dtype === 'int16') {
    same16(c);
    const call16 = `    ${P}_pad_s16(${cptr(X.id, 'int16_t')}, ${L}_dims, ${ptr(Y.id, 'int16_t')}, ${L}_dims + 4, ${L}_dims + 8, ${value});`;
    return { kernel: ['pad16'], call: call16, consts, notes: [`filled with ${value}`] };
  }
  const call = `    ${P}_pad_s8(${cptr(X.id)}, ${L}_dims, ${ptr(Y.id)}, ${L}_dims + 4, ${L}_dims + 8, ${value});`;
  return { kernel: ['pad'], call, consts, notes: [`filled with ${value}`] };
}

function emitConcat(c: LowerCtx): LayerCode {
  const { n, P, q, T, Y, ptr, consts, notes } = c;
  const r = Y.shape.length;
  const axis = (((n.attrs.axis as number) ?? 0) + r) % r;
  const outer = shapeSize(Y.shape.slice(0, axis));
  const inner = shapeSize(Y.shape.slice(axis + 1));
  const ins = n.inputs.filter((id) => id >= 0);
  const rq = arr(q, 'requant', ins.length, n);
  const zps = arr(q, 'in_zp', ins.length, n);
  const ms = arr(q, 'mult', ins.length, n);
  const ss = arr(q, 'shift', ins.length, n);
  const lines: string[] = [];
  const kernels = ['copy'];
  let off = 0;
  const rowOut = Y.shape[axis] * inner;
  const w16 = Y.dtype === 'int16';
  if (ins.some((id) => (T(id).dtype === 'int16') !== w16)) fail('EF3002', 'Concat of int8 and int16 tensors has no C kernel', { node: n.name });
  ins.forEach((id, k) => {
    const t = T(id);
    const rowIn = t.shape[axis] * inner;
    const dst = `${ptr(Y.id, w16 ? 'int16_t' : 'int8_t')} + (size_t)o * ${rowOut} + ${off}`;
    const src = `${operand(c, t, k)} + (size_t)o * ${rowIn}`;
    if (rq[k] === 0) lines.push(`        for (o = 0; o < ${outer}; ++o) ${P}_copy(${dst}, ${src}, ${w16 ? rowIn * 2 : rowIn});`);
    else if (w16) {
      checkMult([ms[k]], n);
      kernels.push('requant16');
      lines.push(`        for (o = 0; o < ${outer}; ++o) ${P}_requant_s16(${src}, 16, ${dst}, 16, ${rowIn}, ${zps[k]}, ${num(q, 'out_zp', n)}, ${ms[k]}, ${ss[k]});`);
    } else {
      checkMult([ms[k]], n);
      kernels.push('requant');
      lines.push(`        for (o = 0; o < ${outer}; ++o) ${P}_requant_s8u8(${src}, 0, ${dst}, 0, ${rowIn}, ${zps[k]}, ${num(q, 'out_zp', n)}, ${ms[k]}, ${ss[k]});`);
    }
    off += rowIn;
  });
  return { kernel: kernels, call: `    {\n        int o;\n${lines.join('\n')}\n    }`, consts, notes };
}

function emitSlice(c: LowerCtx): LayerCode {
  const { n, i, P, L, X, Y, ptr, cptr, consts, notes } = c;
  const r = X.shape.length;
  if (r > 4) fail('EF3002', `Slice of a rank-${r} tensor has no C kernel (rank <= 4)`, { node: n.name });
  if (X.dtype !== 'int8' && X.dtype !== 'uint8' && X.dtype !== 'int16') fail('EF3002', `Slice on ${X.dtype} has no C kernel`, { node: n.name });
  const total = shapeSize(Y.shape);
  if (total === 0) return { kernel: [], call: '    /* empty slice */', consts, notes };
  // The source element of every output element, from the op's own evaluation on an index tensor: the map is
  // affine (base + sum i_k * stride_k); derive base and strides and check them on every element.
  const src = sourceIndex(c, X);
  const inStr = X.shape.map((_, k) => shapeSize(X.shape.slice(k + 1)));
  const outStr = Y.shape.map((_, k) => shapeSize(Y.shape.slice(k + 1)));
  const base = src[0];
  const st = Y.shape.map((d, k) => (d > 1 ? src[outStr[k]] - base : inStr[k]));
  for (let e = 0; e < total; e++) {
    let want = base;
    for (let k = 0; k < r; k++) want += Math.floor(e / outStr[k]) % Y.shape[k] * st[k];
    if (src[e] !== want) fail('EF9001', `Slice '${n.name}': the selection is not a strided copy`, { node: n.name });
  }
  const dims = [...new Array(4 - r).fill(1), ...Y.shape];
  consts.push({ sym: `${L}_sl`, ctype: 'int32_t', data: [...dims, ...new Array(4 - r).fill(0), ...st], comment: `layer ${i}: output dims[4], signed input element strides of the output axes[4]`, where: 'model' });
  if (X.dtype === 'int16') {
    const call16 = `    ${P}_strided_s16(${cptr(X.id, 'int16_t')} + ${base}, ${ptr(Y.id, 'int16_t')}, ${L}_sl, ${L}_sl + 4);`;
    return { kernel: ['strided16'], call: call16, consts, notes: [`first element read: ${base}`] };
  }
  const call = `    ${P}_strided_s8(${cptr(X.id)} + ${base}, ${ptr(Y.id)}, ${L}_sl, ${L}_sl + 4);`;
  return { kernel: ['strided'], call, consts, notes: [`first element read: ${base}`] };
}

function emitGather(c: LowerCtx): LayerCode {
  const { n, i, P, L, T, X, Y, ptr, cptr, consts, notes } = c;
  const I = T(n.inputs[1]);
  if (!I.data) fail('EF3002', 'Gather with non-constant indices has no C kernel', { node: n.name });
  if (X.dtype !== 'int8' && X.dtype !== 'uint8' && X.dtype !== 'int16') fail('EF3002', `Gather on ${X.dtype} has no C kernel`, { node: n.name });
  const es = X.dtype === 'int16' ? 2 : 1;
  const r = X.shape.length;
  const axis = ((((n.attrs.axis as number | undefined) ?? 0) % r) + r) % r;
  const dim = X.shape[axis];
  const idx = Array.from(I.data as ArrayLike<number>, (v) => (v < 0 ? v + dim : v));
  if (idx.some((v) => !Number.isInteger(v) || v < 0 || v >= dim)) fail('EF1004', `Gather '${n.name}': index out of range for an axis of size ${dim}`, { node: n.name });
  const outer = shapeSize(X.shape.slice(0, axis));
  const inner = shapeSize(X.shape.slice(axis + 1));
  if (idx.length === 0 || outer * inner === 0) return { kernel: [], call: '    /* empty gather */', consts, notes };
  consts.push({ sym: `${L}_idx`, ctype: 'int32_t', data: idx, comment: `layer ${i}: indices along axis ${axis} (normalised)`, where: 'model' });
  // rows of `inner` elements are moved as bytes: an int16 row is 2 * inner bytes
  const call = `    ${P}_gather_s8(${cptr(X.id)}, ${ptr(Y.id)}, ${outer}, ${dim}, ${inner * es}, ${L}_idx, ${idx.length});`;
  return { kernel: ['gather'], call, consts, notes: [`axis ${axis}`] };
}

function emitResize(c: LowerCtx): LayerCode {
  const { n, i, P, L, X, Y, ptr, cptr, consts } = c;
  const attrs = c.attrs();
  if (X.dtype !== 'int8' && X.dtype !== 'uint8' && X.dtype !== 'int16') fail('EF3002', `Resize on ${X.dtype} has no C kernel`, { node: n.name });
  if (attrs.mode === 'linear') return emitResizeBilinear(c);
  const [N, H, W, C] = X.shape;
  const [, OH, OW] = Y.shape;
  // Row and column tables from the op's own evaluation on a one-image, one-channel index tensor (same
  // coordinate map: the scales do not depend on N or C).
  const probe = c.def.evalFloat(
    [{ dtype: 'float64', shape: [1, H, W, 1], data: Float64Array.from({ length: H * W }, (_, k) => k) }],
    { ...attrs, sizes: [1, OH, OW, 1] },
    n,
  )[0].data;
  const ty = Array.from({ length: OH }, (_, y) => Math.floor(probe[y * OW] / W));
  const tx = Array.from({ length: OW }, (_, x) => probe[x] % W);
  for (let y = 0; y < OH; y++) for (let x = 0; x < OW; x++) if (probe[y * OW + x] !== ty[y] * W + tx[x]) fail('EF9001', `Resize '${n.name}': the nearest map is not separable`, { node: n.name });
  consts.push({ sym: `${L}_tab`, ctype: 'int32_t', data: [...ty, ...tx], comment: `layer ${i}: source row per output row [${OH}], source column per output column [${OW}]`, where: 'model' });
  // a pixel of C elements is moved as bytes: an int16 pixel is 2 * C bytes
  const call = `    ${P}_resize_nearest_s8(${cptr(X.id)}, ${ptr(Y.id)}, ${N}, ${H}, ${W}, ${C * (X.dtype === 'int16' ? 2 : 1)}, ${OH}, ${OW}, ${L}_tab, ${L}_tab + ${OH});`;
  return { kernel: ['resizenn'], call, consts, notes: [`${String(attrs.coordinate_transformation_mode)}, ${String(attrs.nearest_mode)}`] };
}

/** Bilinear Resize (TFLM RESIZE_BILINEAR integer path): row and column tables {lower, upper, 10-bit fraction} from
 * the prepared 10-bit scales, as the simulator computes them. */
function emitResizeBilinear(c: LowerCtx): LayerCode {
  const { n, i, P, L, q, X, Y, ptr, cptr, consts } = c;
  if (X.dtype === 'uint8') fail('EF3002', 'bilinear Resize on uint8 has no C kernel (int8, int16)', { node: n.name });
  const [N, H, W, C] = X.shape;
  const [, OH, OW] = Y.shape;
  const half = num(q, 'half_pixel_centers', n) === 1;
  const table = (outSize: number, inSize: number, s10: number) =>
    Array.from({ length: outSize }, (_, o) => {
      const [v, lo, hi] = interp10(o, s10, half, inSize);
      return [lo, hi, v - 1024 * lo];
    }).flat();
  consts.push({ sym: `${L}_tab`, ctype: 'int32_t', data: [...table(OH, H, num(q, 'h_scale_10', n)), ...table(OW, W, num(q, 'w_scale_10', n))], comment: `layer ${i}: {lower, upper, 10-bit fraction} per output row [${OH}], then per output column [${OW}]`, where: 'model' });
  const t = X.dtype === 'int16' ? 'int16_t' : 'int8_t';
  const call = `    ${P}_resize_bilinear_${X.dtype === 'int16' ? 's16' : 's8'}(${cptr(X.id, t)}, ${ptr(Y.id, t)}, ${N}, ${H}, ${W}, ${C}, ${OH}, ${OW}, ${L}_tab, ${L}_tab + ${3 * OH});`;
  const mode = num(q, 'align_corners', n) === 1 ? 'align_corners' : half ? 'half_pixel_centers' : 'asymmetric';
  return { kernel: ['resizebl'], call, consts, notes: [`bilinear, ${mode} (TFLM RESIZE_BILINEAR, 10-bit fixed point)`] };
}

export const reshape: CLowering = { op: 'Reshape', int16: true, alias: true, kernels: ['copy'], emit: emitCopy };
export const identity: CLowering = { op: 'Identity', int16: true, alias: true, kernels: ['copy'], emit: emitCopy };
export const transpose: CLowering = { op: 'Transpose', int16: true, kernels: ['transpose'], emit: emitTranspose };
export const pad: CLowering = { op: 'Pad', int16: true, kernels: ['pad', 'pad16'], emit: emitPad };
export const concat: CLowering = { op: 'Concat', int16: true, kernels: ['copy', 'requant', 'requant16'], emit: emitConcat };
export const slice: CLowering = { op: 'Slice', int16: true, kernels: ['strided', 'strided16'], emit: emitSlice };
export const gather: CLowering = { op: 'Gather', int16: true, kernels: ['gather'], emit: emitGather };
export const resize: CLowering = { op: 'Resize', int16: true, kernels: ['resizenn', 'resizebl'], emit: emitResize };
