// Min: element-wise minimum of one or more inputs (ONNX Min is variadic), broadcast and folded left.
// NaN propagates (Math.min), as numpy.minimum does.
import { binaryOp } from './binary.js';

export const def = binaryOp('Min', 'element-wise minimum of 1+ inputs with broadcasting', Math.min, { variadic: true });
