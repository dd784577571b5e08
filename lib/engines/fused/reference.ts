/**
 * The scalar reference of the fused engine: every kernel of ./assembly/ again, in plain TypeScript
 * with Math.fround after every float32 operation, in the same order (a SIMD lane is one scalar
 * loop; the register blocking and packing of the wasm kernels change no sum's order). Run through
 * the same orchestration (./passes.ts) over an ordinary memory, it must give the wasm engine's
 * results bit for bit: that test is what proves the engine deterministic across machines, since
 * everything here is IEEE float32 arithmetic that JavaScript specifies exactly.
 */
import type { Kernels } from './kernels';

const f = Math.fround;

const word = new DataView(new ArrayBuffer(4));
function bitsOf(x: number): number {
  word.setFloat32(0, x, true);
  return word.getInt32(0, true);
}
function floatOf(bits: number): number {
  word.setInt32(0, bits | 0, true);
  return word.getFloat32(0, true);
}

/** wasm's f32.nearest: round half to even. */
function nearest(x: number): number {
  if (!Number.isFinite(x)) return x;
  const r = Math.round(x);
  if (Math.abs(x % 1) === 0.5) return 2 * Math.round(x / 2);
  return r === 0 && (x < 0 || Object.is(x, -0)) ? -0 : r;
}

/** i32x4.trunc_sat_f32x4_s on one lane. */
function truncSat(x: number): number {
  if (Number.isNaN(x)) return 0;
  if (x >= 2147483647) return 2147483647;
  if (x <= -2147483648) return -2147483648;
  return Math.trunc(x) | 0;
}

const LOG2E = f(1.44269504088896341);
const LN2_HI = f(0.693359375);
const LN2_LO = f(-2.1219444e-4);
const EP = [1.98756915e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1].map(f);

function exp(x0: number): number {
  const x = Math.min(Math.max(x0, -104), 89);
  const n = nearest(f(x * LOG2E));
  let r = f(x - f(n * LN2_HI));
  r = f(r - f(n * LN2_LO));
  let p = EP[0];
  for (let i = 1; i < EP.length; i++) p = f(f(p * r) + EP[i]);
  const rr = f(r * r);
  let y = f(f(f(p * rr) + r) + 1);
  const k = truncSat(n);
  const k1 = k >> 1;
  const k2 = k - k1;
  y = f(y * floatOf((k1 + 127) << 23));
  y = f(y * floatOf((k2 + 127) << 23));
  return y;
}

const XM = [
  2.755731922398589e-7, 2.7557319223985893e-6, 2.48015873015873e-5, 1.984126984126984e-4, 0.001388888888888889, 0.008333333333333333, 0.041666666666666664,
  0.16666666666666666, 0.5,
].map(f);
const LN2 = f(0.6931471805599453);

function expm1(x: number): number {
  let p = XM[0];
  for (let i = 1; i < XM.length; i++) p = f(f(p * x) + XM[i]);
  const small = f(x + f(f(x * x) * p));
  const large = f(exp(x) - 1);
  return Math.abs(x) < LN2 ? small : large;
}

const LN2_HI_L = f(6.9313812256e-1);
const LN2_LO_L = f(9.0580006145e-6);
const LG1 = f(0.66666662693);
const LG2 = f(0.40000972152);
const LG3 = f(0.28498786688);
const LG4 = f(0.24279078841);
const MIN_NORMAL = f(1.17549435e-38);

function log(x: number): number {
  const tiny = x < MIN_NORMAL;
  const xs = tiny ? f(x * 33554432) : x;
  const ix = bitsOf(xs);
  let k = (ix >> 23) - 127;
  if (tiny) k -= 25;
  const mant = ix & 0x007fffff;
  const i = (mant + 0x4afb20) & 0x800000;
  const m = floatOf(mant | (i ^ 0x3f800000));
  k += i >>> 23;
  const fm = f(m - 1);
  const s = f(fm / f(2 + fm));
  const dk = f(k);
  const z = f(s * s);
  const w = f(z * z);
  const t1 = f(w * f(LG2 + f(w * LG4)));
  const t2 = f(z * f(LG1 + f(w * LG3)));
  const R = f(t2 + t1);
  const hfsq = f(f(0.5 * fm) * fm);
  const inner = f(f(s * f(hfsq + R)) + f(dk * LN2_LO_L));
  let y = f(f(dk * LN2_HI_L) - f(f(hfsq - inner) - fm));
  if (x === 0) y = -Infinity;
  if (x < 0) y = NaN;
  if (x === Infinity || Number.isNaN(x)) y = x;
  return y;
}

