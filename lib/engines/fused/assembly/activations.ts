// The activations of tf.js' dense layers (tfjs-layers/src/activations.ts) and their gradients as
// tf.js' autodiff computes them (tfjs-core/src/gradients/*_grad.ts), on four lanes. Ids match
// ACTIVATIONS in ../spec.ts.

// AssemblyScript, compiled by asc (npm run build:wasm; editors use ./tsconfig.json), not by tsc.

import { vexp, vexpm1, vtanh, vsigmoid, vsoftplus, verf } from './math';

export const LINEAR = 0;
export const RELU = 1;
export const RELU6 = 2;
export const ELU = 3;
export const SELU = 4;
export const SIGMOID = 5;
export const HARD_SIGMOID = 6;
export const TANH = 7;
export const SOFTPLUS = 8;
export const SOFTSIGN = 9;
export const SWISH = 10;
export const MISH = 11;
export const GELU = 12;
export const GELU_NEW = 13;
export const SOFTMAX = 14;
export const LOG_SOFTMAX = 15;

// tfjs-core/src/ops/selu_util.ts
const SELU_SCALEALPHA: f32 = 1.7580993408473768599402175208123;
const SELU_SCALE: f32 = 1.0507009873554804934193349852946;
// Gelu: x / Math.sqrt(2); erf' = 2/√π·exp(−u²) (tfjs-core/src/gradients/Erf_grad.ts)
const SQRT2: f32 = 1.4142135623730951;
const TWO_OVER_SQRT_PI: f32 = 1.1283791670955126;
// GeluNew: sqrt(2/π) as tf.js computes it in float32: sqrt(fround(2 / fround(π)))
const GELU_C: f32 = 0.7978845834732056;
const GELU_K: f32 = 0.044715;
const HS_SLOPE: f32 = 0.2;

@inline function sp(x: f32): v128 {
  return f32x4.splat(x);
}

/** 1 where mask lanes are set, 0 elsewhere (as floats). */
@inline function ones(mask: v128): v128 {
  return v128.and(mask, sp(1.0));
}

/** tf.js' step(x, −1): 1 for x > 0, −1 otherwise (NaN stays NaN), the gradient of abs. */
@inline export function sign1(x: v128): v128 {
  const s = v128.bitselect(sp(1.0), sp(-1.0), f32x4.gt(x, sp(0.0)));
  return v128.bitselect(x, s, f32x4.ne(x, x));
}

/** The activation of one vector of pre-activations (softmax rows are done elsewhere). */
@inline export function activate(act: i32, z: v128): v128 {
  switch (act) {
    case RELU:
      return f32x4.max(z, sp(0.0));
    case RELU6:
      return f32x4.min(sp(6.0), f32x4.max(z, sp(0.0)));
    case ELU:
      return v128.bitselect(z, vexpm1(z), f32x4.ge(z, sp(0.0)));
    case SELU:
      return v128.bitselect(f32x4.mul(sp(SELU_SCALE), z), f32x4.mul(sp(SELU_SCALEALPHA), vexpm1(z)), f32x4.ge(z, sp(0.0)));
    case SIGMOID:
      return vsigmoid(z);
    case HARD_SIGMOID:
      return f32x4.min(f32x4.max(f32x4.add(sp(0.5), f32x4.mul(sp(HS_SLOPE), z)), sp(0.0)), sp(1.0));
    case TANH:
      return vtanh(z);
    case SOFTPLUS:
      return vsoftplus(z);
    case SOFTSIGN:
      return f32x4.div(z, f32x4.add(f32x4.abs(z), sp(1.0)));
    case SWISH:
      return f32x4.mul(vsigmoid(z), z);
    case MISH:
      return f32x4.mul(z, vtanh(vsoftplus(z)));
    case GELU: {
      const cdf = f32x4.mul(sp(0.5), f32x4.add(sp(1.0), verf(f32x4.div(z, sp(SQRT2)))));
      return f32x4.mul(z, cdf);
    }
    case GELU_NEW: {
      const cube = f32x4.mul(f32x4.mul(z, z), z);
      const inner = f32x4.mul(sp(GELU_C), f32x4.add(z, f32x4.mul(sp(GELU_K), cube)));
      return f32x4.mul(sp(0.5), f32x4.mul(z, f32x4.add(sp(1.0), vtanh(inner))));
    }
    default:
      return z;
  }
}

/**
 * dL/dz from dL/dy, the pre-activation z and the activation y, in the order of tf.js' gradient
 * functions. Inlined where `act` is a constant, so that the switch folds away.
 */
