// Elementary functions on four float32 lanes, built from wasm's exactly rounded float ops only
// (add, sub, mul, div, sqrt, min, max, nearest) and integer bit tricks: no host libm, no FMA, so
// every machine and Node version computes the same bits. Each function is the single
// implementation of its formula (scalar uses go through lane 0), and ../reference.ts mirrors it
// operation for operation with Math.fround. Accuracy against double precision: see the tests.

// AssemblyScript, compiled by asc (npm run build:wasm; editors use ./tsconfig.json), not by tsc.

@inline function sp(x: f32): v128 {
  return f32x4.splat(x);
}

@inline function ip(x: i32): v128 {
  return i32x4.splat(x);
}

// exp: Cody–Waite reduction x = n·ln2 + r, |r| ≤ ln2/2, and Cephes' expf polynomial (rel. error
// ≤ 1.7e-7). 2^n is applied as two exact powers of two so that results down to the subnormal range
// are rounded once.
const LOG2E: f32 = 1.44269504088896341;
const LN2_HI: f32 = 0.693359375;
const LN2_LO: f32 = -2.12194440e-4;
const EP0: f32 = 1.9875691500e-4;
const EP1: f32 = 1.3981999507e-3;
const EP2: f32 = 8.3334519073e-3;
const EP3: f32 = 4.1665795894e-2;
const EP4: f32 = 1.6666665459e-1;
const EP5: f32 = 5.0000001201e-1;

export function vexp(x0: v128): v128 {
  const x = f32x4.min(f32x4.max(x0, sp(-104.0)), sp(89.0));
  const n = f32x4.nearest(f32x4.mul(x, sp(LOG2E)));
  let r = f32x4.sub(x, f32x4.mul(n, sp(LN2_HI)));
  r = f32x4.sub(r, f32x4.mul(n, sp(LN2_LO)));
  let p = sp(EP0);
  p = f32x4.add(f32x4.mul(p, r), sp(EP1));
  p = f32x4.add(f32x4.mul(p, r), sp(EP2));
  p = f32x4.add(f32x4.mul(p, r), sp(EP3));
  p = f32x4.add(f32x4.mul(p, r), sp(EP4));
  p = f32x4.add(f32x4.mul(p, r), sp(EP5));
  const rr = f32x4.mul(r, r);
  let y = f32x4.add(f32x4.add(f32x4.mul(p, rr), r), sp(1.0));
  const k = i32x4.trunc_sat_f32x4_s(n);
  const k1 = i32x4.shr_s(k, 1);
  const k2 = i32x4.sub(k, k1);
  y = f32x4.mul(y, i32x4.shl(i32x4.add(k1, ip(127)), 23));
  y = f32x4.mul(y, i32x4.shl(i32x4.add(k2, ip(127)), 23));
  return y;
}

// expm1: a degree-10 Taylor polynomial where exp(x) − 1 would cancel (|x| < ln 2; the first
// omitted term is < 5e-10 relative), exp(x) − 1 elsewhere.
const XM2: f32 = 0.5;
const XM3: f32 = 0.16666666666666666;
const XM4: f32 = 0.041666666666666664;
const XM5: f32 = 0.008333333333333333;
const XM6: f32 = 0.001388888888888889;
const XM7: f32 = 1.984126984126984e-4;
const XM8: f32 = 2.48015873015873e-5;
const XM9: f32 = 2.7557319223985893e-6;
const XM10: f32 = 2.755731922398589e-7;
const LN2: f32 = 0.6931471805599453;

export function vexpm1(x: v128): v128 {
  const near = f32x4.lt(f32x4.abs(x), sp(LN2));
  // Only the branch some lane needs (the lanes' bits are the same either way).
  if (!v128.any_true(near)) return f32x4.sub(vexp(x), sp(1.0));
  let p = sp(XM10);
  p = f32x4.add(f32x4.mul(p, x), sp(XM9));
  p = f32x4.add(f32x4.mul(p, x), sp(XM8));
  p = f32x4.add(f32x4.mul(p, x), sp(XM7));
  p = f32x4.add(f32x4.mul(p, x), sp(XM6));
  p = f32x4.add(f32x4.mul(p, x), sp(XM5));
  p = f32x4.add(f32x4.mul(p, x), sp(XM4));
  p = f32x4.add(f32x4.mul(p, x), sp(XM3));
  p = f32x4.add(f32x4.mul(p, x), sp(XM2));
  const small = f32x4.add(x, f32x4.mul(f32x4.mul(x, x), p));
  if (i32x4.all_true(near)) return small;
  const large = f32x4.sub(vexp(x), sp(1.0));
  return v128.bitselect(small, large, near);
}

