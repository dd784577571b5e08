/**
 * Backend selection, in one place. cellfit uses the fastest tfjs backend this machine has:
 *
 * 1. `tensorflow` — native libtensorflow from the optional `@tensorflow/tfjs-node`, when it
 *    installed (its install script downloads libtensorflow, so it is absent on offline machines);
 * 2. `wasm` — `@tensorflow/tfjs-backend-wasm` (SIMD), about 3× the pure-JS backend;
 * 3. `cpu` — pure JavaScript, always there.
 *
 * The wasm backend initialises asynchronously, and tfjs throws "backend not yet initialized" on any
 * synchronous op until it has. So that `tf.tensor(...)` right after `require('cellfit')` works,
 * the synchronous `cpu` backend is active until {@link ready} switches to the chosen one; tensors
 * made before the switch move to the new backend the first time they are used. cellfit's own
 * asynchronous entry points (training, streaming, evaluation) await {@link ready} themselves, and
 * the kernel awaits it before the first cell that imports a module or uses a magic runs.
 *
 * `CELLFIT_BACKEND=tensorflow|wasm|cpu` in the environment (or {@link setBackend}) forces one.
 */
import { CellfitError, fail, formatValue, warn } from './errors';

/**
 * The one `@tensorflow/tfjs` instance cellfit uses: `require('@tensorflow/tfjs')` returns the very
 * same object (an `import * as` would wrap it in a copy).
 */
export import tf = require('@tensorflow/tfjs');

/** A backend cellfit can run on. */
export type BackendName = 'tensorflow' | 'wasm' | 'cpu';

/** Backends in order of preference: fastest first. */
export const BACKENDS: readonly BackendName[] = ['tensorflow', 'wasm', 'cpu'];

/** What {@link backendInfo} reports. */
export interface BackendInfo {
  /** The backend tensors are on now. */
  readonly active: string;
  /** The backend {@link ready} switches (or switched) to. */
  readonly chosen: BackendName;
  /** Forced through `CELLFIT_BACKEND` or {@link setBackend}, if it was. */
  readonly forced?: BackendName;
  /** Each backend and why it is unavailable, if it is. */
  readonly backends: Readonly<Record<BackendName, { available: boolean; reason?: string }>>;
}

const unavailable = new Map<BackendName, string>();
const requested = readRequestedBackend();
let forced: BackendName | undefined = requested.name;
let readiness: Promise<BackendName> | undefined;

loadBackends();

/**
 * Resolves once the chosen backend is initialised, and returns its name. Safe to call any number
 * of times; every cellfit entry point that runs tensors calls it.
 *
 * @example
 * const backend = await ready();   // 'tensorflow', 'wasm' or 'cpu'
 */
export function ready(): Promise<BackendName> {
  readiness ??= activate(chooseBackend());
  return readiness;
}

/**
 * Switches to `name` (the kernel's `%backend name` magic) and resolves once it is active. Throws,
 * naming the reason, when that backend is not available here.
 *
 * @example
 * await setBackend('cpu');
 */
export async function setBackend(name: BackendName): Promise<BackendName> {
  if (!BACKENDS.includes(name)) {
    fail('setBackend()', `unknown backend ${formatValue(name)}. Expected one of ${BACKENDS.join(', ')}.`);
  }
  forced = name;
  const switching = ready().catch(() => undefined).then(() => activate(chooseBackend()));
  readiness = switching;
  return switching;
}

/** Which backends exist here, which one is chosen, and why the others are not. */
export function backendInfo(): BackendInfo {
  const backends = {} as Record<BackendName, { available: boolean; reason?: string }>;
  for (const name of BACKENDS) {
    const reason = unavailable.get(name);
    backends[name] = reason === undefined ? { available: true } : { available: false, reason };
  }
  return { active: tf.getBackend(), chosen: chooseBackend(), forced, backends };
}

function readRequestedBackend(): { name?: BackendName; invalid?: string } {
  const value = process.env.CELLFIT_BACKEND?.trim();
  if (!value) return {};
  if ((BACKENDS as readonly string[]).includes(value)) return { name: value as BackendName };
  return { invalid: value };
}

/** Registers every backend that loads; does not initialise the asynchronous ones. */
function loadBackends(): void {
  // Loading tfjs-node makes 'tensorflow' the active backend, so skip it when another is forced.
  if (requested.name === undefined || requested.name === 'tensorflow') {
    try {
      // Registers the 'tensorflow' backend on this same tfjs instance (tfjs-node depends on it).
      require('@tensorflow/tfjs-node');
      if (tf.findBackendFactory('tensorflow') == null) {
        unavailable.set('tensorflow', '@tensorflow/tfjs-node loaded but registered no backend');
      }
    } catch (error) {
      unavailable.set('tensorflow', describeLoadError('@tensorflow/tfjs-node', error));
    }
  } else {
    unavailable.set('tensorflow', `not loaded, because CELLFIT_BACKEND=${requested.name}`);
  }
  try {
    require('@tensorflow/tfjs-backend-wasm');
  } catch (error) {
    unavailable.set('wasm', describeLoadError('@tensorflow/tfjs-backend-wasm', error));
  }
  // Synchronous backends initialise inside setBackend() before its first await, so sync ops work
  // from here on. tfjs-node activates 'tensorflow' itself when it loads.
  if (unavailable.has('tensorflow')) void tf.setBackend('cpu');
  silenceCpuGreeting();
}

function chooseBackend(): BackendName {
  if (forced) return forced;
  return BACKENDS.find((name) => !unavailable.has(name)) ?? 'cpu';
}

async function activate(name: BackendName): Promise<BackendName> {
  if (requested.invalid !== undefined && forced === undefined) {
    throw new CellfitError(
      'ready()',
      `CELLFIT_BACKEND must be one of ${BACKENDS.join(', ')}. Received: CELLFIT_BACKEND=${formatValue(requested.invalid)}.`,
    );
  }
  const reason = unavailable.get(name);
  if (reason !== undefined) {
    throw new CellfitError('ready()', `the ${name} backend is not available: ${reason}. Available: ${BACKENDS.filter((b) => !unavailable.has(b)).join(', ')}.`);
  }
  if (tf.getBackend() === name) return name;
  const switched = await tf.setBackend(name);
  if (!switched) {
    unavailable.set(name, 'it failed to initialise');
    if (forced === name) throw new CellfitError('ready()', `the ${name} backend failed to initialise.`);
    const fallback = chooseBackend();
    warn('ready()', `the ${name} backend failed to initialise; using ${fallback} instead.`);
    return activate(fallback);
  }
  await tf.ready();
  silenceCpuGreeting();
  return name;
}

/**
 * The cpu backend prints "Hi, looks like you are running TensorFlow.js in Node.js…" on its first
 * tensor. cellfit picks the fastest backend itself and reports it through ready(), so the greeting
 * only adds noise to every notebook.
 */
function silenceCpuGreeting(): void {
  const cpu = tf.findBackend('cpu') as { firstUse?: boolean } | null;
  if (cpu && 'firstUse' in cpu) cpu.firstUse = false;
}

function describeLoadError(moduleName: string, error: unknown): string {
  const { code, message } = error as { code?: string; message?: string };
  if (code === 'MODULE_NOT_FOUND' && message?.includes(`'${moduleName}'`)) return `${moduleName} is not installed`;
  return `${moduleName} failed to load (${String(message).split('\n')[0]})`;
}
