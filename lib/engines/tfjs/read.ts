/**
 * Copies a tensor's values straight into a snapshot's buffer. `dataSync()` hands back a new copy of
 * each tensor (on the wasm backend, a slice of its memory), which a snapshot would then copy again
 * into its own buffer: for the dozen small tensors of a notebook MLP's weights and Adam moments,
 * those allocations cost the training thread more than the bytes do. On the wasm backend the values
 * are copied from its memory directly; on the others through `dataSync()` (the cpu backend's is the
 * tensor's own array, not a copy; tfjs-node's must be copied out of native memory anyway).
 */
import { tf } from '../../backend';

/** What cellfit reads of tfjs 4's wasm backend: where each tensor's values sit in its memory. */
interface WasmInternals {
  readonly dataIdMap: { get(dataId: object): { readonly memoryOffset?: unknown } | undefined };
  readonly wasm: { readonly HEAPU8: Uint8Array };
}

/** The bytes per value of `dtype` as tensors hold them (bool as one byte, as in the layers format). */
export function bytesPerValue(dtype: tf.DataType): number {
  return dtype === 'bool' ? 1 : 4;
}

/**
 * A view of `tensor`'s values in the wasm backend's memory, or undefined when the tensor lives on
 * another backend (or the backend is not laid out as tfjs 4.22's is). Valid only until the next op:
 * an op may grow the memory, which replaces the view's buffer.
 */
export function wasmMemoryView(tensor: tf.Tensor): Uint8Array | undefined {
  if (tensor.dtype === 'string') return undefined;
  const state = (tf.engine() as unknown as { state?: { tensorInfo?: { get(dataId: object): { backend?: unknown } | undefined } } }).state;
  const backend = state?.tensorInfo?.get(tensor.dataId)?.backend as Partial<WasmInternals> | undefined;
  const heap = backend?.wasm?.HEAPU8;
  const offset = backend?.dataIdMap?.get(tensor.dataId)?.memoryOffset;
  if (!(heap instanceof Uint8Array) || typeof offset !== 'number') return undefined;
  const bytes = tensor.size * bytesPerValue(tensor.dtype);
  if (offset < 0 || offset + bytes > heap.byteLength) return undefined;
  return heap.subarray(offset, offset + bytes);
}

/**
 * Copies values `from` … `from + count` of `tensor` (all of them by default) into `target` at byte
 * `at`; returns the byte after them.
 *
 * @example
 * const data = new Uint8Array(kernel.size * 4 + bias.size * 4);
 * copyValues(bias, data, copyValues(kernel, data, 0));
 */
export function copyValues(tensor: tf.Tensor, target: Uint8Array, at: number, from = 0, count = tensor.size - from): number {
  const width = bytesPerValue(tensor.dtype);
  let source = wasmMemoryView(tensor);
  if (!source) {
    const values = tensor.dataSync() as Float32Array | Int32Array | Uint8Array;
    source = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  }
  target.set(source.subarray(from * width, (from + count) * width), at);
  return at + count * width;
}
