/**
 * Which engine trains a run: the `engine` option decides, and `auto` takes the fused engine when
 * it supports the model, recording why not otherwise (shown by the run and `%backend`).
 */
import type { tf } from '../backend';
import { fail } from '../errors';
import type { TrainingData } from './data';
import type { Engine, EngineChoice, EngineInfo, EngineSetup } from './engine';
import { FusedEngine } from './fused/adapter';
import { wasmModule } from './fused/kernels';
import { planFor } from './fused/plan';
import { TfjsEngine } from './tfjs/engine';

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

/** The engine the last training call chose, for `%backend`. */
let lastChoice: EngineInfo | undefined;

/** Resolves the `engine` option for a training call. */
export function chooseEngine(choice: EngineChoice, { model, optimizer, threads, where }: EngineRequest): EngineChoiceResult {
  let result: EngineChoiceResult;
  if (choice === 'tfjs') {
    result = tfjsChoice({ name: 'tfjs' });
  } else {
    const unavailable = fusedUnavailable();
    const { plan, reason } = unavailable === undefined ? planFor(model, optimizer) : { plan: undefined, reason: unavailable };
    if (plan) {
      result = { info: { name: 'fused', threads }, create: (setup) => new FusedEngine(setup, plan, threads) };
    } else if (choice === 'fused') {
      return fail(where, `engine: 'fused' cannot train this model: ${reason}. Pass engine: 'auto' (the fused engine where it can, else tfjs) or 'tfjs'.`);
    } else {
      result = tfjsChoice({ name: 'tfjs', reason: `the fused engine does not support this model: ${reason}` });
    }
  }
  lastChoice = result.info;
  return result;
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

function tfjsChoice(info: EngineInfo): EngineChoiceResult {
  return { info, create: (setup) => new TfjsEngine(setup, info) };
}
