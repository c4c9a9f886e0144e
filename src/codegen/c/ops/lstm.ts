// C lowering of an int8 Lstm node (kernels/lstm.c, section lstm): the weights as int8 arrays in flash, the bias as
// int32, the per-gate FC multipliers as a static table, and the call. The hidden and cell states live in the Y_h and
// Y_c buffers of the memory plan; the 4H int16 gate scratch is a static array of the layer (the model code is not
// re-entrant anyway: its arena is static).

import { fail } from '../../../diagnostics.js';
import { SIGMOID_TABLE_UINT16 } from '../../../sim/int/lut16.js';
import type { CLowering, ConstArray, LayerCode, LowerCtx, QP } from '../lowering.js';

export const lstm: CLowering = {
  op: 'Lstm',
  int16: false,
  // int8 activations with an int16 cell state: emitLstm checks its own dtypes
  ownDtypes: true,
  kernels: ['lstm'],
  emit: (c) => emitLstm(c),
};

function emitLstm({ g, n, i, P, ptr, cptr }: LowerCtx): LayerCode {
  const q = (n.qparams ?? {}) as QP;
  const num = (k: string): number => {
    const v = q[k];
    if (typeof v !== 'number') fail('EF3001', `node '${n.name}' (Lstm) has no integer parameter '${k}'`, { node: n.name });
    return v;
  };
  const arr = (k: string): number[] => {
    const v = q[k];
    if (!Array.isArray(v) || v.length !== 4) fail('EF3001', `node '${n.name}' (Lstm) has no integer parameter array '${k}' [4]`, { node: n.name });
    return v;
  };
  const L = `${P}_L${i}`;
  const T = (id: number) => g.tensors[id];
  const [xId, wId, rId, bId = -1, h0Id = -1, c0Id = -1] = n.inputs;
  const [yId, yhId, ycId] = n.outputs;
  const X = T(xId);
  const W = T(wId);
  const R = T(rId);
  if (X.dtype !== 'int8' || T(yId).dtype !== 'int8' || T(ycId).dtype !== 'int16' || W.dtype !== 'int8' || R.dtype !== 'int8' || !W.data || !R.data)
    fail('EF3002', 'Lstm has a C kernel for int8 activations, constant int8 weights and an int16 cell state only', { node: n.name });
  const H = W.shape[0] / 4;
  const I = W.shape[1];
  const bm = n.attrs.layout === 1;
  const [d0, d1] = X.shape;
  const steps = bm ? d1 : d0;
  const batch = bm ? d0 : d1;
  const mult = [arr('in_mult'), arr('in_shift'), arr('rec_mult'), arr('rec_shift')];
  for (const k of ['fc', 'ic', 'out']) {
    const m = num(`${k}_mult`);
    if (!Number.isInteger(m) || m < 0 || m > 2147483647) fail('EF9001', `node '${n.name}': multiplier ${m} is outside [0, 2^31)`, { node: n.name });
  }
  const consts: ConstArray[] = [
    { sym: `${L}_w`, ctype: 'int8_t', data: W.data, comment: `layer ${i}: input weights [4H=${4 * H}][I=${I}], gates i,f,c,o`, where: 'weights' },
    { sym: `${L}_r`, ctype: 'int8_t', data: R.data, comment: `layer ${i}: recurrent weights [4H=${4 * H}][H=${H}], gates i,f,c,o`, where: 'weights' },
    {
      sym: `${L}_q`,
      ctype: 'int32_t',
      data: [0, 1, 2, 3].flatMap((gi) => mult.map((a) => a[gi])),
      comment: `layer ${i}: per gate i,f,c,o {input FC Q31 multiplier, shift, recurrent FC multiplier, shift} to int16 Q3.12`,
      where: 'model',
    },
    { sym: `${P}_sigmoid_table_u16`, ctype: 'uint16_t', data: [...SIGMOID_TABLE_UINT16], comment: 'TFLite sigmoid(i/24), i = 0..255, in 0.16 fixed point (int16 LOGISTIC and TANH)', where: 'weights', shared: true },
  ];
  let bias = '0';
  if (bId >= 0) {
    const B = T(bId);
    if (!B.data || B.dtype !== 'int32') fail('EF3002', 'Lstm bias must be a constant int32 tensor', { node: n.name });
    consts.push({ sym: `${L}_bias`, ctype: 'int32_t', data: B.data, comment: `layer ${i}: gate bias [4H=${4 * H}] (scale s_x*s_W per gate)`, where: 'weights' });
    bias = `${L}_bias`;
  }
  const h0 = h0Id >= 0 ? cptr(h0Id) : '0';
  const c0 = c0Id >= 0 ? cptr(c0Id, 'int16_t') : '0';
  const call = [
    `    {`,
    `        static int16_t gates[${4 * H}];`,
    `        ${P}_lstm_s8(${cptr(xId)}, ${ptr(yId)}, ${ptr(yhId)}, ${ptr(ycId, 'int16_t')}, ${h0}, ${c0}, gates, ${steps}, ${batch}, ${I}, ${H}, ${bm ? 1 : 0}, ${n.attrs.direction === 'reverse' ? 1 : 0},`,
    `                  ${L}_w, ${L}_r, ${bias}, ${L}_q, ${num('in_zp')}, ${num('h_zp')}, ${num('fc_mult')}, ${num('fc_shift')}, ${num('ic_mult')}, ${num('ic_shift')},`,
    `                  ${num('out_mult')}, ${num('out_shift')}, ${num('cell_tanh_mult')}, ${num('cell_tanh_shift')}, ${P}_sigmoid_table_u16);`,
    `    }`,
  ].join('\n');
  return { kernel: ['lstm'], call, consts, notes: ['TFLM integer LSTM: int8 in/hidden, int16 cell 2^' + num('cell_pow') + ', gates int16 Q3.12 -> Q0.15'] };
}
