// The fused MLP engine's kernels. Every buffer lives in the one (shared) memory that the JS side
// lays out (../layout.ts) and passes as byte pointers; strides are in floats. The orchestration of
// a training step is in ../passes.ts; ../reference.ts is this file again in plain TypeScript, and
// the tests hold the two bit-identical.
//
// Numerics are fixed by the order of float32 operations, never by the thread count or the SIMD
// width: every dot product is a sequential sum over its inner index starting from +0 (a lane per
// output element), every reduction over a batch is a sequential sum over rows in row order.

// AssemblyScript, compiled by asc (npm run build:wasm; editors use ./tsconfig.json), not by tsc.

import { vexp, vexpm1, vlog, vlog1p, vtanh, vsigmoid, vsoftplus, verf } from './math';
import { activate, derive, sign1, LINEAR } from './activations';

@inline function sp(x: f32): v128 {
  return f32x4.splat(x);
}

@inline function sexp(x: f32): f32 {
  return f32x4.extract_lane(vexp(f32x4.splat(x)), 0);
}
@inline function slog(x: f32): f32 {
  return f32x4.extract_lane(vlog(f32x4.splat(x)), 0);
}
@inline function slog1p(x: f32): f32 {
  return f32x4.extract_lane(vlog1p(f32x4.splat(x)), 0);
}
@inline function ssigmoid(x: f32): f32 {
  return f32x4.extract_lane(vsigmoid(f32x4.splat(x)), 0);
}
@inline function ssoftplus(x: f32): f32 {
  return f32x4.extract_lane(vsoftplus(f32x4.splat(x)), 0);
}
/** tf.js' step(x, −1), the gradient of abs: 1 for x > 0, −1 otherwise, NaN for NaN. */
@inline function ssign(x: f32): f32 {
  return x != x ? x : x > 0 ? 1.0 : -1.0;
}

/** Stores the first `count` (1..4) lanes of `v` at `ptr`. */
@inline function storeLanes(ptr: usize, v: v128, count: i32): void {
  if (count >= 4) {
    v128.store(ptr, v);
    return;
  }
  v128.store32_lane(ptr, v, 0);
  if (count > 1) v128.store32_lane(ptr, v, 1, 4);
  if (count > 2) v128.store32_lane(ptr, v, 2, 8);
}

// ---------------------------------------------------------------------------------------------
// Elementary functions over arrays (for the accuracy and bit-identity tests).

export function unary(fn: i32, src: usize, dst: usize, count: i32): void {
  for (let i = 0; i < count; i += 4) {
    const x = v128.load(src + (<usize>i << 2));
    let y: v128;
    switch (fn) {
      case 0: y = vexp(x); break;
      case 1: y = vexpm1(x); break;
      case 2: y = vlog(x); break;
      case 3: y = vlog1p(x); break;
      case 4: y = vtanh(x); break;
      case 5: y = vsigmoid(x); break;
      case 6: y = vsoftplus(x); break;
      default: y = verf(x);
    }
    storeLanes(dst + (<usize>i << 2), y, count - i);
  }
}

// ---------------------------------------------------------------------------------------------
// Dense layer products. C[rows, cols] = A[rows, inner] · B[inner, cols] (+ bias), vectorised over
// the columns of C in blocks of 4 rows × 8 columns held in registers. Both operands are packed
// first so that the inner loop reads two sequential streams: A as [rows/4][inner][4] (packRows),
// B as [⌈cols/8⌉][inner][8] panels (packCols, or packTransposed for Wᵀ), each panel small enough
// to stay in L1 while every row block passes over it. Packing moves data only: each output is
// still the sequential sum over the inner index from +0, then + bias.
// `rows` is a multiple of 4 (batches are padded); C's rows (ldc, a multiple of 4) have room for
// the last vector, whose lanes past `cols` hold garbage that nothing reads.

/**
 * ap[i/4][p][i%4] = a[i, p] for rows 0..rows (a multiple of 4); row blocks `ldap` floats apart
 * (≥ 4·inner; threads packing different layers' rows into one buffer need a fixed stride).
 */
export function packRows(a: usize, lda: i32, rows: i32, inner: i32, ap: usize, ldap: i32): void {
  const lda4 = <usize>lda << 2;
  for (let i = 0; i < rows; i += 4) {
    let p0 = a + <usize>i * lda4;
    let out = ap + <usize>(i >> 2) * (<usize>ldap << 2);
    let p = 0;
    for (; p + 4 <= inner; p += 4) {
      // a 4×4 transpose: rows i..i+3, columns p..p+3
      const r0 = v128.load(p0);
      const r1 = v128.load(p0 + lda4);
      const r2 = v128.load(p0 + 2 * lda4);
      const r3 = v128.load(p0 + 3 * lda4);
      const t0 = i32x4.shuffle(r0, r1, 0, 4, 1, 5);
      const t1 = i32x4.shuffle(r2, r3, 0, 4, 1, 5);
      const t2 = i32x4.shuffle(r0, r1, 2, 6, 3, 7);
      const t3 = i32x4.shuffle(r2, r3, 2, 6, 3, 7);
      v128.store(out, i64x2.shuffle(t0, t1, 0, 2));
      v128.store(out, i64x2.shuffle(t0, t1, 1, 3), 16);
      v128.store(out, i64x2.shuffle(t2, t3, 0, 2), 32);
      v128.store(out, i64x2.shuffle(t2, t3, 1, 3), 48);
      p0 += 16;
      out += 64;
    }
    for (; p < inner; p++) {
      store<f32>(out, load<f32>(p0));
      store<f32>(out, load<f32>(p0 + lda4), 4);
      store<f32>(out, load<f32>(p0 + 2 * lda4), 8);
      store<f32>(out, load<f32>(p0 + 3 * lda4), 12);
      p0 += 4;
      out += 16;
    }
  }
}

/** bp[j/8][p][j%8] = b[p, j] for rows p0..p1 of `inner`, zero past `cols`. */
export function packCols(b: usize, ldb: i32, p0: i32, p1: i32, inner: i32, cols: i32, bp: usize): void {
  const ldb4 = <usize>ldb << 2;
  for (let j = 0; j < cols; j += 8) {
    let src = b + <usize>p0 * ldb4 + (<usize>j << 2);
    let out = bp + (<usize>j * <usize>inner + (<usize>p0 << 3)) * 4;
    const left = cols - j;
    for (let p = p0; p < p1; p++) {
      if (left >= 8) {
        v128.store(out, v128.load(src));
        v128.store(out, v128.load(src, 16), 16);
      } else {
        for (let q = 0; q < 8; q++) store<f32>(out + (<usize>q << 2), q < left ? load<f32>(src + (<usize>q << 2)) : 0);
      }
      src += ldb4;
      out += 32;
    }
  }
}