function log1p(x: number): number {
  const u = f(1 + x);
  const d = f(u - 1);
  const y = f(log(u) * f(x / d));
  return d === 0 || x === Infinity ? x : y;
}

function tanh(x: number): number {
  const a = Math.min(Math.abs(x), 9.5);
  const e = expm1(f(a + a));
  const t = f(e / f(e + 2));
  return floatOf(bitsOf(t) | (bitsOf(x) & 0x80000000));
}

function sigmoid(x: number): number {
  const e = exp(-Math.abs(x));
  const d = f(1 + e);
  return x >= 0 ? f(1 / d) : f(e / d);
}

const SOFTPLUS_T = f(13.942385152878742);

function softplus(x: number): number {
  const ex = exp(x);
  let y = log1p(ex);
  if (x < -SOFTPLUS_T) y = ex;
  if (x > SOFTPLUS_T) y = x;
  return y;
}

const ERX = f(8.42697144e-1);
const [PP0, PP1, PP2, QQ1, QQ2, QQ3] = [1.28379166e-1, -3.36030394e-1, -1.86261395e-3, 3.12324315e-1, 2.16070414e-2, -1.98859372e-3].map(f);
const [PA0, PA1, PA2, PA3, QA1, QA2, QA3] = [3.65041046e-6, 4.15109307e-1, -2.09395722e-1, 8.67677554e-2, 4.95560974e-1, 3.71248513e-1, 3.92478965e-2].map(f);
const [RA0, RA1, RA2, RA3, SA1, SA2, SA3] = [-9.88156721e-3, -5.43658376e-1, -1.6682831, -6.91554189e-1, 4.48581553, 4.1079917, 5.53855181e-1].map(f);
const [RB0, RB1, RB2, SB1, SB2, SB3] = [-9.86496918e-3, -5.48049808e-1, -1.84115684, 4.8713274, 3.0498271, -7.61900663e-1].map(f);

/** c + a·b (the wasm code's `madd`, two roundings). */
const madd = (a: number, b: number, c: number) => f(c + f(a * b));

function erf(x: number): number {
  const a = Math.abs(x);
  const z = f(x * x);
  const r = madd(z, madd(z, PP2, PP1), PP0);
  const s = madd(z, madd(z, madd(z, QQ3, QQ2), QQ1), 1);
  const small = f(x + f(x * f(r / s)));
  const s1 = f(a - 1);
  const P = madd(s1, madd(s1, madd(s1, PA3, PA2), PA1), PA0);
  const Q = madd(s1, madd(s1, madd(s1, QA3, QA2), QA1), 1);
  const mid = f(ERX + f(P / Q));
  const s2 = f(1 / f(a * a));
  const near = a < f(2.857142925);
  const R = near ? madd(s2, madd(s2, madd(s2, RA3, RA2), RA1), RA0) : madd(s2, madd(s2, RB2, RB1), RB0);
  const S = near ? madd(s2, madd(s2, madd(s2, SA3, SA2), SA1), 1) : madd(s2, madd(s2, madd(s2, SB3, SB2), SB1), 1);
  const zc = floatOf(bitsOf(a) & 0xffffe000);
  const e1 = exp(f(f(-f(zc * zc)) - 0.5625));
  const e2 = exp(f(f(f(zc - a) * f(zc + a)) + f(R / S)));
  const far = f(1 - f(f(e1 * e2) / a));
  let y = a < 1.25 ? mid : far;
  if (a >= 4) y = 1;
  y = floatOf(bitsOf(y) | (bitsOf(x) & 0x80000000));
  if (a < 0.84375) y = small;
  return Number.isNaN(x) ? x : y;
}

/** The unary functions by id, as `unary()` numbers them. */
export const UNARY = [exp, expm1, log, log1p, tanh, sigmoid, softplus, erf] as const;

// ---------------------------------------------------------------------------------------------
// Activations (./assembly/activations.ts)

const SELU_SCALEALPHA = f(1.7580993408473768599402175208123);
const SELU_SCALE = f(1.0507009873554804934193349852946);
const SQRT2 = f(1.4142135623730951);
const TWO_OVER_SQRT_PI = f(1.1283791670955126);
const GELU_C = f(0.7978845834732056);
const GELU_K = f(0.044715);
const HS_SLOPE = f(0.2);

