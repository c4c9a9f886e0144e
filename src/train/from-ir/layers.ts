// Custom tfjs layers for what TF.js has no layer for (arithmetic with a constant, clip, hard-swish,
// hard-sigmoid), registered for (de)serialisation, and the frozen-batch-norm tweak.

import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

export type ConstOpKind = 'add' | 'sub' | 'rsub' | 'mul' | 'div' | 'rdiv';

/** x (op) c with a constant c that broadcasts into x (numpy rules, batch axis included). */
export class ConstantOp extends tfl.layers.Layer {
  static className = 'EspforgeConstantOp';
  readonly op: ConstOpKind;
  readonly values: number[];
  readonly constShape: number[];
  private c?: tf.Tensor;
  constructor(args: { op: ConstOpKind; values: number[]; constShape: number[]; name?: string; trainable?: boolean }) {
    super({ name: args.name, trainable: args.trainable });
    this.op = args.op;
    this.values = args.values;
    this.constShape = args.constShape;
  }
  override computeOutputShape(s: tfl.Shape | tfl.Shape[]): tfl.Shape | tfl.Shape[] {
    return s;
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    if (!this.c) this.c = tf.keep(tf.tensor(this.values, this.constShape, 'float32'));
    const c = this.c;
    return tf.tidy(() => {
      switch (this.op) {
        case 'add':
          return tf.add(x, c);
        case 'sub':
          return tf.sub(x, c);
        case 'rsub':
          return tf.sub(c, x);
        case 'mul':
          return tf.mul(x, c);
        case 'div':
          return tf.div(x, c);
        case 'rdiv':
          return tf.div(c, x);
      }
    });
  }
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), op: this.op, values: this.values, constShape: this.constShape };
  }
}
tf.serialization.registerClass(ConstantOp);

type ActKind = 'clip' | 'hardswish' | 'hardsigmoid';

/** Elementwise activations TF.js has no layer for: clip(min, max), hard-swish, hard-sigmoid(alpha, beta). */
export class ElementwiseActivation extends tfl.layers.Layer {
  static className = 'EspforgeActivation';
  readonly fn: ActKind;
  readonly min: number;
  readonly max: number;
  readonly alpha: number;
  readonly beta: number;
  constructor(args: { fn: ActKind; min?: number; max?: number; alpha?: number; beta?: number; name?: string }) {
    super({ name: args.name });
    this.fn = args.fn;
    this.min = args.min ?? -Infinity;
    this.max = args.max ?? Infinity;
    this.alpha = args.alpha ?? 0.2;
    this.beta = args.beta ?? 0.5;
  }
  override computeOutputShape(s: tfl.Shape | tfl.Shape[]): tfl.Shape | tfl.Shape[] {
    return s;
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    return tf.tidy(() => {
      switch (this.fn) {
        case 'clip':
          return tf.minimum(tf.maximum(x, this.min), this.max);
        case 'hardsigmoid':
          return tf.clipByValue(tf.add(tf.mul(x, this.alpha), this.beta), 0, 1);
        case 'hardswish':
          return tf.mul(x, tf.div(tf.clipByValue(tf.add(x, 3), 0, 6), 6));
      }
    });
  }
  override getConfig(): tf.serialization.ConfigDict {
    // ±Infinity is not JSON: absent bounds are left out
    const c: tf.serialization.ConfigDict = { ...super.getConfig(), fn: this.fn, alpha: this.alpha, beta: this.beta };
    if (Number.isFinite(this.min)) c.min = this.min;
    if (Number.isFinite(this.max)) c.max = this.max;
    return c;
  }
}
tf.serialization.registerClass(ElementwiseActivation);

/** Batch normalization that runs in inference mode (moving statistics, no updates) while its layer is frozen, as Keras does. */
export function inferenceWhenFrozen(l: tfl.layers.Layer): void {
  const orig = l.call.bind(l);
  (l as unknown as { call: typeof l.call }).call = (inputs, kwargs) => orig(inputs, l.trainable ? kwargs : { ...kwargs, training: false });
}