/**
 * The panels of Wᵀ for W [k, n], rows k0..k1 (k0 a multiple of 8): bp[kk/8][nn][kk%8] = w[kk, nn],
 * zero past k. Full 4×4 blocks go through registers.
 */
export function packTransposed(w: usize, k: i32, n: i32, k0: i32, k1: i32, bp: usize): void {
  const ldw4 = <usize>n << 2;
  const last = min(k1, k);
  for (let kk = k0; kk < k1; kk += 8) {
    const panel = bp + <usize>kk * (<usize>n << 2);
    for (let q = 0; q < 8; q += 4) {
      const row = kk + q;
      const src = w + <usize>row * ldw4;
      let nn = 0;
      if (row + 4 <= last) {
        for (; nn + 4 <= n; nn += 4) {
          const p = src + (<usize>nn << 2);
          const r0 = v128.load(p);
          const r1 = v128.load(p + ldw4);
          const r2 = v128.load(p + 2 * ldw4);
          const r3 = v128.load(p + 3 * ldw4);
          const t0 = i32x4.shuffle(r0, r1, 0, 4, 1, 5);
          const t1 = i32x4.shuffle(r2, r3, 0, 4, 1, 5);
          const t2 = i32x4.shuffle(r0, r1, 2, 6, 3, 7);
          const t3 = i32x4.shuffle(r2, r3, 2, 6, 3, 7);
          const out = panel + (<usize>nn << 5) + (<usize>q << 2);
          v128.store(out, i64x2.shuffle(t0, t1, 0, 2));
          v128.store(out, i64x2.shuffle(t0, t1, 1, 3), 32);
          v128.store(out, i64x2.shuffle(t2, t3, 0, 2), 64);
          v128.store(out, i64x2.shuffle(t2, t3, 1, 3), 96);
        }
      }
      for (; nn < n; nn++) {
        const out = panel + (<usize>nn << 5) + (<usize>q << 2);
        for (let i = 0; i < 4; i++) store<f32>(out + (<usize>i << 2), row + i < last ? load<f32>(src + <usize>i * ldw4 + (<usize>nn << 2)) : 0);
      }
    }
  }
}

export function matmul(ap: usize, ldap: i32, bp: usize, bias: usize, inner: i32, rows: i32, cols: i32, z: usize, y: usize, ldc: i32, act: i32): void {
  // One copy of the loop per activation: `act` is a constant in each, so its switch folds away.
  if (act == LINEAR || y == z) matmulWith(LINEAR, ap, ldap, bp, bias, inner, rows, cols, z, y, ldc);
  else if (act == 1) matmulWith(1, ap, ldap, bp, bias, inner, rows, cols, z, y, ldc);
  else if (act == 2) matmulWith(2, ap, ldap, bp, bias, inner, rows, cols, z, y, ldc);
  else if (act == 3) matmulWith(3, ap, ldap, bp, bias, inner, rows, cols, z, y, ldc);
  else if (act == 4) matmulWith(4, ap, ldap, bp, bias, inner, rows, cols, z, y, ldc);
  else if (act == 5) matmulWith(5, ap, ldap, bp, bias, inner, rows, cols, z, y, ldc);
  else if (act == 6) matmulWith(6, ap, ldap, bp, bias, inner, rows, cols, z, y, ldc);
  else if (act == 7) matmulWith(7, ap, ldap, bp, bias, inner, rows, cols, z, y, ldc);
  else if (act == 8) matmulWith(8, ap, ldap, bp, bias, inner, rows, cols, z, y, ldc);
  else if (act == 9) matmulWith(9, ap, ldap, bp, bias, inner, rows, cols, z, y, ldc);
  else if (act == 10) matmulWith(10, ap, ldap, bp, bias, inner, rows, cols, z, y, ldc);
  else if (act == 11) matmulWith(11, ap, ldap, bp, bias, inner, rows, cols, z, y, ldc);
  else if (act == 12) matmulWith(12, ap, ldap, bp, bias, inner, rows, cols, z, y, ldc);
  else if (act == 13) matmulWith(13, ap, ldap, bp, bias, inner, rows, cols, z, y, ldc);
  else matmulWith(LINEAR, ap, ldap, bp, bias, inner, rows, cols, z, y, ldc);
}

@inline function matmulWith(act: i32, ap: usize, ldap: i32, bp: usize, bias: usize, inner: i32, rows: i32, cols: i32, z: usize, y: usize, ldc: i32): void {
  const ldc4 = <usize>ldc << 2;
  const panel = <usize>inner << 5;
  const block = <usize>ldap << 2;
  if (<usize>inner * <usize>(cols + 7) <= 6144) {
    // All of B fits in L1 (≤ 24 KB): each row block of A stays in L1 while it meets every panel.
    for (let i = 0; i < rows; i += 4) {
      for (let j = 0; j < cols; j += 8) block8(act, ap + <usize>(i >> 2) * block, bp + <usize>(j >> 3) * panel, bias, inner, cols, i, j, z, y, ldc4);
    }
  } else {
    // A large B: each panel (inner × 8) stays in L1 while every row block of A passes over it.
    for (let j = 0; j < cols; j += 8) {
      for (let i = 0; i < rows; i += 4) block8(act, ap + <usize>(i >> 2) * block, bp + <usize>(j >> 3) * panel, bias, inner, cols, i, j, z, y, ldc4);
    }
  }
}