/** tf.js' step(x, −1). */
function sign1(x: number): number {
  return Number.isNaN(x) ? x : x > 0 ? 1 : -1;
}

function activate(act: number, z: number): number {
  switch (act) {
    case 1:
      return Math.max(z, 0);
    case 2:
      return Math.min(6, Math.max(z, 0));
    case 3:
      return z >= 0 ? z : expm1(z);
    case 4:
      return z >= 0 ? f(SELU_SCALE * z) : f(SELU_SCALEALPHA * expm1(z));
    case 5:
      return sigmoid(z);
    case 6:
      return Math.min(Math.max(f(0.5 + f(HS_SLOPE * z)), 0), 1);
    case 7:
      return tanh(z);
    case 8:
      return softplus(z);
    case 9:
      return f(z / f(Math.abs(z) + 1));
    case 10:
      return f(sigmoid(z) * z);
    case 11:
      return f(z * tanh(softplus(z)));
    case 12: {
      const cdf = f(0.5 * f(1 + erf(f(z / SQRT2))));
      return f(z * cdf);
    }
    case 13: {
      const cube = f(f(z * z) * z);
      const inner = f(GELU_C * f(z + f(GELU_K * cube)));
      return f(0.5 * f(z * f(1 + tanh(inner))));
    }
    default:
      return z;
  }
}

function derive(act: number, dy: number, z: number, y: number): number {
  switch (act) {
    case 1:
      return f(dy * (z > 0 ? 1 : 0));
    case 2:
      return f(dy * (6 > Math.max(z, 0) && z > 0 ? 1 : 0));
    case 3:
      return y >= 0 ? dy : f(dy * f(y + 1));
    case 4:
      return z > 0 ? f(dy * SELU_SCALE) : f(f(dy * SELU_SCALEALPHA) * exp(z));
    case 5:
      return f(dy * f(y * f(1 - y)));
    case 6: {
      const u = f(0.5 + f(HS_SLOPE * z));
      return f((u >= 0 && u <= 1 ? dy : 0) * HS_SLOPE);
    }
    case 7:
      return f(f(1 - f(y * y)) * dy);
    case 8:
      return f(dy * sigmoid(z));
    case 9: {
      const b = f(Math.abs(z) + 1);
      const da = f(dy / b);
      const db = -f(dy * f(z / f(b * b)));
      return f(da + f(db * sign1(z)));
    }
    case 10: {
      const s = sigmoid(z);
      return f(f(dy * s) + f(f(dy * z) * f(s * f(1 - s))));
    }
    case 11: {
      const t = tanh(softplus(z));
      const dt = f(dy * z);
      const dsp = f(f(1 - f(t * t)) * dt);
      return f(f(dy * t) + f(dsp * sigmoid(z)));
    }
    case 12: {
      const u = f(z / SQRT2);
      const cdf = f(0.5 * f(1 + erf(u)));
      const dcdf = f(f(dy * z) * 0.5);
      const derf = f(exp(-f(u * u)) * TWO_OVER_SQRT_PI);
      return f(f(dy * cdf) + f(f(dcdf * derf) / SQRT2));
    }
    case 13: {
      const zz = f(z * z);
      const cube = f(zz * z);
      const t = tanh(f(GELU_C * f(z + f(GELU_K * cube))));
      const half = f(dy * 0.5);
      const dt = f(f(half * z) * f(1 - f(t * t)));
      const dinner = f(dt * GELU_C);
      const dz3 = f(f(dinner * GELU_K) * f(3 * zz));
      return f(f(f(half * f(1 + t)) + dinner) + dz3);
    }
    default:
      return dy;
  }
}

// ---------------------------------------------------------------------------------------------
// Losses and metrics (./assembly/index.ts loss, metric)

const EPS = f(1e-7);
const ONE_MINUS_EPS = f(0.9999999);
const LOG2 = f(0.6931471805599453);

const clip = (x: number) => Math.min(Math.max(x, EPS), ONE_MINUS_EPS);
const inClip = (x: number) => x >= EPS && x <= ONE_MINUS_EPS;

