// Erf: Y = erf(x), the Gauss error function (ONNX Erf; PyTorch's exact nn.GELU exports x * 0.5 * (1 + erf(x/√2))).
// Float only. erf by its Maclaurin series for |x| < 4.5 (at most ~70 terms; the largest term, about 5e7 at x = 4.5,
// bounds the cancellation error near 1e-8, far below float32's step), and ±1 beyond (erfc(4.5) ≈ 2e-10).
import { elementwise } from './unary.js';
import type { OpDef } from './types.js';

export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const a = Math.abs(x);
  if (a >= 4.5) return Math.sign(x);
  const x2 = x * x;
  let term = x; // (-1)^n x^(2n+1) / n!
  let sum = x;
  for (let n = 1; n < 200; n++) {
    term *= -x2 / n;
    const t = term / (2 * n + 1);
    sum += t;
    if (Math.abs(t) < 1e-17 * Math.abs(sum)) break;
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}

const base = elementwise('Erf', 'Gauss error function erf(x) (the exact GELU of PyTorch uses it)', {}, () => erf, { floatOnly: true, macsPerElement: 1 });

export const def: OpDef = {
  ...base,
  layout: 'transparent',
  noIntAdvice:
    "Erf has no int8 kernel: PyTorch's nn.GELU exported as x * 0.5 * (1 + erf(x / sqrt(2))) becomes one Gelu node (int8 kernel), so an Erf left over is not that exact chain (check that the constants are 1/sqrt(2), 1 and 0.5 and that no intermediate value is used elsewhere); otherwise compute it in the application on the dequantized output",
};