/** One 4-row × 8-column block of C (4 columns when fewer remain), accumulated in registers. */
@inline function block8(act: i32, pa0: usize, pb0: usize, bias: usize, inner: i32, cols: i32, i: i32, j: i32, z: usize, y: usize, ldc4: usize): void {
  let pa = pa0;
  let pb = pb0;
  let c00 = sp(0.0), c01 = sp(0.0), c10 = sp(0.0), c11 = sp(0.0);
  let c20 = sp(0.0), c21 = sp(0.0), c30 = sp(0.0), c31 = sp(0.0);
  const wide = cols - j > 4;
  if (wide) {
    for (let p = 0; p < inner; p++) {
      const b0 = v128.load(pb);
      const b1 = v128.load(pb, 16);
      let s = v128.load32_splat(pa);
      c00 = f32x4.add(c00, f32x4.mul(s, b0));
      c01 = f32x4.add(c01, f32x4.mul(s, b1));
      s = v128.load32_splat(pa, 4);
      c10 = f32x4.add(c10, f32x4.mul(s, b0));
      c11 = f32x4.add(c11, f32x4.mul(s, b1));
      s = v128.load32_splat(pa, 8);
      c20 = f32x4.add(c20, f32x4.mul(s, b0));
      c21 = f32x4.add(c21, f32x4.mul(s, b1));
      s = v128.load32_splat(pa, 12);
      c30 = f32x4.add(c30, f32x4.mul(s, b0));
      c31 = f32x4.add(c31, f32x4.mul(s, b1));
      pa += 16;
      pb += 32;
    }
  } else {
    for (let p = 0; p < inner; p++) {
      const b0 = v128.load(pb);
      c00 = f32x4.add(c00, f32x4.mul(v128.load32_splat(pa), b0));
      c10 = f32x4.add(c10, f32x4.mul(v128.load32_splat(pa, 4), b0));
      c20 = f32x4.add(c20, f32x4.mul(v128.load32_splat(pa, 8), b0));
      c30 = f32x4.add(c30, f32x4.mul(v128.load32_splat(pa, 12), b0));
      pa += 16;
      pb += 32;
    }
  }
  const o = <usize>i * ldc4 + (<usize>j << 2);
  epilogue(c00, bias, j, o, y, z, act);
  epilogue(c10, bias, j, o + ldc4, y, z, act);
  epilogue(c20, bias, j, o + 2 * ldc4, y, z, act);
  epilogue(c30, bias, j, o + 3 * ldc4, y, z, act);
  if (wide) {
    epilogue(c01, bias, j + 4, o + 16, y, z, act);
    epilogue(c11, bias, j + 4, o + ldc4 + 16, y, z, act);
    epilogue(c21, bias, j + 4, o + 2 * ldc4 + 16, y, z, act);
    epilogue(c31, bias, j + 4, o + 3 * ldc4 + 16, y, z, act);
  }
}

/** Bias, then the pre-activation to z (unless z is 0: not training) and the activation to y. */
@inline function epilogue(v: v128, bias: usize, j: i32, out: usize, y: usize, z: usize, act: i32): void {
  let c = v;
  if (bias) c = f32x4.add(c, v128.load(bias + (<usize>j << 2)));
  if (act == LINEAR) {
    v128.store(y + out, c);
  } else {
    if (z) v128.store(z + out, c);
    v128.store(y + out, activate(act, c));
  }
}

/** Quads of columns for the kernel gradient: dst[j/4][r][j%4] = src[r, j] for rows r0..r1, zero past `cols`; quads `cap` rows apart. */
export function packQuads(src: usize, lds: i32, r0: i32, r1: i32, cap: i32, cols: i32, dst: usize): void {
  const lds4 = <usize>lds << 2;
  for (let j = 0; j < cols; j += 4) {
    let from = src + <usize>r0 * lds4 + (<usize>j << 2);
    let out = dst + (<usize>(j >> 2) * <usize>cap + <usize>r0) * 16;
    const left = cols - j;
    if (left >= 4) {
      for (let r = r0; r < r1; r++) {
        v128.store(out, v128.load(from));
        from += lds4;
        out += 16;
      }
    } else {
      for (let r = r0; r < r1; r++) {
        for (let q = 0; q < 4; q++) store<f32>(out + (<usize>q << 2), q < left ? load<f32>(from + (<usize>q << 2)) : 0);
        from += lds4;
        out += 16;
      }
    }
  }
}

/**
 * A layer of fewer than 4 units: C[rows, cols] = A·W (+ bias) with the lanes over 4 rows of the
 * packed A (packRows) instead of over units, so no lane is wasted; each output is still the
 * sequential sum over the inner index from +0, then + bias. W is [inner, cols] as stored.
 */
export function matmulNarrow(ap: usize, ldap: i32, w: usize, bias: usize, inner: i32, rows: i32, cols: i32, z: usize, y: usize, ldc: i32, act: i32): void {
  if (act == LINEAR || y == z) narrowWith(LINEAR, ap, ldap, w, bias, inner, rows, cols, z, y, ldc);
  else if (act == 1) narrowWith(1, ap, ldap, w, bias, inner, rows, cols, z, y, ldc);
  else if (act == 2) narrowWith(2, ap, ldap, w, bias, inner, rows, cols, z, y, ldc);
  else if (act == 3) narrowWith(3, ap, ldap, w, bias, inner, rows, cols, z, y, ldc);
  else if (act == 4) narrowWith(4, ap, ldap, w, bias, inner, rows, cols, z, y, ldc);
  else if (act == 5) narrowWith(5, ap, ldap, w, bias, inner, rows, cols, z, y, ldc);
  else if (act == 6) narrowWith(6, ap, ldap, w, bias, inner, rows, cols, z, y, ldc);
  else if (act == 7) narrowWith(7, ap, ldap, w, bias, inner, rows, cols, z, y, ldc);
  else if (act == 8) narrowWith(8, ap, ldap, w, bias, inner, rows, cols, z, y, ldc);
  else if (act == 9) narrowWith(9, ap, ldap, w, bias, inner, rows, cols, z, y, ldc);
  else if (act == 10) narrowWith(10, ap, ldap, w, bias, inner, rows, cols, z, y, ldc);
  else if (act == 11) narrowWith(11, ap, ldap, w, bias, inner, rows, cols, z, y, ldc);
  else if (act == 12) narrowWith(12, ap, ldap, w, bias, inner, rows, cols, z, y, ldc);
  else if (act == 13) narrowWith(13, ap, ldap, w, bias, inner, rows, cols, z, y, ldc);
  else narrowWith(LINEAR, ap, ldap, w, bias, inner, rows, cols, z, y, ldc);
}

@inline function narrowWith(act: i32, ap: usize, ldap: i32, w: usize, bias: usize, inner: i32, rows: i32, cols: i32, z: usize, y: usize, ldc: i32): void {
  const ldc4 = <usize>ldc << 2;
  const cols4 = <usize>cols << 2;
  for (let i = 0; i < rows; i += 4) {
    const pa0 = ap + <usize>(i >> 2) * (<usize>ldap << 2);
    for (let n = 0; n < cols; n++) {
      let pa = pa0;
      let pw = w + (<usize>n << 2);
      let c = sp(0.0);
      for (let p = 0; p < inner; p++) {
        c = f32x4.add(c, f32x4.mul(v128.load(pa), v128.load32_splat(pw)));
        pa += 16;
        pw += cols4;
      }
      if (bias) c = f32x4.add(c, v128.load32_splat(bias + (<usize>n << 2)));
      const o = <usize>i * ldc4 + (<usize>n << 2);
      if (act == LINEAR) {
        scatter(y + o, ldc4, c);
      } else {
        if (z) scatter(z + o, ldc4, c);
        scatter(y + o, ldc4, activate(act, c));
      }
    }
  }
}

