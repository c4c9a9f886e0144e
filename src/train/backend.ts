// TensorFlow.js set-up for training: the wasm backend (XNNPACK, SIMD, one thread) plus the gradient kernels it
// lacks. tfjs-backend-wasm 4.22.0 has no Conv2DBackpropFilter, DepthwiseConv2dNativeBackpropFilter or
// DepthwiseConv2dNativeBackpropInput, and its MaxPoolGrad routes the gradient to the wrong element when every
// value of a pooling window is negative. We register those four for 'wasm', built from ops wasm does have
// (transposes, pads, a dilated conv2d / depthwiseConv2d) or, for MaxPoolGrad, a plain loop over the data.
// tfjs-node is used instead when it happens to be resolvable; it is never required.

import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-layers';

export type BackendName = 'wasm' | 'cpu' | 'tensorflow';

let ready: Promise<BackendName> | undefined;
let kernelsRegistered = false;

/**
 * Initialise TF.js once (idempotent). `prefer` picks a backend explicitly; the default is tfjs-node when
 * installed, else wasm. Returns the active backend name.
 */
export function initBackend(prefer?: BackendName): Promise<BackendName> {
  if (ready && !prefer) return ready;
  const p = (async (): Promise<BackendName> => {
    tf.enableProdMode();
    if (prefer === 'cpu') {
      await import('@tensorflow/tfjs-backend-cpu');
      await tf.setBackend('cpu');
      await tf.ready();
      return 'cpu';
    }
    if (prefer === undefined || prefer === 'tensorflow') {
      try {
        // Optional: a string the type checker does not resolve, so a missing package is fine.
        const name = '@tensorflow/tfjs-node';
        await import(name);
        if (await tf.setBackend('tensorflow')) {
          await tf.ready();
          return 'tensorflow';
        }
      } catch {
        // not installed: fall through to wasm
      }
    }
    await import('@tensorflow/tfjs-backend-wasm');
    registerWasmGradKernels();
    await tf.setBackend('wasm');
    await tf.ready();
    return 'wasm';
  })();
  if (!prefer) ready = p;
  return p;
}

export { tf };

type Pad = 'same' | 'valid' | number | tf.backend_util.ExplicitPadding;
type Pair = [number, number];
const pair = (v: number | number[]): Pair => (typeof v === 'number' ? [v, v] : [v[0], v[1] ?? v[0]]);

/** Pad (positive) or crop (negative) `t` along `axis` at both ends. */
function padOrCrop(t: tf.Tensor, axis: number, before: number, after: number): tf.Tensor {
  let r = t;
  if (before < 0 || after < 0) {
    const begin = r.shape.map(() => 0);
    const size = r.shape.slice() as number[];
    if (before < 0) {
      begin[axis] = -before;
      size[axis] -= -before;
    }
    if (after < 0) size[axis] -= -after;
    r = tf.slice(r, begin, size);
  }
  if (before > 0 || after > 0) {
    const pads = r.shape.map((): [number, number] => [0, 0]);
    pads[axis] = [Math.max(0, before), Math.max(0, after)];
    r = tf.pad(r, pads);
  }
  return r;
}

/**
 * A Tensor view of a kernel input. makeTensorFromTensorInfo does not take a backend reference, yet disposing
 * the view drops one, so take one here: the tidy() that disposes the view then leaves the input intact.
 */
function wrap(info: tf.TensorInfo): tf.Tensor {
  (tf.backend() as unknown as { incRef(id: tf.DataId): void }).incRef(info.dataId);
  return tf.engine().makeTensorFromTensorInfo(info);
}

/**
 * dW[kh,kw,ci,co] = Σ_{n,oh,ow} xpad[n, oh*s+kh*d, ow*s+kw*d, ci] · dy[n,oh,ow,co]. With the batch and channel
 * axes of x swapped and dy used as the filter, this is a conv2d with dilation = stride.
 */
export function conv2dBackpropFilterTf(x: tf.Tensor4D, dy: tf.Tensor4D, filterShape: [number, number, number, number], strides: number | Pair, pad: Pad, dimRoundingMode?: 'floor' | 'round' | 'ceil', dilations: number | Pair = 1): tf.Tensor4D {
  return tf.tidy(() => {
    const info = tf.backend_util.computeConv2DInfo(x.shape, filterShape, strides, dilations, pad, dimRoundingMode, false, 'channelsLast');
    const [sh, sw] = [info.strideHeight, info.strideWidth];
    const [dh, dw] = [info.dilationHeight, info.dilationWidth];
    const [kh, kw] = [filterShape[0], filterShape[1]];
    const { top, left } = info.padInfo;
    const oh = dy.shape[1];
    const ow = dy.shape[2];
    const needH = (oh - 1) * sh + (kh - 1) * dh + 1;
    const needW = (ow - 1) * sw + (kw - 1) * dw + 1;
    let xp: tf.Tensor = padOrCrop(x, 1, top, needH - x.shape[1] - top);
    xp = padOrCrop(xp, 2, left, needW - x.shape[2] - left);
    const xt = tf.transpose(xp, [3, 1, 2, 0]) as tf.Tensor4D; // [Ci, Hp, Wp, N]
    const f = tf.transpose(dy, [1, 2, 0, 3]) as tf.Tensor4D; // [OH, OW, N, Co]
    // Output spatial size = needH - (oh-1)*sh = (kh-1)*dh + 1; keep every dh-th row.
    let r = tf.conv2d(xt, f, 1, 'valid', 'NHWC', [sh, sw]) as tf.Tensor4D; // [Ci, KHd, KWd, Co]
    if (dh > 1 || dw > 1) r = tf.stridedSlice(r, [0, 0, 0, 0], r.shape, [1, dh, dw, 1]) as tf.Tensor4D;
    return tf.transpose(r, [1, 2, 0, 3]) as tf.Tensor4D;
  });
}