/** One element's loss value and gradient (kinds 0–6, 9–11). */
function elementLoss(kind: number, pj: number, tj: number, scale: number): [number, number] {
  switch (kind) {
    case 0: {
      const d = f(pj - tj);
      return [f(d * d), f(scale * f(d * 2))];
    }
    case 1: {
      const d = f(pj - tj);
      return [Math.abs(d), f(scale * sign1(d))];
    }
    case 2: {
      const ct = Math.max(Math.abs(tj), EPS);
      const u = f(f(tj - pj) / ct);
      return [Math.abs(u), -f(f(scale * sign1(u)) / ct)];
    }
    case 3: {
      const cp = Math.max(pj, EPS);
      const d = f(log(f(1 + cp)) - log(f(1 + Math.max(tj, EPS))));
      return [f(d * d), pj >= EPS ? f(f(scale * f(d * 2)) / f(1 + cp)) : 0];
    }
    case 4: {
      const d = f(pj - tj);
      const e = Math.abs(d);
      const q = Math.min(e, 1);
      const v = f(f(0.5 * f(q * q)) + f(1 * f(e - q)));
      const dlin = f(scale * 1);
      const dq = f(f(scale * 0.5) * f(q * 2));
      const de = f(dlin + (e <= 1 ? f(dq + -dlin) : 0));
      return [v, f(de * sign1(d))];
    }
    case 5: {
      const d = f(pj - tj);
      const m2 = f(-2 * d);
      return [f(f(d + softplus(m2)) - LOG2), f(scale + f(f(scale * sigmoid(m2)) * -2))];
    }
    case 9: {
      const u = f(1 - f(tj * pj));
      return [Math.max(0, u), f(-f(scale * (u > 0 ? 1 : 0)) * tj)];
    }
    case 10: {
      const u = f(1 - f(tj * pj));
      const m = Math.max(0, u);
      return [f(m * m), f(-f(f(scale * f(m * 2)) * (u > 0 ? 1 : 0)) * tj)];
    }
    case 11: {
      const e = f(EPS + pj);
      return [f(pj - f(tj * log(e))), f(scale + f(f(-scale * tj) / e))];
    }
    default: {
      const y = clip(pj);
      const b = f(1 - y);
      const q = f(y / b);
      const l = log(q);
      const e = exp(-Math.abs(l));
      const v = f(f(Math.max(l, 0) - f(l * tj)) + log1p(e));
      const d1 = f(scale * (l > 0 ? 1 : 0));
      const d2 = f(-scale * tj);
      const d3 = f(-f(f(scale / f(e + 1)) * e) * sign1(l));
      const dq = f(f(f(d1 + d2) + d3) / q);
      return [v, inClip(pj) ? f(f(dq / b) + f(f(dq * y) / f(b * b))) : 0];
    }
  }
}

// ---------------------------------------------------------------------------------------------

/** The reference kernels over a memory laid out as the wasm engine's. */
export class ReferenceKernels implements Kernels {
  private buffer?: ArrayBufferLike;
  // Views of a memory that may be shared: the annotations keep them any-buffer typed.
  private f32v: Float32Array = new Float32Array(0);
  private u32v: Uint32Array = new Uint32Array(0);
  private u8v: Uint8Array = new Uint8Array(0);

  constructor(private readonly memory: { readonly buffer: ArrayBufferLike }) {}

  private get F(): Float32Array {
    this.views();
    return this.f32v;
  }

  private views(): void {
    const buffer = this.memory.buffer;
    if (buffer !== this.buffer || this.f32v.byteLength !== buffer.byteLength) {
      this.buffer = buffer;
      this.f32v = new Float32Array(buffer);
      this.u32v = new Uint32Array(buffer);
      this.u8v = new Uint8Array(buffer);
    }
  }

  unary(fn: number, src: number, dst: number, count: number): void {
    const F = this.F;
    const g = UNARY[fn] ?? erf;
    for (let i = 0; i < count; i++) F[dst / 4 + i] = g(F[src / 4 + i]);
  }

  packRows(a: number, lda: number, rows: number, inner: number, ap: number, ldap: number): void {
    const F = this.F;
    for (let i = 0; i < rows; i += 4) {
      const out = ap / 4 + (i / 4) * ldap;
      for (let p = 0; p < inner; p++) for (let ii = 0; ii < 4; ii++) F[out + p * 4 + ii] = F[a / 4 + (i + ii) * lda + p];
    }
  }