/** Lane i of v to ptr + i·stride. */
@inline function scatter(ptr: usize, stride: usize, v: v128): void {
  v128.store32_lane(ptr, v, 0);
  v128.store32_lane(ptr + stride, v, 1);
  v128.store32_lane(ptr + 2 * stride, v, 2);
  v128.store32_lane(ptr + 3 * stride, v, 3);
}

/**
 * The kernel gradient of a layer of fewer than 4 units, lanes over 4 kernel rows k of the quads
 * (packQuads) instead of over units: dW[k, n] = Σ_r X[r, k]·dZ[r, n] in row order, as gradKernel.
 */
export function gradKernelNarrow(xq: usize, dz: usize, ldz: i32, cap: i32, rows: i32, k0: i32, k1: i32, cols: i32, dw: usize): void {
  const ldz4 = <usize>ldz << 2;
  const ldw4 = <usize>cols << 2;
  for (let k = k0; k < k1; k += 4) {
    const px0 = xq + <usize>(k >> 2) * <usize>cap * 16;
    for (let n = 0; n < cols; n++) {
      let px = px0;
      let pz = dz + (<usize>n << 2);
      let c = sp(0.0);
      for (let r = 0; r < rows; r++) {
        c = f32x4.add(c, f32x4.mul(v128.load(px), v128.load32_splat(pz)));
        px += 16;
        pz += ldz4;
      }
      const o = dw + <usize>k * ldw4 + (<usize>n << 2);
      v128.store32_lane(o, c, 0);
      if (k + 1 < k1) v128.store32_lane(o + ldw4, c, 1);
      if (k + 2 < k1) v128.store32_lane(o + 2 * ldw4, c, 2);
      if (k + 3 < k1) v128.store32_lane(o + 3 * ldw4, c, 3);
    }
  }
}

/**
 * Kernel gradient rows k0..k1 (k0 a multiple of 4): dW[k, n] = Σ_r X[r, k]·dZ[r, n] over
 * r = 0..rows−1 in order, blocks of 4 k × 8 n, from X packed in quads (packQuads) and dZ in panels
 * of 8 (packCols with inner = cap): two sequential streams. dW is [K, cols] without padding, so
 * partial vectors and rows past k1 are not stored.
 */
export function gradKernel(xq: usize, dzp: usize, cap: i32, rows: i32, k0: i32, k1: i32, cols: i32, dw: usize): void {
  const ldw4 = <usize>cols << 2;
  for (let n = 0; n < cols; n += 8) {
    const wide = cols - n > 4;
    const pz0 = dzp + <usize>(n >> 3) * <usize>cap * 32;
    for (let k = k0; k < k1; k += 4) {
      let px = xq + <usize>(k >> 2) * <usize>cap * 16;
      let pz = pz0;
      let c00 = sp(0.0), c01 = sp(0.0), c10 = sp(0.0), c11 = sp(0.0);
      let c20 = sp(0.0), c21 = sp(0.0), c30 = sp(0.0), c31 = sp(0.0);
      if (wide) {
        for (let r = 0; r < rows; r++) {
          const d0 = v128.load(pz);
          const d1 = v128.load(pz, 16);
          let s = v128.load32_splat(px);
          c00 = f32x4.add(c00, f32x4.mul(s, d0));
          c01 = f32x4.add(c01, f32x4.mul(s, d1));
          s = v128.load32_splat(px, 4);
          c10 = f32x4.add(c10, f32x4.mul(s, d0));
          c11 = f32x4.add(c11, f32x4.mul(s, d1));
          s = v128.load32_splat(px, 8);
          c20 = f32x4.add(c20, f32x4.mul(s, d0));
          c21 = f32x4.add(c21, f32x4.mul(s, d1));
          s = v128.load32_splat(px, 12);
          c30 = f32x4.add(c30, f32x4.mul(s, d0));
          c31 = f32x4.add(c31, f32x4.mul(s, d1));
          px += 16;
          pz += 32;
        }
      } else {
        for (let r = 0; r < rows; r++) {
          const d0 = v128.load(pz);
          c00 = f32x4.add(c00, f32x4.mul(v128.load32_splat(px), d0));
          c10 = f32x4.add(c10, f32x4.mul(v128.load32_splat(px, 4), d0));
          c20 = f32x4.add(c20, f32x4.mul(v128.load32_splat(px, 8), d0));
          c30 = f32x4.add(c30, f32x4.mul(v128.load32_splat(px, 12), d0));
          px += 16;
          pz += 32;
        }
      }
      const o = dw + <usize>k * ldw4 + (<usize>n << 2);
      const left = cols - n;
      storeRow(o, c00, c01, left);
      if (k + 1 < k1) storeRow(o + ldw4, c10, c11, left);
      if (k + 2 < k1) storeRow(o + 2 * ldw4, c20, c21, left);
      if (k + 3 < k1) storeRow(o + 3 * ldw4, c30, c31, left);
    }
  }
}

@inline function storeRow(ptr: usize, v0: v128, v1: v128, left: i32): void {
  storeLanes(ptr, v0, left);
  if (left > 4) storeLanes(ptr + 16, v1, left - 4);
}

/** Bias gradient columns n0..n1: db[n] = Σ_r dZ[r, n] in row order. */
export function gradBias(dz: usize, ldz: i32, rows: i32, n0: i32, n1: i32, db: usize): void {
  const ldz4 = <usize>ldz << 2;
  for (let n = n0; n < n1; n += 4) {
    let pz = dz + (<usize>n << 2);
    let c = sp(0.0);
    for (let r = 0; r < rows; r++) {
      c = f32x4.add(c, v128.load(pz));
      pz += ldz4;
    }
    storeLanes(db + (<usize>n << 2), c, n1 - n);
  }
}

// ---------------------------------------------------------------------------------------------
// Elementwise parts of a layer.

/** dZ = dY ⊙ f′ (as tf.js differentiates f) over rows × cols, all with stride ld. */
export function deriveRows(act: i32, dy: usize, z: usize, y: usize, dz: usize, ld: i32, rows: i32, cols: i32): void {
  const count = (rows - 1) * ld + cols;
  if (act == 1) deriveWith(1, dy, z, y, dz, count);
  else if (act == 2) deriveWith(2, dy, z, y, dz, count);
  else if (act == 3) deriveWith(3, dy, z, y, dz, count);
  else if (act == 4) deriveWith(4, dy, z, y, dz, count);
  else if (act == 5) deriveWith(5, dy, z, y, dz, count);
  else if (act == 6) deriveWith(6, dy, z, y, dz, count);
  else if (act == 7) deriveWith(7, dy, z, y, dz, count);
  else if (act == 8) deriveWith(8, dy, z, y, dz, count);
  else if (act == 9) deriveWith(9, dy, z, y, dz, count);
  else if (act == 10) deriveWith(10, dy, z, y, dz, count);
  else if (act == 11) deriveWith(11, dy, z, y, dz, count);
  else if (act == 12) deriveWith(12, dy, z, y, dz, count);
  else if (act == 13) deriveWith(13, dy, z, y, dz, count);
  else deriveWith(LINEAR, dy, z, y, dz, count);
}