/** Depthwise filter gradient (channel multiplier 1): the same trick with batch folded into the channels. */
export function depthwiseBackpropFilterTf(x: tf.Tensor4D, dy: tf.Tensor4D, filterShape: [number, number, number, number], strides: number | Pair, pad: Pad, dimRoundingMode?: 'floor' | 'round' | 'ceil', dilations: number | Pair = 1): tf.Tensor4D {
  return tf.tidy(() => {
    const [kh, kw, c, m] = filterShape;
    if (m !== 1) throw new Error('depthwise filter gradient: channel multiplier > 1 is not supported on wasm');
    const info = tf.backend_util.computeConv2DInfo(x.shape, filterShape, strides, dilations, pad, dimRoundingMode, true, 'channelsLast');
    const [sh, sw] = [info.strideHeight, info.strideWidth];
    const [dh, dw] = [info.dilationHeight, info.dilationWidth];
    const { top, left } = info.padInfo;
    const [n, oh, ow] = [dy.shape[0], dy.shape[1], dy.shape[2]];
    const needH = (oh - 1) * sh + (kh - 1) * dh + 1;
    const needW = (ow - 1) * sw + (kw - 1) * dw + 1;
    let xp: tf.Tensor = padOrCrop(x, 1, top, needH - x.shape[1] - top);
    xp = padOrCrop(xp, 2, left, needW - x.shape[2] - left);
    const hp = xp.shape[1]!;
    const wp = xp.shape[2]!;
    const xt = tf.reshape(tf.transpose(xp, [1, 2, 0, 3]), [1, hp, wp, n * c]) as tf.Tensor4D;
    const f = tf.reshape(tf.transpose(dy, [1, 2, 0, 3]), [oh, ow, n * c, 1]) as tf.Tensor4D;
    let r = tf.depthwiseConv2d(xt, f, 1, 'valid', 'NHWC', [sh, sw]) as tf.Tensor4D; // [1, KHd, KWd, N*C]
    if (dh > 1 || dw > 1) r = tf.stridedSlice(r, [0, 0, 0, 0], r.shape, [1, dh, dw, 1]) as tf.Tensor4D;
    const s = tf.sum(tf.reshape(r, [kh, kw, n, c]), 2);
    return tf.reshape(s, [kh, kw, c, 1]) as tf.Tensor4D;
  });
}

/**
 * Depthwise input gradient (multiplier 1, dilation 1): spread dy by the stride (zeros between), pad for a
 * full correlation, and run a depthwise conv with the spatially flipped filter.
 */
export function depthwiseBackpropInputTf(inputShape: [number, number, number, number], dy: tf.Tensor4D, filter: tf.Tensor4D, strides: number | Pair, pad: Pad, dimRoundingMode?: 'floor' | 'round' | 'ceil', dilations: number | Pair = 1): tf.Tensor4D {
  return tf.tidy(() => {
    const [kh, kw, c, m] = filter.shape;
    if (m !== 1) throw new Error('depthwise input gradient: channel multiplier > 1 is not supported on wasm');
    const [dh, dw] = pair(dilations);
    if (dh !== 1 || dw !== 1) throw new Error('depthwise input gradient: dilation > 1 is not supported on wasm');
    const info = tf.backend_util.computeConv2DInfo(inputShape, filter.shape, strides, dilations, pad, dimRoundingMode, true, 'channelsLast');
    const [sh, sw] = [info.strideHeight, info.strideWidth];
    const { top, left } = info.padInfo;
    const [n, oh, ow] = [dy.shape[0], dy.shape[1], dy.shape[2]];
    const [h, w] = [inputShape[1], inputShape[2]];
    let d: tf.Tensor = dy;
    if (sh > 1 || sw > 1) {
      // [N,OH,OW,C] → [N,OH,1,OW,1,C] → pad to [N,OH,sh,OW,sw,C] → [N,OH*sh,OW*sw,C]
      d = tf.reshape(dy, [n, oh, 1, ow, 1, c]);
      d = tf.pad(d, [[0, 0], [0, 0], [0, sh - 1], [0, 0], [0, sw - 1], [0, 0]]);
      d = tf.reshape(d, [n, oh * sh, ow * sw, c]);
    }
    const lh = d.shape[1]!;
    const lw = d.shape[2]!;
    // dx[h] = Σ_k' dpad[h + k'] · Wflip[k'] with dpad = d shifted by (kh-1-top).
    const ph = kh - 1 - top;
    const pw = kw - 1 - left;
    d = padOrCrop(d, 1, ph, h + kh - 1 - ph - lh);
    d = padOrCrop(d, 2, pw, w + kw - 1 - pw - lw);
    const wf = tf.reverse(filter, [0, 1]) as tf.Tensor4D;
    return tf.depthwiseConv2d(d as tf.Tensor4D, wf, 1, 'valid') as tf.Tensor4D;
  });
}