  packCols(b: number, ldb: number, p0: number, p1: number, inner: number, cols: number, bp: number): void {
    const F = this.F;
    for (let j = 0; j < cols; j += 8) {
      for (let p = p0; p < p1; p++) {
        for (let q = 0; q < 8; q++) F[bp / 4 + j * inner + p * 8 + q] = j + q < cols ? F[b / 4 + p * ldb + j + q] : 0;
      }
    }
  }

  packTransposed(w: number, k: number, n: number, k0: number, k1: number, bp: number): void {
    const F = this.F;
    for (let kk = k0; kk < k1; kk += 8) {
      const left = Math.min(k1, k) - kk;
      for (let nn = 0; nn < n; nn++) {
        for (let q = 0; q < 8; q++) F[bp / 4 + kk * n + nn * 8 + q] = q < left ? F[w / 4 + (kk + q) * n + nn] : 0;
      }
    }
  }

  matmul(ap: number, ldap: number, bp: number, bias: number, inner: number, rows: number, cols: number, z: number, y: number, ldc: number, act: number): void {
    const F = this.F;
    for (let j = 0; j < cols; j += 8) {
      const lanes = cols - j > 4 ? 8 : 4;
      for (let i = 0; i < rows; i += 4) {
        for (let ii = 0; ii < 4; ii++) {
          for (let q = 0; q < lanes; q++) {
            let acc = 0;
            for (let p = 0; p < inner; p++) acc = f(acc + f(F[ap / 4 + (i / 4) * ldap + p * 4 + ii] * F[bp / 4 + j * inner + p * 8 + q]));
            let c = acc;
            if (bias) c = f(c + F[bias / 4 + j + q]);
            const o = (i + ii) * ldc + j + q;
            if (z) F[z / 4 + o] = c;
            if (act !== 0 && y !== z) F[y / 4 + o] = activate(act, c);
            else F[y / 4 + o] = c;
          }
        }
      }
    }
  }

  packQuads(src: number, lds: number, r0: number, r1: number, cap: number, cols: number, dst: number): void {
    const F = this.F;
    for (let j = 0; j < cols; j += 4) {
      for (let r = r0; r < r1; r++) {
        for (let q = 0; q < 4; q++) F[dst / 4 + ((j / 4) * cap + r) * 4 + q] = j + q < cols ? F[src / 4 + r * lds + j + q] : 0;
      }
    }
  }

  matmulNarrow(ap: number, ldap: number, w: number, bias: number, inner: number, rows: number, cols: number, z: number, y: number, ldc: number, act: number): void {
    const F = this.F;
    for (let i = 0; i < rows; i++) {
      for (let n = 0; n < cols; n++) {
        let acc = 0;
        for (let p = 0; p < inner; p++) acc = f(acc + f(F[ap / 4 + Math.floor(i / 4) * ldap + p * 4 + (i % 4)] * F[w / 4 + p * cols + n]));
        const c = bias ? f(acc + F[bias / 4 + n]) : acc;
        const o = i * ldc + n;
        if (z) F[z / 4 + o] = c;
        F[y / 4 + o] = act !== 0 && y !== z ? activate(act, c) : c;
      }
    }
  }

  gradKernelNarrow(xq: number, dz: number, ldz: number, cap: number, rows: number, k0: number, k1: number, cols: number, dw: number): void {
    const F = this.F;
    for (let k = k0; k < k1; k++) {
      for (let n = 0; n < cols; n++) {
        let acc = 0;
        for (let r = 0; r < rows; r++) acc = f(acc + f(F[xq / 4 + (Math.floor(k / 4) * cap + r) * 4 + (k % 4)] * F[dz / 4 + r * ldz + n]));
        F[dw / 4 + k * cols + n] = acc;
      }
    }
  }

  gradKernel(xq: number, dzp: number, cap: number, rows: number, k0: number, k1: number, cols: number, dw: number): void {
    const F = this.F;
    for (let k = k0; k < k1; k++) {
      for (let n = 0; n < cols; n++) {
        let acc = 0;
        for (let r = 0; r < rows; r++) acc = f(acc + f(F[xq / 4 + (Math.floor(k / 4) * cap + r) * 4 + (k % 4)] * F[dzp / 4 + (Math.floor(n / 8) * cap + r) * 8 + (n % 8)]));
        F[dw / 4 + k * cols + n] = acc;
      }
    }
  }