// log: FreeBSD's logf (x = 2^k·(1+f), 1+f in [√2/2, √2), s = f/(2+f), a degree-4 polynomial in s²
// with error < 2^-34), subnormals scaled by 2^25 first.
const LN2_HI_L: f32 = 6.9313812256e-01;
const LN2_LO_L: f32 = 9.0580006145e-06;
const LG1: f32 = 0.66666662693;
const LG2: f32 = 0.40000972152;
const LG3: f32 = 0.28498786688;
const LG4: f32 = 0.24279078841;
const MIN_NORMAL: f32 = 1.17549435e-38;
const TWO25: f32 = 33554432.0;

export function vlog(x: v128): v128 {
  const tiny = f32x4.lt(x, sp(MIN_NORMAL));
  const xs = v128.bitselect(f32x4.mul(x, sp(TWO25)), x, tiny);
  let k = i32x4.sub(i32x4.shr_s(xs, 23), ip(127));
  k = i32x4.sub(k, v128.and(tiny, ip(25)));
  const mant = v128.and(xs, ip(0x007fffff));
  const i = v128.and(i32x4.add(mant, ip(0x4afb20)), ip(0x800000));
  const m = v128.or(mant, v128.xor(i, ip(0x3f800000)));
  k = i32x4.add(k, i32x4.shr_u(i, 23));
  const f = f32x4.sub(m, sp(1.0));
  const s = f32x4.div(f, f32x4.add(sp(2.0), f));
  const dk = f32x4.convert_i32x4_s(k);
  const z = f32x4.mul(s, s);
  const w = f32x4.mul(z, z);
  const t1 = f32x4.mul(w, f32x4.add(sp(LG2), f32x4.mul(w, sp(LG4))));
  const t2 = f32x4.mul(z, f32x4.add(sp(LG1), f32x4.mul(w, sp(LG3))));
  const R = f32x4.add(t2, t1);
  const hfsq = f32x4.mul(f32x4.mul(sp(0.5), f), f);
  const inner = f32x4.add(f32x4.mul(s, f32x4.add(hfsq, R)), f32x4.mul(dk, sp(LN2_LO_L)));
  let y = f32x4.sub(f32x4.mul(dk, sp(LN2_HI_L)), f32x4.sub(f32x4.sub(hfsq, inner), f));
  // log(0) = -inf, log(x < 0) = NaN, log(inf) = inf, log(NaN) = NaN.
  y = v128.bitselect(sp(-Infinity), y, f32x4.eq(x, sp(0.0)));
  y = v128.bitselect(sp(NaN), y, f32x4.lt(x, sp(0.0)));
  y = v128.bitselect(x, y, v128.or(f32x4.eq(x, sp(Infinity)), f32x4.ne(x, x)));
  return y;
}

// log1p: Kahan's log(u)·x/(u − 1) with u = 1 + x, which cancels the rounding error of u.
export function vlog1p(x: v128): v128 {
  const u = f32x4.add(sp(1.0), x);
  const d = f32x4.sub(u, sp(1.0));
  const y = f32x4.mul(vlog(u), f32x4.div(x, d));
  const exact = v128.or(f32x4.eq(d, sp(0.0)), f32x4.eq(x, sp(Infinity)));
  return v128.bitselect(x, y, exact);
}

// tanh(|x|) = e/(e + 2) with e = expm1(2|x|); tanh(9.5) already rounds to 1.
export function vtanh(x: v128): v128 {
  const a = f32x4.min(f32x4.abs(x), sp(9.5));
  const e = vexpm1(f32x4.add(a, a));
  const t = f32x4.div(e, f32x4.add(e, sp(2.0)));
  return v128.or(t, v128.and(x, ip(0x80000000)));
}

// sigmoid: 1/(1 + e^−x) for x ≥ 0 and e^x/(1 + e^x) below, which stays accurate into the
// subnormal range where e^−x would overflow.
export function vsigmoid(x: v128): v128 {
  const e = vexp(f32x4.neg(f32x4.abs(x)));
  const d = f32x4.add(sp(1.0), e);
  return v128.bitselect(f32x4.div(sp(1.0), d), f32x4.div(e, d), f32x4.ge(x, sp(0.0)));
}

// softplus with tf.js' thresholds (tfjs-backend-cpu Softplus: log(eps) + 2, eps = 2^-23): x above
// −threshold is returned as is, below threshold exp(x) is; log1p(exp(x)) in between.
const SOFTPLUS_T: f32 = 13.942385152878742;

