/**
 * Run identity: a hash of everything that decides what a training run learns — the model's
 * architecture, its initial weights, the compile settings, the data, and the options that change
 * learning (batch size, seed, shuffle, validation, learning-rate schedule, fine-tuning parent).
 * Epochs, checkpointing, early stopping and display options are left out, so raising `epochs` or
 * changing the patience continues the same run.
 *
 * Layer names are replaced by their position first: tfjs numbers layers per process
 * (`dense_Dense1`, `dense_Dense4` after a cell is re-run), which must not make a rebuilt model new.
 */
import { createHash } from 'node:crypto';
import type { tf } from '../backend';
import { modelWeights } from '../engines/tfjs/weights';

/** The parts of a run's identity. */
export interface IdentityParts {
  readonly topology: string;
  readonly initialWeights: string;
  readonly compile: unknown;
  readonly data: unknown;
  readonly options: unknown;
}

/** The run's full identity and the same without the initial weights. */
export interface RunIdentity {
  readonly identity: string;
  readonly looseIdentity: string;
  readonly parts: IdentityParts;
}

/** Hashes the parts; `looseIdentity` omits the initial weights. */
export function runIdentity(parts: IdentityParts): RunIdentity {
  const { initialWeights, ...loose } = parts;
  return { identity: hashJson(parts), looseIdentity: hashJson({ ...loose, initialWeights: null }), parts };
}

/** The id of an unnamed run: `run-` and 12 hex digits of its identity. */
export function derivedRunId(identity: string): string {
  return `run-${identity.slice(0, 12)}`;
}

/** The model's architecture as canonical JSON, with layer names replaced by their position. */
export function canonicalTopology(model: tf.LayersModel): string {
  const json = model.toJSON(null, false) as { config?: { name?: string; layers?: { name?: string; config?: { name?: string } }[] } };
  const names = new Map<string, string>();
  const add = (name: unknown) => {
    if (typeof name === 'string' && !names.has(name)) names.set(name, `#${names.size}`);
  };
  add(json.config?.name);
  for (const layer of json.config?.layers ?? []) {
    add(layer.name);
    add(layer.config?.name);
  }
  return canonicalJson(json, (value) => (typeof value === 'string' && names.has(value) ? names.get(value) : value));
}

/** sha256 of the model's weight values (shapes, dtypes and bytes, in `model.weights` order). */
export function weightsHash(model: tf.LayersModel): string {
  const hash = createHash('sha256');
  for (const weight of modelWeights(model)) {
    const values = weight.read().dataSync() as Float32Array;
    hash.update(`${weight.dtype}[${weight.shape.join(',')}]`);
    hash.update(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
  }
  return hash.digest('hex');
}

/** Optimizer (class and config), loss and metrics the model was compiled with. */
export function compileSettings(model: tf.LayersModel): unknown {
  const withConfig = model as unknown as { getTrainingConfig?: () => unknown; optimizer?: tf.Optimizer };
  try {
    return withConfig.getTrainingConfig?.();
  } catch {
    const optimizer = withConfig.optimizer;
    return { optimizer: optimizer ? [optimizer.getClassName(), optimizer.getConfig()] : null, metrics: model.metricsNames };
  }
}

/** sha256 of the canonical JSON of `value`. */
export function hashJson(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex');
}

/** JSON with object keys sorted (so equal values hash equally), after an optional value mapping. */
export function canonicalJson(value: unknown, map: (value: unknown) => unknown = (v) => v): string {
  const visit = (node: unknown): unknown => {
    const mapped = map(node);
    if (Array.isArray(mapped)) return mapped.map(visit);
    if (typeof mapped === 'object' && mapped !== null) {
      const sorted: Record<string, unknown> = {};
      for (const key of Object.keys(mapped).sort()) sorted[key] = visit((mapped as Record<string, unknown>)[key]);
      return sorted;
    }
    return mapped;
  };
  return JSON.stringify(visit(value)) ?? 'null';
}