/** Over `count` floats from each pointer (rows' padding included: its lanes are never read). */
@inline function deriveWith(act: i32, dy: usize, z: usize, y: usize, dz: usize, count: i32): void {
  for (let i = 0; i < count; i += 4) {
    const p = <usize>i << 2;
    v128.store(dz + p, derive(act, v128.load(dy + p), v128.load(z + p), v128.load(y + p)));
  }
}

/** Softmax (tfjs: exp(x − max) / Σ) or logSoftmax (x − max − log Σ exp(x − max)) of each row. */
export function softmaxRows(log: i32, z: usize, y: usize, ld: i32, rows: i32, cols: i32): void {
  for (let r = 0; r < rows; r++) {
    const pz = z + <usize>r * (<usize>ld << 2);
    const py = y + <usize>r * (<usize>ld << 2);
    let m = load<f32>(pz);
    for (let j = 1; j < cols; j++) m = max(m, load<f32>(pz + (<usize>j << 2)));
    let s: f32 = 0;
    for (let j = 0; j < cols; j++) {
      const e = sexp(load<f32>(pz + (<usize>j << 2)) - m);
      if (!log) store<f32>(py + (<usize>j << 2), e);
      s += e;
    }
    if (log) {
      const ls = slog(s);
      for (let j = 0; j < cols; j++) store<f32>(py + (<usize>j << 2), load<f32>(pz + (<usize>j << 2)) - m - ls);
    } else {
      for (let j = 0; j < cols; j++) store<f32>(py + (<usize>j << 2), load<f32>(py + (<usize>j << 2)) / s);
    }
  }
}

/** Softmax_grad: dz = dy·y − Σ(dy·y)·y; LogSoftmax_grad: dz = dy − Σdy·exp(y). */
export function softmaxBackRows(log: i32, dy: usize, y: usize, dz: usize, ld: i32, rows: i32, cols: i32): void {
  for (let r = 0; r < rows; r++) {
    const o = <usize>r * (<usize>ld << 2);
    let s: f32 = 0;
    if (log) {
      for (let j = 0; j < cols; j++) s += load<f32>(dy + o + (<usize>j << 2));
      for (let j = 0; j < cols; j++) {
        const p = o + (<usize>j << 2);
        store<f32>(dz + p, load<f32>(dy + p) - s * sexp(load<f32>(y + p)));
      }
    } else {
      for (let j = 0; j < cols; j++) {
        const p = o + (<usize>j << 2);
        s += load<f32>(dy + p) * load<f32>(y + p);
      }
      for (let j = 0; j < cols; j++) {
        const p = o + (<usize>j << 2);
        const t = load<f32>(dy + p) * load<f32>(y + p);
        store<f32>(dz + p, t - s * load<f32>(y + p));
      }
    }
  }
}

/**
 * tf.js dropout: x·(mask / keepProb), the multiplier `mult` = fround(1 / fround(1 − rate)) where
 * the mask byte is set, 0 where not. The same product is the backward pass (dx = dy·multiplier).
 * Masks are bytes, one per element, rows of `ldm`.
 */
export function dropout(src: usize, lds: i32, mask: usize, ldm: i32, rows: i32, cols: i32, mult: f32, dst: usize, ldd: i32): void {
  const keep = sp(mult);
  for (let r = 0; r < rows; r++) {
    const ps = src + <usize>r * (<usize>lds << 2);
    const pd = dst + <usize>r * (<usize>ldd << 2);
    const pm = mask + <usize>r * <usize>ldm;
    for (let j = 0; j < cols; j += 4) {
      const bytes = i32x4.extend_low_i16x8_u(i16x8.extend_low_i8x16_u(v128.load32_zero(pm + <usize>j)));
      const m = v128.and(v128.not(i32x4.eq(bytes, i32x4.splat(0))), keep);
      v128.store(pd + (<usize>j << 2), f32x4.mul(v128.load(ps + (<usize>j << 2)), m));
    }
  }
}

/** Copies rows idx[0..count) of src (rows of `width` floats) to dst (rows of ldd). */
export function gather(src: usize, width: i32, idx: usize, count: i32, dst: usize, ldd: i32): void {
  const bytes = <usize>width << 2;
  const ldd4 = <usize>ldd << 2;
  if (width > 16) {
    for (let i = 0; i < count; i++) memory.copy(dst + <usize>i * ldd4, src + <usize>load<u32>(idx + (<usize>i << 2)) * bytes, bytes);
    return;
  }
  // narrow rows (the usual inputs): a word loop beats memory.copy's call per row
  for (let i = 0; i < count; i++) {
    const from = src + <usize>load<u32>(idx + (<usize>i << 2)) * bytes;
    const to = dst + <usize>i * ldd4;
    for (let j: usize = 0; j < bytes; j += 4) store<u32>(to + j, load<u32>(from + j));
  }
}

// ---------------------------------------------------------------------------------------------
// Losses (tfjs-layers/src/losses.ts, tf.losses.huberLoss) per row, with the gradient of
// scale·Σ_rows loss with respect to the predictions as tf.js' autodiff orders it. Ids match
// LOSSES in ../spec.ts. `scale` is 1/B/N for the means over units, 1/B for the crossentropies
// (and 100/B/N for MAPE), computed by the caller.

const EPS: f32 = 1e-7;
const ONE_MINUS_EPS: f32 = 0.9999999;
const LOG2: f32 = 0.6931471805599453;
const HUBER_DELTA: f32 = 1.0;

@inline function clip(x: f32): f32 {
  return min(max(x, EPS), ONE_MINUS_EPS);
}
@inline function inClip(x: f32): bool {
  return x >= EPS && x <= ONE_MINUS_EPS;
}

