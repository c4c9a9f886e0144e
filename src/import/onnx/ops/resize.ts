// Resize and the older Upsample.

import type { Attrs } from '../../../ir/graph.js';
import type { OnnxContext, Sym } from '../context.js';
import { hasAttr, needRank, type OpEntry } from './helpers.js';

function resizeCommon(
  ctx: OnnxContext,
  X0: Sym,
  scales: number[] | undefined,
  sizes: number[] | undefined,
  attrs: Attrs,
  outName: string | undefined,
): void {
  const sh = needRank(ctx, X0, [4], 'Resize');
  let out: number[];
  if (sizes) out = sizes;
  else if (scales) out = sh.map((d, i) => Math.floor(d * scales[i]));
  else return ctx.err('EF1009', 'Resize needs scales or sizes');
  if (out[0] !== sh[0] || out[1] !== sh[1]) ctx.err('EF2003', 'resizing the batch or channel axis is not supported');
  const X = ctx.toCl(X0);
  const full: Attrs = { ...attrs, sizes: [out[0], out[2], out[3], out[1]] };
  if (scales && hasAttr('Resize', 'scales')) full.scales = [scales[0], scales[2], scales[3], scales[1]];
  ctx.set(outName, { id: ctx.emit1('Resize', [X.id], full, outName), layout: X.layout });
}

const resizeEntry: OpEntry = {
  attrs: ['mode', 'coordinate_transformation_mode', 'nearest_mode', 'cubic_coeff_a', 'exclude_outside', 'extrapolation_value', 'antialias', 'axes', 'keep_aspect_ratio_policy'],
  constInputs: (o) => (o >= 11 ? [1, 2, 3] : [1]),
  convert({ ctx, a, ins, outs, opset }) {
    const X = ctx.need(ins[0], 'X');
    const sh = ctx.shape(X);
    const r = sh.length;
    const mode = a.str('mode', 'nearest');
    if (mode !== 'nearest' && mode !== 'linear') ctx.err('EF2003', `Resize mode '${mode}' is not supported (nearest, linear)`);
    if (a.int('antialias', 0) !== 0) ctx.err('EF2003', 'antialias=1 is not supported');
    if (a.int('exclude_outside', 0) !== 0) ctx.err('EF2003', 'exclude_outside=1 is not supported');
    let ctm: string;
    let nearest: string;
    let scales: number[] | undefined;
    let sizes: number[] | undefined;
    if (opset < 11) {
      ctm = 'asymmetric';
      nearest = 'floor';
      scales = Array.from(ctx.constValue(ins[1], 'scales').data);
    } else {
      ctm = a.str('coordinate_transformation_mode', 'half_pixel');
      nearest = a.str('nearest_mode', 'round_prefer_floor');
      if (ctm === 'tf_crop_and_resize') ctx.err('EF2003', "coordinate_transformation_mode 'tf_crop_and_resize' is not supported");
      const sv = ins[2] ? ctx.constValue(ins[2], 'scales') : undefined;
      const zv = ins[3] ? ctx.constValue(ins[3], 'sizes') : undefined;
      const axes = (a.ints('axes') ?? [...new Array(r).keys()]).map((x) => (x < 0 ? x + r : x));
      if (sv && sv.data.length > 0) {
        scales = new Array(r).fill(1);
        axes.forEach((ax, i) => (scales![ax] = sv.data[i]));
      }
      if (zv && zv.data.length > 0) {
        sizes = sh.slice();
        const policy = a.str('keep_aspect_ratio_policy', 'stretch');
        if (policy === 'stretch') axes.forEach((ax, i) => (sizes![ax] = zv.data[i]));
        else {
          const ratios = axes.map((ax, i) => zv.data[i] / sh[ax]);
          const s = policy === 'not_larger' ? Math.min(...ratios) : Math.max(...ratios);
          axes.forEach((ax) => (sizes![ax] = Math.round(s * sh[ax])));
          // the scale used by the coordinate transform is the common one
          scales = new Array(r).fill(1);
          axes.forEach((ax) => (scales![ax] = s));
        }
      }
    }
    const attrs: Attrs = { mode, coordinate_transformation_mode: ctm, nearest_mode: nearest };
    if (sizes && scales && a.str('keep_aspect_ratio_policy', 'stretch') === 'stretch') scales = undefined;
    resizeCommon(ctx, X, scales, sizes, attrs, outs[0]);
  },
};

const upsampleEntry: OpEntry = {
  attrs: ['mode', 'scales', 'height_scale', 'width_scale'],
  constInputs: (o) => (o >= 9 ? [1] : []),
  convert({ ctx, a, ins, outs, opset }) {
    const X = ctx.need(ins[0], 'X');
    let mode = a.str('mode', 'nearest');
    if (mode === 'bilinear') mode = 'linear';
    if (mode !== 'nearest' && mode !== 'linear') ctx.err('EF2003', `Upsample mode '${mode}' is not supported`);
    const scales = opset >= 9 ? Array.from(ctx.constValue(ins[1], 'scales').data) : a.floats('scales') ?? ctx.err('EF2003', 'Upsample needs scales');
    resizeCommon(ctx, X, scales, undefined, { mode, coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' }, outs[0]);
  },
};

export const RESIZE_OPS: Record<string, OpEntry> = {
  Resize: resizeEntry,
  Upsample: upsampleEntry,
};
