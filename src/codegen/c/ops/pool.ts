// Portable C lowering: AveragePool and MaxPool over NHWC windows.

import { fail } from '../../../diagnostics.js';
import { num, attrNums, type CLowering, type LayerCode, type LowerCtx, type WalkCtx } from '../lowering.js';

function emitPool(c: LowerCtx): LayerCode {
  const { n, P, q, X, Y, ptr, cptr, consts, notes } = c;
  const [N, IH, IW, C] = X.shape;
  const [, OH, OW] = Y.shape;
  const [kh, kw] = attrNums(n, 'kernel', [1, 1]);
  const [sh, sw] = attrNums(n, 'strides', [1, 1]);
  const [pt, pl] = attrNums(n, 'pads', [0, 0, 0, 0]);
  if (attrNums(n, 'dilations', [1, 1]).some((d) => d !== 1)) fail('EF3002', 'dilated pooling has no C kernel', { node: n.name });
  if (n.op === 'AveragePool' && n.attrs.count_include_pad === 1 && (pt > 0 || pl > 0)) fail('EF3002', 'count_include_pad average pooling has no int8 kernel', { node: n.name });
  const w16 = X.dtype === 'int16';
  if (w16 !== (Y.dtype === 'int16')) fail('EF3002', `${n.op} from ${X.dtype} to ${Y.dtype} has no C kernel`, { node: n.name });
  const k = n.op === 'AveragePool' ? 'avgpool' : 'maxpool';
  const et = w16 ? 'int16_t' : 'int8_t';
  const lines: string[] = [];
  const R = c.rows; // row-band execution (src/codegen/c/row-bands.ts): one range of output rows, N = 1
  if (R) lines.push(`    ${P}_${k}_s8(${R.x}, ${R.ih}, ${IW}, ${C}, ${R.y}, ${R.oh}, ${OW}, ${kh}, ${kw}, ${sh}, ${sw}, ${R.pt}, ${pl}, ${num(q, 'act_min', n)}, ${num(q, 'act_max', n)});`);
  else for (let b = 0; b < N; b++)
    lines.push(
      `    ${P}_${k}_${w16 ? 's16' : 's8'}(${cptr(X.id, et)} + ${b * IH * IW * C}, ${IH}, ${IW}, ${C}, ${ptr(Y.id, et)} + ${b * OH * OW * C}, ${OH}, ${OW}, ${kh}, ${kw}, ${sh}, ${sw}, ${pt}, ${pl}, ${num(q, 'act_min', n)}, ${num(q, 'act_max', n)});`,
    );
  return { kernel: [w16 ? `${k}16` : k], call: lines.join('\n'), consts, notes };
}

/** ef_avgpool_s8 / ef_maxpool_s8 compute any range of output rows from oy * sh - pad_t and ih (row-band execution). */
function poolRowBand(c: WalkCtx) {
  const { n, X, Y } = c;
  if (X.dtype !== 'int8' || Y.dtype !== 'int8' || X.shape.length !== 4 || X.shape[0] !== 1) return undefined;
  if (attrNums(n, 'dilations', [1, 1]).some((d) => d !== 1)) return undefined;
  if (n.op === 'AveragePool' && n.attrs.count_include_pad === 1) return undefined;
  return { kh: attrNums(n, 'kernel', [1, 1])[0], sh: attrNums(n, 'strides', [1, 1])[0], pt: attrNums(n, 'pads', [0, 0, 0, 0])[0] };
}

export const averagePool: CLowering = { op: 'AveragePool', int16: true, kernels: ['avgpool', 'avgpool16'], emit: emitPool, rowBand: poolRowBand };
export const maxPool: CLowering = { op: 'MaxPool', int16: true, kernels: ['maxpool', 'maxpool16'], emit: emitPool, rowBand: poolRowBand };
