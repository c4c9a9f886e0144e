// Max: element-wise maximum of one or more inputs (ONNX Max is variadic), broadcast and folded left.
// NaN propagates (Math.max), as numpy.maximum does.
import { binaryOp } from './binary.js';

export const def = binaryOp('Max', 'element-wise maximum of 1+ inputs with broadcasting', Math.max, { variadic: true });