/** Max-pool gradient with TF semantics: each window's gradient goes to its first maximum (padding excluded). */
export function maxPoolGradJs(dy: Float32Array | ArrayLike<number>, x: ArrayLike<number>, xShape: [number, number, number, number], filterSize: number | Pair, strides: number | Pair, pad: Pad, dimRoundingMode?: 'floor' | 'round' | 'ceil'): Float32Array {
  const info = tf.backend_util.computePool2DInfo(xShape, filterSize, strides, 1, pad, dimRoundingMode);
  const [n, h, w, c] = xShape;
  const { outHeight: oh, outWidth: ow, strideHeight: sh, strideWidth: sw, filterHeight: fh, filterWidth: fw } = info;
  const { top, left } = info.padInfo;
  const dx = new Float32Array(n * h * w * c);
  for (let b = 0; b < n; b++)
    for (let y = 0; y < oh; y++)
      for (let xo = 0; xo < ow; xo++)
        for (let ch = 0; ch < c; ch++) {
          let best = -Infinity;
          let at = -1;
          for (let ky = 0; ky < fh; ky++) {
            const iy = y * sh - top + ky;
            if (iy < 0 || iy >= h) continue;
            for (let kx = 0; kx < fw; kx++) {
              const ix = xo * sw - left + kx;
              if (ix < 0 || ix >= w) continue;
              const idx = ((b * h + iy) * w + ix) * c + ch;
              const v = x[idx];
              if (v > best || at < 0) {
                best = v;
                at = idx;
              }
            }
          }
          if (at >= 0) dx[at] += dy[((b * oh + y) * ow + xo) * c + ch];
        }
  return dx;
}

interface Attrs {
  [k: string]: unknown;
}

/** Register the four kernels for 'wasm'. Safe to call more than once. */
export function registerWasmGradKernels(): void {
  if (kernelsRegistered) return;
  kernelsRegistered = true;
  const reg = (kernelName: string, kernelFunc: tf.KernelFunc) => {
    if (tf.getKernel(kernelName, 'wasm')) tf.unregisterKernel(kernelName, 'wasm');
    tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc });
  };
  reg('Conv2DBackpropFilter', ({ inputs, attrs }) => {
    const a = attrs as Attrs;
    if (a.dataFormat && a.dataFormat !== 'NHWC') throw new Error('Conv2DBackpropFilter on wasm: NHWC only');
    return tf.tidy(() =>
      conv2dBackpropFilterTf(wrap(inputs.x!) as tf.Tensor4D, wrap(inputs.dy!) as tf.Tensor4D, a.filterShape as [number, number, number, number], a.strides as Pair, a.pad as Pad, a.dimRoundingMode as undefined),
    );
  });
  reg('DepthwiseConv2dNativeBackpropFilter', ({ inputs, attrs }) => {
    const a = attrs as Attrs;
    return tf.tidy(() =>
      depthwiseBackpropFilterTf(wrap(inputs.x!) as tf.Tensor4D, wrap(inputs.dy!) as tf.Tensor4D, a.filterShape as [number, number, number, number], a.strides as Pair, a.pad as Pad, a.dimRoundingMode as undefined, (a.dilations as Pair) ?? 1),
    );
  });
  reg('DepthwiseConv2dNativeBackpropInput', ({ inputs, attrs }) => {
    const a = attrs as Attrs;
    return tf.tidy(() =>
      depthwiseBackpropInputTf(a.inputShape as [number, number, number, number], wrap(inputs.dy!) as tf.Tensor4D, wrap(inputs.filter!) as tf.Tensor4D, a.strides as Pair, a.pad as Pad, a.dimRoundingMode as undefined, (a.dilations as Pair) ?? 1),
    );
  });
  reg('MaxPoolGrad', ({ inputs, attrs, backend }) => {
    const a = attrs as Attrs;
    const b = backend as tf.KernelBackend;
    const xi = inputs.input!;
    const dyv = b.readSync(inputs.dy!.dataId) as Float32Array;
    const xv = b.readSync(xi.dataId) as Float32Array;
    const dx = maxPoolGradJs(dyv, xv, xi.shape as [number, number, number, number], a.filterSize as Pair, a.strides as Pair, a.pad as Pad, a.dimRoundingMode as undefined);
    return tf.tensor(dx, xi.shape, 'float32');
  });
}