export function loss(kind: i32, p: usize, ldp: i32, t: usize, ldt: i32, rows: i32, cols: i32, out: usize, dp: usize, scale: f32): void {
  for (let r = 0; r < rows; r++) {
    const pr = p + <usize>r * (<usize>ldp << 2);
    const tr = t + <usize>r * (<usize>ldt << 2);
    const gr = dp + <usize>r * (<usize>ldp << 2);
    let value: f32 = 0;
    if (kind == 7 || kind == 8) {
      value = crossentropyRow(kind == 8, pr, tr, cols, dp ? gr : 0, scale);
    } else if (kind == 12) {
      value = klDivergenceRow(pr, tr, cols, dp ? gr : 0, scale);
    } else if (kind == 13) {
      value = categoricalHingeRow(pr, tr, cols, dp ? gr : 0, scale);
    } else {
      let s: f32 = 0;
      for (let j = 0; j < cols; j++) {
        const pj = load<f32>(pr + (<usize>j << 2));
        const tj = load<f32>(tr + (<usize>j << 2));
        let v: f32 = 0;
        let g: f32 = 0;
        switch (kind) {
          case 0: {
            const d = pj - tj;
            v = d * d;
            g = scale * (d * 2);
            break;
          }
          case 1: {
            const d = pj - tj;
            v = abs(d);
            g = scale * ssign(d);
            break;
          }
          case 2: {
            const ct = max(abs(tj), EPS);
            const u = (tj - pj) / ct;
            v = abs(u);
            g = -((scale * ssign(u)) / ct);
            break;
          }
          case 3: {
            const cp = max(pj, EPS);
            const d = slog(1 + cp) - slog(1 + max(tj, EPS));
            v = d * d;
            g = pj >= EPS ? (scale * (d * 2)) / (1 + cp) : 0;
            break;
          }
          case 4: {
            const d = pj - tj;
            const e = abs(d);
            const q = min(e, HUBER_DELTA);
            v = 0.5 * (q * q) + HUBER_DELTA * (e - q);
            const dlin = scale * HUBER_DELTA;
            const dq = (scale * 0.5) * (q * 2);
            const de = dlin + (e <= HUBER_DELTA ? dq + -dlin : 0);
            g = de * ssign(d);
            break;
          }
          case 5: {
            const d = pj - tj;
            const m2: f32 = <f32>-2 * d;
            v = d + ssoftplus(m2) - LOG2;
            g = scale + (scale * ssigmoid(m2)) * -2;
            break;
          }
          case 9: {
            // hinge: max(0, 1 − t·p); Maximum_grad passes where 0 < u
            const u: f32 = 1 - tj * pj;
            v = max(<f32>0, u);
            g = -(scale * (u > 0 ? <f32>1 : <f32>0)) * tj;
            break;
          }
          case 10: {
            // squaredHinge: max(0, 1 − t·p)²
            const u: f32 = 1 - tj * pj;
            const m = max(<f32>0, u);
            v = m * m;
            g = -((scale * (m * 2)) * (u > 0 ? <f32>1 : <f32>0)) * tj;
            break;
          }
          case 11: {
            // poisson: p − t·log(ε + p)
            const e: f32 = EPS + pj;
            v = pj - tj * slog(e);
            g = scale + (-scale * tj) / e;
            break;
          }
          default: {
            // binaryCrossentropy: clip, logit l = log(y/(1 − y)), then tf's sigmoid cross-entropy
            // max(l, 0) − l·t + log1p(exp(−|l|))
            const y = clip(pj);
            const b: f32 = 1 - y;
            const q = y / b;
            const l = slog(q);
            const e = sexp(-abs(l));
            v = max(l, 0) - l * tj + slog1p(e);
            const d1 = scale * (l > 0 ? <f32>1 : <f32>0);
            const d2 = -scale * tj;
            const d3 = -((scale / (e + 1)) * e) * ssign(l);
            const dq = (d1 + d2 + d3) / q;
            g = inClip(pj) ? dq / b + (dq * y) / (b * b) : 0;
          }
        }
        s += v;
        if (dp) store<f32>(gr + (<usize>j << 2), g);
      }
      value = s / <f32>cols;
      if (kind == 2) value = 100 * value;
    }
    store<f32>(out + (<usize>r << 2), value);
  }
}

/** kullbackLeiblerDivergence: Σ t·log(clip(t, ε, 1) / clip(p, ε, 1)). */
function klDivergenceRow(pr: usize, tr: usize, cols: i32, gr: usize, scale: f32): f32 {
  let s: f32 = 0;
  for (let j = 0; j < cols; j++) {
    const pj = load<f32>(pr + (<usize>j << 2));
    const tj = load<f32>(tr + (<usize>j << 2));
    const ct = min(max(tj, EPS), <f32>1);
    const cp = min(max(pj, EPS), <f32>1);
    const q = ct / cp;
    s += tj * slog(q);
    if (gr) {
      // Log_grad then RealDiv_grad on the denominator: −((g·t/q)·ct)/cp², where the clip passes
      const dq = (scale * tj) / q;
      store<f32>(gr + (<usize>j << 2), pj >= EPS && pj <= 1 ? -((dq * ct) / (cp * cp)) : 0);
    }
  }
  return s;
}

/** categoricalHinge: max(0, 1 + (max((1 − t)·p) − Σ t·p)); Max_grad feeds every element equal to the max. */
function categoricalHingeRow(pr: usize, tr: usize, cols: i32, gr: usize, scale: f32): f32 {
  let pos: f32 = 0;
  let neg: f32 = -Infinity;
  for (let j = 0; j < cols; j++) {
    const pj = load<f32>(pr + (<usize>j << 2));
    const tj = load<f32>(tr + (<usize>j << 2));
    pos += tj * pj;
    neg = max(neg, (<f32>1 - tj) * pj);
  }
  const w: f32 = 1 + (neg - pos);
  if (gr) {
    const gw = scale * (w > 0 ? <f32>1 : <f32>0);
    for (let j = 0; j < cols; j++) {
      const pj = load<f32>(pr + (<usize>j << 2));
      const tj = load<f32>(tr + (<usize>j << 2));
      const a: f32 = (<f32>1 - tj) * pj;
      store<f32>(gr + (<usize>j << 2), -gw * tj + (gw * (a == neg ? <f32>1 : <f32>0)) * (<f32>1 - tj));
    }
  }
  return max(<f32>0, w);
}

/**
 * categoricalCrossentropy: p / Σp, clipped, −Σ t·log; sparse: the prediction is clipped first and
 * the target is one-hot of floor(t). The gradient flows through both clips and the division.
 */