  gradBias(dz: number, ldz: number, rows: number, n0: number, n1: number, db: number): void {
    const F = this.F;
    for (let n = n0; n < n1; n++) {
      let acc = 0;
      for (let r = 0; r < rows; r++) acc = f(acc + F[dz / 4 + r * ldz + n]);
      F[db / 4 + n] = acc;
    }
  }

  deriveRows(act: number, dy: number, z: number, y: number, dz: number, ld: number, rows: number, cols: number): void {
    const F = this.F;
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < cols; j++) {
        const o = r * ld + j;
        F[dz / 4 + o] = derive(act, F[dy / 4 + o], F[z / 4 + o], F[y / 4 + o]);
      }
    }
  }

  softmaxRows(isLog: number, z: number, y: number, ld: number, rows: number, cols: number): void {
    const F = this.F;
    for (let r = 0; r < rows; r++) {
      const pz = z / 4 + r * ld;
      const py = y / 4 + r * ld;
      let m = F[pz];
      for (let j = 1; j < cols; j++) m = Math.max(m, F[pz + j]);
      let s = 0;
      for (let j = 0; j < cols; j++) {
        const e = exp(f(F[pz + j] - m));
        if (!isLog) F[py + j] = e;
        s = f(s + e);
      }
      if (isLog) {
        const ls = log(s);
        for (let j = 0; j < cols; j++) F[py + j] = f(f(F[pz + j] - m) - ls);
      } else {
        for (let j = 0; j < cols; j++) F[py + j] = f(F[py + j] / s);
      }
    }
  }

  softmaxBackRows(isLog: number, dy: number, y: number, dz: number, ld: number, rows: number, cols: number): void {
    const F = this.F;
    for (let r = 0; r < rows; r++) {
      const o = r * ld;
      let s = 0;
      if (isLog) {
        for (let j = 0; j < cols; j++) s = f(s + F[dy / 4 + o + j]);
        for (let j = 0; j < cols; j++) F[dz / 4 + o + j] = f(F[dy / 4 + o + j] - f(s * exp(F[y / 4 + o + j])));
      } else {
        for (let j = 0; j < cols; j++) s = f(s + f(F[dy / 4 + o + j] * F[y / 4 + o + j]));
        for (let j = 0; j < cols; j++) {
          const t = f(F[dy / 4 + o + j] * F[y / 4 + o + j]);
          F[dz / 4 + o + j] = f(t - f(s * F[y / 4 + o + j]));
        }
      }
    }
  }

  dropout(src: number, lds: number, mask: number, ldm: number, rows: number, cols: number, mult: number, dst: number, ldd: number): void {
    const F = this.F;
    const U8 = this.u8v;
    const m = f(mult);
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < cols; j++) F[dst / 4 + r * ldd + j] = f(F[src / 4 + r * lds + j] * (U8[mask + r * ldm + j] !== 0 ? m : 0));
    }
  }

  gather(src: number, width: number, idx: number, count: number, dst: number, ldd: number): void {
    const F = this.F;
    const U32 = this.u32v;
    for (let i = 0; i < count; i++) {
      const row = U32[idx / 4 + i];
      for (let j = 0; j < width; j++) F[dst / 4 + i * ldd + j] = F[src / 4 + row * width + j];
    }
  }

  loss(kind: number, p: number, ldp: number, t: number, ldt: number, rows: number, cols: number, out: number, dp: number, scale0: number): void {
    const F = this.F;
    const scale = f(scale0);
    for (let r = 0; r < rows; r++) {
      const pr = p / 4 + r * ldp;
      const tr = t / 4 + r * ldt;
      const gr = dp / 4 + r * ldp;
      let value: number;
      if (kind === 7 || kind === 8) {
        value = this.crossentropyRow(kind === 8, pr, tr, cols, dp ? gr : -1, scale);
      } else if (kind === 12) {
        value = this.klDivergenceRow(pr, tr, cols, dp ? gr : -1, scale);
      } else if (kind === 13) {
        value = this.categoricalHingeRow(pr, tr, cols, dp ? gr : -1, scale);
      } else {
        let s = 0;
        for (let j = 0; j < cols; j++) {
          const [v, g] = elementLoss(kind, F[pr + j], F[tr + j], scale);
          s = f(s + v);
          if (dp) F[gr + j] = g;
        }
        value = f(s / cols);
        if (kind === 2) value = f(100 * value);
      }
      F[out / 4 + r] = value;
    }
  }

  private klDivergenceRow(pr: number, tr: number, cols: number, gr: number, scale: number): number {
    const F = this.F;
    let s = 0;
    for (let j = 0; j < cols; j++) {
      const pj = F[pr + j];
      const tj = F[tr + j];
      const ct = Math.min(Math.max(tj, EPS), 1);
      const cp = Math.min(Math.max(pj, EPS), 1);
      const q = f(ct / cp);
      s = f(s + f(tj * log(q)));
      if (gr >= 0) {
        const dq = f(f(scale * tj) / q);
        F[gr + j] = pj >= EPS && pj <= 1 ? -f(f(dq * ct) / f(cp * cp)) : 0;
      }
    }
    return s;
  }

  private categoricalHingeRow(pr: number, tr: number, cols: number, gr: number, scale: number): number {
    const F = this.F;
    let pos = 0;
    let neg = -Infinity;
    for (let j = 0; j < cols; j++) {
      pos = f(pos + f(F[tr + j] * F[pr + j]));
      neg = Math.max(neg, f(f(1 - F[tr + j]) * F[pr + j]));
    }
    const w = f(1 + f(neg - pos));
    if (gr >= 0) {
      const gw = f(scale * (w > 0 ? 1 : 0));
      for (let j = 0; j < cols; j++) {
        const tj = F[tr + j];
        const a = f(f(1 - tj) * F[pr + j]);
        F[gr + j] = f(f(-gw * tj) + f(f(gw * (a === neg ? 1 : 0)) * f(1 - tj)));
      }
    }
    return Math.max(0, w);
  }

  private crossentropyRow(sparse: boolean, pr: number, tr: number, cols: number, gr: number, scale: number): number {
    const F = this.F;
    const cls = sparse ? Math.floor(F[tr]) : -1;
    const target = (j: number) => (sparse ? (j === cls ? 1 : 0) : F[tr + j]);
    let s = 0;
    for (let j = 0; j < cols; j++) s = f(s + (sparse ? clip(F[pr + j]) : F[pr + j]));
    let acc = 0;
    for (let j = 0; j < cols; j++) {
      const c = clip(f((sparse ? clip(F[pr + j]) : F[pr + j]) / s));
      acc = f(acc + f(target(j) * log(c)));
    }
    const value = -acc;
    if (gr >= 0) {
      const g = -scale;
      let back = 0;
      for (let j = 0; j < cols; j++) {
        const a = sparse ? clip(F[pr + j]) : F[pr + j];
        const yn = f(a / s);
        const gyn = inClip(yn) ? f(f(g * target(j)) / clip(yn)) : 0;
        F[gr + j] = f(gyn / s);
        back = f(back + f(gyn * a));
      }
      const ds = -f(back / f(s * s));
      for (let j = 0; j < cols; j++) {
        const ga = f(F[gr + j] + ds);
        F[gr + j] = sparse && !inClip(F[pr + j]) ? 0 : ga;
      }
    }
    return value;
  }

  metric(kind: number, p: number, ldp: number, t: number, ldt: number, rows: number, cols: number, out: number): void {
    if (kind < 14) {
      this.loss(kind, p, ldp, t, ldt, rows, cols, out, 0, 0);
      return;
    }
    const F = this.F;
    const argmax = (row: number) => {
      let best = 0;
      let m = F[row];
      for (let j = 1; j < cols; j++) {
        if (F[row + j] > m) {
          m = F[row + j];
          best = j;
        }
      }
      return best;
    };
    for (let r = 0; r < rows; r++) {
      const pr = p / 4 + r * ldp;
      const tr = t / 4 + r * ldt;
      let v: number;
      if (kind === 14) {
        let s = 0;
        for (let j = 0; j < cols; j++) s = f(s + (F[tr + j] === (F[pr + j] > 0.5 ? 1 : 0) ? 1 : 0));
        v = f(s / cols);
      } else if (kind === 15) {
        v = argmax(tr) === argmax(pr) ? 1 : 0;
      } else {
        v = F[tr] === argmax(pr) ? 1 : 0;
      }
      F[out / 4 + r] = v;
    }
  }

  allFinite(values: number, count: number): number {
    const F = this.F;
    for (let i = 0; i < count; i++) if (!Number.isFinite(F[values / 4 + i])) return 0;
    return 1;
  }

  mean(values: number, count: number): number {
    const F = this.F;
    let s = 0;
    for (let i = 0; i < count; i++) s = f(s + F[values / 4 + i]);
    return f(s / count);
  }

  penalty(w: number, count: number, l10: number, l20: number): number {
    const F = this.F;
    const l1 = f(l10);
    const l2 = f(l20);
    let reg = 0;
    if (l1 !== 0) {
      let s = 0;
      for (let i = 0; i < count; i++) s = f(s + f(l1 * Math.abs(F[w / 4 + i])));
      reg = f(reg + s);
    }
    if (l2 !== 0) {
      let s = 0;
      for (let i = 0; i < count; i++) {
        const v = F[w / 4 + i];
        s = f(s + f(l2 * f(v * v)));
      }
      reg = f(reg + s);
    }
    return reg;
  }

  regularize(w: number, g: number, i0: number, i1: number, l10: number, l20: number): void {
    const F = this.F;
    const l1 = f(l10);
    const l2 = f(l20);
    for (let i = i0; i < i1; i++) {
      const wv = F[w / 4 + i];
      let gv = F[g / 4 + i];
      if (l1 !== 0) gv = f(gv + f(l1 * sign1(wv)));
      if (l2 !== 0) gv = f(gv + f(l2 * f(wv + wv)));
      F[g / 4 + i] = gv;
    }
  }

  update(kind: number, flags: number, w: number, g: number, s0: number, s1: number, s2: number, i0: number, i1: number, c: number): void {
    const F = this.F;
    const [negLr, lr, eps, a, b, cc, d, e, fc] = Array.from(F.subarray(c / 4, c / 4 + 9));
    const W = w / 4;
    const G = g / 4;
    const S0 = s0 / 4;
    const S1 = s1 / 4;
    const S2 = s2 / 4;
    for (let i = i0; i < i1; i++) {
      const gv = F[G + i];
      const wv = F[W + i];
      let nw: number;
      switch (kind) {
        case 0:
          nw = f(f(negLr * gv) + wv);
          break;
        case 1: {
          const acc = f(f(a * F[S0 + i]) + gv);
          F[S0 + i] = acc;
          nw = flags & 1 ? f(f(negLr * f(gv + f(acc * a))) + wv) : f(f(negLr * acc) + wv);
          break;
        }
        case 2: {
          const acc = f(F[S0 + i] + f(gv * gv));
          F[S0 + i] = acc;
          nw = f(f(f(gv / f(Math.sqrt(f(acc + eps)))) * negLr) + wv);
          break;
        }
        case 3: {
          const ag = F[S0 + i];
          const au = F[S1 + i];
          const nag = f(f(ag * a) + f(f(gv * gv) * b));
          const upd = f(f(f(Math.sqrt(f(au + eps))) / f(Math.sqrt(f(ag + eps)))) * gv);
          const nau = f(f(au * a) + f(f(upd * upd) * b));
          F[S0 + i] = nag;
          F[S1 + i] = nau;
          nw = f(f(upd * negLr) + wv);
          break;
        }
        case 4: {
          const m = f(f(F[S0 + i] * a) + f(gv * b));
          const v = f(f(F[S1 + i] * cc) + f(f(gv * gv) * d));
          F[S0 + i] = m;
          F[S1 + i] = v;
          const mh = f(m / e);
          const vh = f(v / fc);
          nw = f(f(f(mh / f(f(Math.sqrt(vh)) + eps)) * negLr) + wv);
          break;
        }
        case 5: {
          const m = f(f(F[S0 + i] * a) + f(gv * b));
          const u = Math.max(f(F[S1 + i] * cc), Math.abs(gv));
          F[S0 + i] = m;
          F[S1 + i] = u;
          nw = f(f(d * f(m / f(u + eps))) + wv);
          break;
        }
        default: {
          const ms = f(f(F[S0 + i] * a) + f(f(gv * gv) * b));
          F[S0 + i] = ms;
          let denom: number;
          if (flags & 2) {
            const mg = f(f(F[S2 + i] * a) + f(gv * b));
            F[S2 + i] = mg;
            denom = f(Math.sqrt(f(ms - f(f(mg * mg) + eps))));
          } else {
            denom = f(Math.sqrt(f(ms + eps)));
          }
          const mom = f(f(F[S1 + i] * cc) + f(f(gv * lr) / denom));
          F[S1 + i] = mom;
          nw = f(wv - mom);
        }
      }
      F[W + i] = nw;
    }
  }

  peak(): number {
    return 0;
  }
}
