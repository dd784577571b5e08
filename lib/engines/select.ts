/**
 * Which engine computes with a model: the `engine` option decides (else the CELLFIT_ENGINE
 * environment variable, else `auto`), and `auto` takes the fused engine when it supports the
 * model, recording why not otherwise (shown by the run and `%backend`). One rule for training
 * ({@link chooseEngine}), evaluation ({@link chooseEvaluator}: `run.evaluate()`) and prediction
 * ({@link choosePredictor}: `space.evaluate()`); validation runs on the engine that trains.
 */
import { tf } from '../backend';
import { fail } from '../errors';
import { checkInteger, failOption } from '../util/options';
import type { TrainingData } from './data';
import { ENGINE_CHOICES, type Engine, type EngineChoice, type EngineInfo, type EngineSetup, type ModelEvaluator, type RowPredictor, type RowShape, type TensorPredictor } from './engine';
import { FusedEngine } from './fused/adapter';
import { fusedEvaluator, fusedRowPredictor } from './fused/inference';
import { wasmModule } from './fused/kernels';
import { planFor, planLayers } from './fused/plan';
import { defaultThreads } from './fused/spec';
import { TfjsEngine } from './tfjs/engine';
import { tfjsEvaluator, tfjsRowPredictor } from './tfjs/inference';

/** What the engine choice resolved to: the engine's description and how to build it. */
export interface EngineChoiceResult {
  readonly info: EngineInfo;
  create(setup: EngineSetup): Engine;
}

/** What the choice looks at. */
export interface EngineRequest {
  readonly model: tf.LayersModel;
  readonly optimizer: tf.Optimizer;
  readonly data: TrainingData;
  readonly threads: number;
  readonly where: string;
}

/** The `engine` and `threads` options as a call resolves them. */
export interface EngineSettings {
  readonly engine: EngineChoice;
  readonly threads: number;
}

/** The engine the last training call chose, for `%backend`. */
let lastChoice: EngineInfo | undefined;

/**
 * The `engine` and `threads` options of a call (`train()`, `space.evaluate()`), checked, with
 * their defaults: CELLFIT_ENGINE, else 'auto'; CELLFIT_THREADS, else the machine's cores.
 */
export function engineSettings(options: { readonly engine?: unknown; readonly threads?: unknown }, where: string): EngineSettings {
  const fromEnvironment = options.engine === undefined && process.env.CELLFIT_ENGINE ? process.env.CELLFIT_ENGINE : undefined;
  const engine = (options.engine ?? fromEnvironment ?? 'auto') as EngineChoice;
  if (!ENGINE_CHOICES.includes(engine)) {
    const choices = ENGINE_CHOICES.map((choice) => `'${choice}'`).join(', ');
    if (fromEnvironment !== undefined) failOption(where, 'CELLFIT_ENGINE', engine, choices, { subject: 'the CELLFIT_ENGINE environment variable' });
    failOption(where, 'engine', engine, choices);
  }
  const threadsFromEnvironment = options.threads === undefined && process.env.CELLFIT_THREADS ? process.env.CELLFIT_THREADS : undefined;
  const threads = options.threads ?? (threadsFromEnvironment !== undefined ? Number(threadsFromEnvironment) : defaultThreads());
  const why = 'threads the fused engine splits large batches over';
  if (threadsFromEnvironment !== undefined && !(Number.isInteger(threads) && (threads as number) >= 1)) {
    failOption(where, 'CELLFIT_THREADS', threadsFromEnvironment, 'an integer ≥ 1', { subject: 'the CELLFIT_THREADS environment variable', why });
  }
  checkInteger(where, 'threads', threads, 1, undefined, { why });
  return { engine, threads };
}

/** Resolves the `engine` option for a training call. */
export function chooseEngine(choice: EngineChoice, { model, optimizer, threads, where }: EngineRequest): EngineChoiceResult {
  const picked = pick(choice, where, 'train', () => planFor(model, optimizer));
  const result: EngineChoiceResult =
    'plan' in picked ? { info: { name: 'fused', threads }, create: (setup) => new FusedEngine(setup, picked.plan, threads) } : { info: picked.info, create: (setup) => new TfjsEngine(setup, picked.info) };
  lastChoice = result.info;
  return result;
}

/**
 * Evaluates `model` (compiled with `optimizer`) with its current weights on the engine the
 * `engine` choice picks by the rule training uses: the same engine trains and evaluates a model.
 */
export function chooseEvaluator(choice: EngineChoice, { model, optimizer, threads, where }: { readonly model: tf.LayersModel; readonly optimizer: tf.Optimizer; readonly threads?: number; readonly where: string }): ModelEvaluator {
  const picked = pick(choice, where, 'evaluate', () => planFor(model, optimizer));
  return 'plan' in picked ? fusedEvaluator(model, picked.plan, threads) : tfjsEvaluator(model, picked.info);
}

/**
 * Predicts with `model` (its current weights) for rows of `shape` on the engine the `engine`
 * choice picks: the fused engine for the dense chains it runs (it needs no loss or optimizer),
 * `model.predict` for any other model or object with a `predict(xs)` method.
 */
export function choosePredictor(choice: EngineChoice, { model, threads, shape, where }: { readonly model: TensorPredictor; readonly threads?: number; readonly shape: RowShape; readonly where: string }): RowPredictor {
  const picked = pick(choice, where, 'run', () => {
    if (!(model instanceof tf.LayersModel)) return { reason: 'it is not a tf.js LayersModel but an object with a predict() method' };
    const network = planLayers(model);
    return network.reason === undefined ? { plan: network } : { reason: network.reason };
  });
  return 'plan' in picked ? fusedRowPredictor(model as tf.LayersModel, picked.plan, threads, shape, where) : tfjsRowPredictor(model, picked.info, shape, where);
}

/** What the latest training call in this process ran on (undefined before the first). */
export function lastEngine(): EngineInfo | undefined {
  return lastChoice;
}

/** Why the fused engine cannot run in this process (its module missing, no WebAssembly SIMD), or undefined. */
export function fusedUnavailable(): string | undefined {
  try {
    wasmModule();
    return undefined;
  } catch (error) {
    return `the fused engine cannot run here (${(error as Error).message.replace(/\.$/, '')})`;
  }
}

/**
 * The rule: `tfjs` is tf.js; otherwise the fused engine when it can run here and `plan()` plans
 * the model, else tf.js with the reason (`auto`) or an error naming what it does not support
 * (`fused`; `verb` says what was asked: train, evaluate, run).
 */
function pick<P>(choice: EngineChoice, where: string, verb: string, plan: () => { readonly plan?: P; readonly reason?: string }): { plan: P } | { info: EngineInfo } {
  if (choice === 'tfjs') return { info: { name: 'tfjs' } };
  const unavailable = fusedUnavailable();
  const planned = unavailable === undefined ? plan() : { reason: unavailable };
  if (planned.plan !== undefined) return { plan: planned.plan };
  if (choice === 'fused') return fail(where, `engine: 'fused' cannot ${verb} this model: ${planned.reason}. Pass engine: 'auto' (the fused engine where it can, else tfjs) or 'tfjs'.`);
  return { info: { name: 'tfjs', reason: `the fused engine does not support this model: ${planned.reason}` } };
}