function crossentropyRow(sparse: bool, pr: usize, tr: usize, cols: i32, gr: usize, scale: f32): f32 {
  const cls = sparse ? <i32>floor(load<f32>(tr)) : -1;
  let s: f32 = 0;
  for (let j = 0; j < cols; j++) {
    const pj = load<f32>(pr + (<usize>j << 2));
    s += sparse ? clip(pj) : pj;
  }
  let acc: f32 = 0;
  for (let j = 0; j < cols; j++) {
    const pj = load<f32>(pr + (<usize>j << 2));
    const tj: f32 = sparse ? (j == cls ? <f32>1 : <f32>0) : load<f32>(tr + (<usize>j << 2));
    const c = clip((sparse ? clip(pj) : pj) / s);
    acc += tj * slog(c);
  }
  const value = -acc;
  if (gr) {
    const g = -scale;
    let back: f32 = 0;
    for (let j = 0; j < cols; j++) {
      const pj = load<f32>(pr + (<usize>j << 2));
      const tj: f32 = sparse ? (j == cls ? <f32>1 : <f32>0) : load<f32>(tr + (<usize>j << 2));
      const a = sparse ? clip(pj) : pj;
      const yn = a / s;
      const gyn = inClip(yn) ? (g * tj) / clip(yn) : 0;
      store<f32>(gr + (<usize>j << 2), gyn / s);
      back += gyn * a;
    }
    const ds = -(back / (s * s));
    for (let j = 0; j < cols; j++) {
      const pj = load<f32>(pr + (<usize>j << 2));
      const ga = load<f32>(gr + (<usize>j << 2)) + ds;
      store<f32>(gr + (<usize>j << 2), sparse && !inClip(pj) ? 0 : ga);
    }
  }
  return value;
}

/**
 * Metrics per row (tfjs-layers/src/metrics.ts): ids 0–13 are the losses' values, 14 binaryAccuracy,
 * 15 categoricalAccuracy, 16 sparseCategoricalAccuracy.
 */
export function metric(kind: i32, p: usize, ldp: i32, t: usize, ldt: i32, rows: i32, cols: i32, out: usize): void {
  if (kind < 14) {
    loss(kind, p, ldp, t, ldt, rows, cols, out, 0, 0);
    return;
  }
  for (let r = 0; r < rows; r++) {
    const pr = p + <usize>r * (<usize>ldp << 2);
    const tr = t + <usize>r * (<usize>ldt << 2);
    let v: f32 = 0;
    if (kind == 14) {
      let s: f32 = 0;
      for (let j = 0; j < cols; j++) {
        const predicted: f32 = load<f32>(pr + (<usize>j << 2)) > 0.5 ? 1 : 0;
        s += load<f32>(tr + (<usize>j << 2)) == predicted ? <f32>1 : <f32>0;
      }
      v = s / <f32>cols;
    } else {
      const ap = argmax(pr, cols);
      if (kind == 15) v = argmax(tr, cols) == ap ? 1 : 0;
      else v = load<f32>(tr) == <f32>ap ? 1 : 0;
    }
    store<f32>(out + (<usize>r << 2), v);
  }
}

@inline function argmax(row: usize, cols: i32): i32 {
  let best = 0;
  let m = load<f32>(row);
  for (let j = 1; j < cols; j++) {
    const v = load<f32>(row + (<usize>j << 2));
    if (v > m) {
      m = v;
      best = j;
    }
  }
  return best;
}

/**
 * 1 when every float32 of values[0..count) is finite, else 0: a NaN or an infinity is a value with
 * all its exponent bits set. Four values a lane-wise test, with no branch until the end.
 */
export function allFinite(values: usize, count: i32): i32 {
  const exponent = i32x4.splat(0x7f800000);
  let flagged = i32x4.splat(0);
  let i = 0;
  for (; i + 8 <= count; i += 8) {
    const a = v128.load(values + (<usize>i << 2));
    const b = v128.load(values + (<usize>i << 2), 16);
    flagged = v128.or(flagged, v128.or(i32x4.eq(v128.and(a, exponent), exponent), i32x4.eq(v128.and(b, exponent), exponent)));
  }
  let finite = !v128.any_true(flagged);
  for (; i < count; i++) if ((load<i32>(values + (<usize>i << 2)) & 0x7f800000) == 0x7f800000) finite = false;
  return finite ? 1 : 0;
}

/** Σ values[0..count) in order, divided by count. */
export function mean(values: usize, count: i32): f32 {
  let s: f32 = 0;
  for (let i = 0; i < count; i++) s += load<f32>(values + (<usize>i << 2));
  return s / <f32>count;
}

// ---------------------------------------------------------------------------------------------
// Regularisers (tfjs-layers/src/regularizers.ts L1L2): penalty 0 + Σ l1·|w| + Σ l2·w², gradient
// l1·step(w, −1) + l2·(w·2) added to the data gradient.

export function penalty(w: usize, count: i32, l1: f32, l2: f32): f32 {
  let reg: f32 = 0;
  if (l1 != 0) {
    let s: f32 = 0;
    for (let i = 0; i < count; i++) s += l1 * abs(load<f32>(w + (<usize>i << 2)));
    reg += s;
  }
  if (l2 != 0) {
    let s: f32 = 0;
    for (let i = 0; i < count; i++) {
      const v = load<f32>(w + (<usize>i << 2));
      s += l2 * (v * v);
    }
    reg += s;
  }
  return reg;
}

export function regularize(w: usize, g: usize, i0: i32, i1: i32, l1: f32, l2: f32): void {
  const vl1 = sp(l1);
  const vl2 = sp(l2);
  for (let i = i0; i < i1; i += 4) {
    const o = <usize>i << 2;
    const wv = v128.load(w + o);
    let gv = v128.load(g + o);
    if (l1 != 0) gv = f32x4.add(gv, f32x4.mul(vl1, sign1(wv)));
    if (l2 != 0) gv = f32x4.add(gv, f32x4.mul(vl2, f32x4.add(wv, wv)));
    storeLanes(g + o, gv, i1 - i);
  }
}

// ---------------------------------------------------------------------------------------------
// Optimizers (tfjs-core/src/optimizers/*_optimizer.ts), elementwise over params i0..i1, op for op.
// Ids match OPTIMIZERS in ../spec.ts; `c` points at the step's float32 constants:
// [−lr, lr, epsilon, a, b, c, d, e, f] whose a–f each optimizer documents below.

export function update(kind: i32, flags: i32, w: usize, g: usize, s0: usize, s1: usize, s2: usize, i0: i32, i1: i32, c: usize): void {
  // One loop per optimizer (and flag): constants after inlining, so the switch folds away.
  if (kind == 0) updateWith(0, 0, w, g, s0, s1, s2, i0, i1, c);
  else if (kind == 1 && flags & 1) updateWith(1, 1, w, g, s0, s1, s2, i0, i1, c);
  else if (kind == 1) updateWith(1, 0, w, g, s0, s1, s2, i0, i1, c);
  else if (kind == 2) updateWith(2, 0, w, g, s0, s1, s2, i0, i1, c);
  else if (kind == 3) updateWith(3, 0, w, g, s0, s1, s2, i0, i1, c);
  else if (kind == 4) updateWith(4, 0, w, g, s0, s1, s2, i0, i1, c);
  else if (kind == 5) updateWith(5, 0, w, g, s0, s1, s2, i0, i1, c);
  else if (flags & 2) updateWith(6, 2, w, g, s0, s1, s2, i0, i1, c);
  else updateWith(6, 0, w, g, s0, s1, s2, i0, i1, c);
}