export function vsoftplus(x: v128): v128 {
  const ex = vexp(x);
  let y = vlog1p(ex);
  y = v128.bitselect(ex, y, f32x4.lt(x, sp(-SOFTPLUS_T)));
  return v128.bitselect(x, y, f32x4.gt(x, sp(SOFTPLUS_T)));
}

// erf: FreeBSD's erff (Sun's s_erf.c rational approximations refitted for float by Bruce Evans):
// three intervals below 4, 1 beyond; all lanes compute every interval and select.
const ERX: f32 = 8.42697144e-01;
const PP0: f32 = 1.28379166e-01;
const PP1: f32 = -3.36030394e-01;
const PP2: f32 = -1.86261395e-03;
const QQ1: f32 = 3.12324315e-01;
const QQ2: f32 = 2.16070414e-02;
const QQ3: f32 = -1.98859372e-03;
const PA0: f32 = 3.65041046e-06;
const PA1: f32 = 4.15109307e-01;
const PA2: f32 = -2.09395722e-01;
const PA3: f32 = 8.67677554e-02;
const QA1: f32 = 4.95560974e-01;
const QA2: f32 = 3.71248513e-01;
const QA3: f32 = 3.92478965e-02;
const RA0: f32 = -9.88156721e-03;
const RA1: f32 = -5.43658376e-01;
const RA2: f32 = -1.66828310e+00;
const RA3: f32 = -6.91554189e-01;
const SA1: f32 = 4.48581553e+00;
const SA2: f32 = 4.10799170e+00;
const SA3: f32 = 5.53855181e-01;
const RB0: f32 = -9.86496918e-03;
const RB1: f32 = -5.48049808e-01;
const RB2: f32 = -1.84115684e+00;
const SB1: f32 = 4.87132740e+00;
const SB2: f32 = 3.04982710e+00;
const SB3: f32 = -7.61900663e-01;

@inline function madd(a: v128, b: v128, c: f32): v128 {
  return f32x4.add(sp(c), f32x4.mul(a, b));
}

export function verf(x: v128): v128 {
  const a = f32x4.abs(x);
  // |x| < 0.84375: x + x·P(x²)/Q(x²)
  const z = f32x4.mul(x, x);
  const r = madd(z, madd(z, sp(PP2), PP1), PP0);
  const s = madd(z, madd(z, madd(z, sp(QQ3), QQ2), QQ1), 1.0);
  const small = f32x4.add(x, f32x4.mul(x, f32x4.div(r, s)));
  // 0.84375 ≤ |x| < 1.25: erx + P(|x| − 1)/Q(|x| − 1)
  const s1 = f32x4.sub(a, sp(1.0));
  const P = madd(s1, madd(s1, madd(s1, sp(PA3), PA2), PA1), PA0);
  const Q = madd(s1, madd(s1, madd(s1, sp(QA3), QA2), QA1), 1.0);
  const mid = f32x4.add(sp(ERX), f32x4.div(P, Q));
  // 1.25 ≤ |x| < 4: 1 − exp(−z² − 0.5625)·exp((z − a)(z + a) + R/S)/a, z = a with 13 low bits cut
  const s2 = f32x4.div(sp(1.0), f32x4.mul(a, a));
  const near = f32x4.lt(a, sp(2.857142925));
  const Ra = madd(s2, madd(s2, madd(s2, sp(RA3), RA2), RA1), RA0);
  const Sa = madd(s2, madd(s2, madd(s2, sp(SA3), SA2), SA1), 1.0);
  const Rb = madd(s2, madd(s2, sp(RB2), RB1), RB0);
  const Sb = madd(s2, madd(s2, madd(s2, sp(SB3), SB2), SB1), 1.0);
  const R = v128.bitselect(Ra, Rb, near);
  const S = v128.bitselect(Sa, Sb, near);
  const zc = v128.and(a, ip(0xffffe000));
  const e1 = vexp(f32x4.sub(f32x4.neg(f32x4.mul(zc, zc)), sp(0.5625)));
  const e2 = vexp(f32x4.add(f32x4.mul(f32x4.sub(zc, a), f32x4.add(zc, a)), f32x4.div(R, S)));
  const far = f32x4.sub(sp(1.0), f32x4.div(f32x4.mul(e1, e2), a));
  let y = v128.bitselect(mid, far, f32x4.lt(a, sp(1.25)));
  y = v128.bitselect(sp(1.0), y, f32x4.ge(a, sp(4.0)));
  y = v128.or(y, v128.and(x, ip(0x80000000)));
  y = v128.bitselect(small, y, f32x4.lt(a, sp(0.84375)));
  // NaN stays NaN (every comparison above is false for it, and `far` is NaN).
  return v128.bitselect(x, y, f32x4.ne(x, x));
}
