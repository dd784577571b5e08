/**
 * The kernels' signatures (lib/engines/fused/assembly/index.ts), implemented by the compiled wasm
 * module and, operation for operation, by the scalar reference (./reference.ts). Pointers are byte
 * offsets into the one memory; strides and counts are in floats.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fail } from '../../errors';

export interface Kernels {
  unary(fn: number, src: number, dst: number, count: number): void;
  packRows(a: number, lda: number, rows: number, inner: number, ap: number, ldap: number): void;
  packCols(b: number, ldb: number, p0: number, p1: number, inner: number, cols: number, bp: number): void;
  packTransposed(w: number, k: number, n: number, k0: number, k1: number, bp: number): void;
  matmul(ap: number, ldap: number, bp: number, bias: number, inner: number, rows: number, cols: number, z: number, y: number, ldc: number, act: number): void;
  packQuads(src: number, lds: number, r0: number, r1: number, cap: number, cols: number, dst: number): void;
  matmulNarrow(ap: number, ldap: number, w: number, bias: number, inner: number, rows: number, cols: number, z: number, y: number, ldc: number, act: number): void;
  gradKernelNarrow(xq: number, dz: number, ldz: number, cap: number, rows: number, k0: number, k1: number, cols: number, dw: number): void;
  gradKernel(xq: number, dzp: number, cap: number, rows: number, k0: number, k1: number, cols: number, dw: number): void;
  gradBias(dz: number, ldz: number, rows: number, n0: number, n1: number, db: number): void;
  deriveRows(act: number, dy: number, z: number, y: number, dz: number, ld: number, rows: number, cols: number): void;
  softmaxRows(log: number, z: number, y: number, ld: number, rows: number, cols: number): void;
  softmaxBackRows(log: number, dy: number, y: number, dz: number, ld: number, rows: number, cols: number): void;
  dropout(src: number, lds: number, mask: number, ldm: number, rows: number, cols: number, mult: number, dst: number, ldd: number): void;
  gather(src: number, width: number, idx: number, count: number, dst: number, ldd: number): void;
  loss(kind: number, p: number, ldp: number, t: number, ldt: number, rows: number, cols: number, out: number, dp: number, scale: number): void;
  metric(kind: number, p: number, ldp: number, t: number, ldt: number, rows: number, cols: number, out: number): void;
  mean(values: number, count: number): number;
  allFinite(values: number, count: number): number;
  penalty(w: number, count: number, l1: number, l2: number): number;
  regularize(w: number, g: number, i0: number, i1: number, l1: number, l2: number): void;
  update(kind: number, flags: number, w: number, g: number, s0: number, s1: number, s2: number, i0: number, i1: number, c: number): void;
  peak(iterations: number, c: number): number;
}

/** The parts of the WebAssembly API used here (the project compiles without the DOM lib). */
export interface WasmMemory {
  readonly buffer: ArrayBufferLike;
  grow(pages: number): number;
}
/** A compiled module (opaque; structured-cloneable to workers). */
export type WasmModule = object;
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: object) => { readonly exports: object };
  Memory: new (descriptor: { initial: number; maximum: number; shared: boolean }) => WasmMemory;
};

/** Where `npm run build` puts the module: beside this file's compiled JS. */
const WASM_FILE = path.join(__dirname, 'fused.wasm');

/** Pages of 64 KiB the shared memory may grow to (4 GiB: virtual address space only). */
const MAX_PAGES = 65536;

let compiled: WasmModule | undefined;

/** The compiled module (compiled once per thread; workers receive it by postMessage). */
export function wasmModule(): WasmModule {
  if (!compiled) {
    let bytes: Buffer;
    try {
      bytes = fs.readFileSync(WASM_FILE);
    } catch {
      fail('FusedNetwork()', `the engine's WebAssembly module is missing (${WASM_FILE}). Run npm run build, which compiles it from lib/engines/fused/assembly/.`);
    }
    compiled = new WebAssembly.Module(bytes);
  }
  return compiled;
}

/** A new shared memory of `pages` pages. */
export function sharedMemory(pages: number): WasmMemory {
  return new WebAssembly.Memory({ initial: pages, maximum: MAX_PAGES, shared: true });
}

/** The module's kernels over `memory`. */
export function instantiate(memory: WasmMemory, module: WasmModule = wasmModule()): Kernels {
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  return instance.exports as unknown as Kernels;
}