@inline export function derive(act: i32, dy: v128, z: v128, y: v128): v128 {
  switch (act) {
    case RELU:
      // Relu_grad: dy · step(x)
      return f32x4.mul(dy, ones(f32x4.gt(z, sp(0.0))));
    case RELU6: {
      // minimum(6, relu(x)): Minimum_grad passes where 6 > relu(x), then Relu_grad
      const pass = v128.and(f32x4.gt(sp(6.0), f32x4.max(z, sp(0.0))), f32x4.gt(z, sp(0.0)));
      return f32x4.mul(dy, ones(pass));
    }
    case ELU:
      // EluGrad: y ≥ 0 ? dy : dy·(y + 1)
      return v128.bitselect(dy, f32x4.mul(dy, f32x4.add(y, sp(1.0))), f32x4.ge(y, sp(0.0)));
    case SELU:
      // Selu_grad: x > 0 ? dy·scale : dy·scaleAlpha·exp(x)
      return v128.bitselect(f32x4.mul(dy, sp(SELU_SCALE)), f32x4.mul(f32x4.mul(dy, sp(SELU_SCALEALPHA)), vexp(z)), f32x4.gt(z, sp(0.0)));
    case SIGMOID:
      // Sigmoid_grad: dy·(y·(1 − y))
      return f32x4.mul(dy, f32x4.mul(y, f32x4.sub(sp(1.0), y)));
    case HARD_SIGMOID: {
      // clipByValue(0.5 + 0.2x, 0, 1): ClipByValue_grad passes where 0 ≤ u ≤ 1, then ·0.2
      const u = f32x4.add(sp(0.5), f32x4.mul(sp(HS_SLOPE), z));
      const pass = v128.and(f32x4.ge(u, sp(0.0)), f32x4.le(u, sp(1.0)));
      return f32x4.mul(v128.and(dy, pass), sp(HS_SLOPE));
    }
    case TANH:
      // Tanh_grad: (1 − y²)·dy
      return f32x4.mul(f32x4.sub(sp(1.0), f32x4.mul(y, y)), dy);
    case SOFTPLUS:
      // Softplus_grad: dy·sigmoid(x)
      return f32x4.mul(dy, vsigmoid(z));
    case SOFTSIGN: {
      // x / (|x| + 1): RealDiv_grad on both operands, Abs_grad (step(x, −1)) on the denominator's
      const b = f32x4.add(f32x4.abs(z), sp(1.0));
      const da = f32x4.div(dy, b);
      const db = f32x4.neg(f32x4.mul(dy, f32x4.div(z, f32x4.mul(b, b))));
      return f32x4.add(da, f32x4.mul(db, sign1(z)));
    }
    case SWISH: {
      // sigmoid(x)·x: dy·s through the second factor, dy·x·s(1 − s) through the sigmoid
      const s = vsigmoid(z);
      return f32x4.add(f32x4.mul(dy, s), f32x4.mul(f32x4.mul(dy, z), f32x4.mul(s, f32x4.sub(sp(1.0), s))));
    }
    case MISH: {
      // x·tanh(softplus(x))
      const t = vtanh(vsoftplus(z));
      const dt = f32x4.mul(dy, z);
      const dsp = f32x4.mul(f32x4.sub(sp(1.0), f32x4.mul(t, t)), dt);
      return f32x4.add(f32x4.mul(dy, t), f32x4.mul(dsp, vsigmoid(z)));
    }
    case GELU: {
      // x·(0.5·(1 + erf(x/√2)))
      const u = f32x4.div(z, sp(SQRT2));
      const cdf = f32x4.mul(sp(0.5), f32x4.add(sp(1.0), verf(u)));
      const dcdf = f32x4.mul(f32x4.mul(dy, z), sp(0.5));
      const derf = f32x4.mul(vexp(f32x4.neg(f32x4.mul(u, u))), sp(TWO_OVER_SQRT_PI));
      return f32x4.add(f32x4.mul(dy, cdf), f32x4.div(f32x4.mul(dcdf, derf), sp(SQRT2)));
    }
    case GELU_NEW: {
      // 0.5·(x·(1 + tanh(c·(x + k·x³))))
      const zz = f32x4.mul(z, z);
      const cube = f32x4.mul(zz, z);
      const t = vtanh(f32x4.mul(sp(GELU_C), f32x4.add(z, f32x4.mul(sp(GELU_K), cube))));
      const half = f32x4.mul(dy, sp(0.5));
      const dt = f32x4.mul(f32x4.mul(half, z), f32x4.sub(sp(1.0), f32x4.mul(t, t)));
      const dinner = f32x4.mul(dt, sp(GELU_C));
      const dz3 = f32x4.mul(f32x4.mul(dinner, sp(GELU_K)), f32x4.mul(sp(3.0), zz));
      return f32x4.add(f32x4.add(f32x4.mul(half, f32x4.add(sp(1.0), t)), dinner), dz3);
    }
    default:
      return dy;
  }
}