@inline function updateWith(kind: i32, flags: i32, w: usize, g: usize, s0: usize, s1: usize, s2: usize, i0: i32, i1: i32, c: usize): void {
  const negLr = v128.load32_splat(c);
  const lr = v128.load32_splat(c, 4);
  const eps = v128.load32_splat(c, 8);
  const a = v128.load32_splat(c, 12);
  const b = v128.load32_splat(c, 16);
  const cc = v128.load32_splat(c, 20);
  const d = v128.load32_splat(c, 24);
  const e = v128.load32_splat(c, 28);
  const f = v128.load32_splat(c, 32);
  for (let i = i0; i < i1; i += 4) {
    const o = <usize>i << 2;
    const left = i1 - i;
    const gv = v128.load(g + o);
    const wv = v128.load(w + o);
    let nw: v128;
    switch (kind) {
      case 0: {
        // SGD: w + (−lr)·g
        nw = f32x4.add(f32x4.mul(negLr, gv), wv);
        break;
      }
      case 1: {
        // Momentum (a = momentum): acc = m·acc + g; nesterov: w + (−lr)·(g + acc·m)
        const acc = f32x4.add(f32x4.mul(a, v128.load(s0 + o)), gv);
        storeLanes(s0 + o, acc, left);
        nw = flags & 1 ? f32x4.add(f32x4.mul(negLr, f32x4.add(gv, f32x4.mul(acc, a))), wv) : f32x4.add(f32x4.mul(negLr, acc), wv);
        break;
      }
      case 2: {
        // Adagrad: acc += g²; w + (g / √(acc + ε))·(−lr)
        const acc = f32x4.add(v128.load(s0 + o), f32x4.mul(gv, gv));
        storeLanes(s0 + o, acc, left);
        nw = f32x4.add(f32x4.mul(f32x4.div(gv, f32x4.sqrt(f32x4.add(acc, eps))), negLr), wv);
        break;
      }
      case 3: {
        // Adadelta (a = ρ, b = 1 − ρ): the update uses the old accumulated gradient, as tf.js does
        const ag = v128.load(s0 + o);
        const au = v128.load(s1 + o);
        const nag = f32x4.add(f32x4.mul(ag, a), f32x4.mul(f32x4.mul(gv, gv), b));
        const upd = f32x4.mul(f32x4.div(f32x4.sqrt(f32x4.add(au, eps)), f32x4.sqrt(f32x4.add(ag, eps))), gv);
        const nau = f32x4.add(f32x4.mul(au, a), f32x4.mul(f32x4.mul(upd, upd), b));
        storeLanes(s0 + o, nag, left);
        storeLanes(s1 + o, nau, left);
        nw = f32x4.add(f32x4.mul(upd, negLr), wv);
        break;
      }
      case 4: {
        // Adam (a = β1, b = 1 − β1, cc = β2, d = 1 − β2, e = 1 − accβ1, f = 1 − accβ2)
        const m = f32x4.add(f32x4.mul(v128.load(s0 + o), a), f32x4.mul(gv, b));
        const v = f32x4.add(f32x4.mul(v128.load(s1 + o), cc), f32x4.mul(f32x4.mul(gv, gv), d));
        storeLanes(s0 + o, m, left);
        storeLanes(s1 + o, v, left);
        const mh = f32x4.div(m, e);
        const vh = f32x4.div(v, f);
        nw = f32x4.add(f32x4.mul(f32x4.div(mh, f32x4.add(f32x4.sqrt(vh), eps)), negLr), wv);
        break;
      }
      case 5: {
        // Adamax (a = β1, b = 1 − β1, cc = β2, d = lr_t / (1 − accβ1))
        const m = f32x4.add(f32x4.mul(v128.load(s0 + o), a), f32x4.mul(gv, b));
        const u = f32x4.max(f32x4.mul(v128.load(s1 + o), cc), f32x4.abs(gv));
        storeLanes(s0 + o, m, left);
        storeLanes(s1 + o, u, left);
        nw = f32x4.add(f32x4.mul(d, f32x4.div(m, f32x4.add(u, eps))), wv);
        break;
      }
      default: {
        // RMSProp (a = decay, b = 1 − decay, cc = momentum; flags & 2: centered)
        const ms = f32x4.add(f32x4.mul(v128.load(s0 + o), a), f32x4.mul(f32x4.mul(gv, gv), b));
        storeLanes(s0 + o, ms, left);
        let denom: v128;
        if (flags & 2) {
          const mg = f32x4.add(f32x4.mul(v128.load(s2 + o), a), f32x4.mul(gv, b));
          storeLanes(s2 + o, mg, left);
          denom = f32x4.sqrt(f32x4.sub(ms, f32x4.add(f32x4.mul(mg, mg), eps)));
        } else {
          denom = f32x4.sqrt(f32x4.add(ms, eps));
        }
        const mom = f32x4.add(f32x4.mul(v128.load(s1 + o), cc), f32x4.div(f32x4.mul(gv, lr), denom));
        storeLanes(s1 + o, mom, left);
        nw = f32x4.sub(wv, mom);
      }
    }
    storeLanes(w + o, nw, left);
  }
}

// ---------------------------------------------------------------------------------------------
// Peak of SIMD128 multiply-add on this machine: 6 independent mul chains feeding 6 add chains
// (12 vectors live plus the factor: more would spill V8's 15 usable xmm registers).

export function peak(iterations: i32, c: f32): f32 {
  const k = sp(c);
  let m0 = sp(1.0), m1 = sp(1.0), m2 = sp(1.0), m3 = sp(1.0), m4 = sp(1.0), m5 = sp(1.0);
  let a0 = sp(0.0), a1 = sp(0.0), a2 = sp(0.0), a3 = sp(0.0), a4 = sp(0.0), a5 = sp(0.0);
  for (let i = 0; i < iterations; i++) {
    m0 = f32x4.mul(m0, k);
    m1 = f32x4.mul(m1, k);
    m2 = f32x4.mul(m2, k);
    m3 = f32x4.mul(m3, k);
    m4 = f32x4.mul(m4, k);
    m5 = f32x4.mul(m5, k);
    a0 = f32x4.add(a0, m0);
    a1 = f32x4.add(a1, m1);
    a2 = f32x4.add(a2, m2);
    a3 = f32x4.add(a3, m3);
    a4 = f32x4.add(a4, m4);
    a5 = f32x4.add(a5, m5);
  }
  const s = f32x4.add(f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)), f32x4.add(a4, a5));
  return f32x4.extract_lane(s, 0);
}
