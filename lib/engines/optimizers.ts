/**
 * The vocabulary of tf.js' seven built-in optimizers that both engines share: which slot lists each
 * keeps (under tf.js' field names, the checkpoint format's names) and which hidden scalars, with
 * their values before the first step.
 */
import type { tf } from '../backend';
import { fail, formatValue } from '../errors';

/** Slot lists per optimizer class, in the order tfjs' getWeights() lists them. */
export const SLOT_FIELDS: Readonly<Record<string, readonly string[]>> = {
  SGD: [],
  Momentum: ['accumulations'],
  Adagrad: ['accumulatedGrads'],
  Adadelta: ['accumulatedGrads', 'accumulatedUpdates'],
  Adam: ['accumulatedFirstMoment', 'accumulatedSecondMoment'],
  Adamax: ['accumulatedFirstMoment', 'accumulatedWeightedInfNorm'],
  RMSProp: ['accumulatedMeanSquares', 'accumulatedMoments', 'accumulatedMeanGrads'],
};

/** Hidden scalar variables per class, and their value before the first step (from the config). */
export const SCALAR_FIELDS: Readonly<Record<string, readonly (readonly [field: string, initial: (config: Record<string, number>) => number])[]>> = {
  Adam: [
    ['accBeta1', (config) => config.beta1],
    ['accBeta2', (config) => config.beta2],
  ],
  Adamax: [
    ['iteration', () => 0],
    ['accBeta1', (config) => config.beta1],
  ],
};

/** The tfjs class name of an optimizer, e.g. `Adam`. */
export function optimizerClass(optimizer: tf.Optimizer): string {
  return optimizer.getClassName();
}

/** True for the built-in optimizers whose state cellfit saves exactly. */
function isSupportedOptimizer(optimizer: tf.Optimizer): boolean {
  return optimizerClass(optimizer) in SLOT_FIELDS;
}

/** Throws unless cellfit can save and restore `optimizer` exactly. */
export function checkSupportedOptimizer(optimizer: tf.Optimizer, where: string): void {
  if (!isSupportedOptimizer(optimizer)) {
    fail(
      where,
      `checkpoints save the full state of tfjs' built-in optimizers (${Object.keys(SLOT_FIELDS).join(', ')}); this model's optimizer is ${formatValue(optimizerClass(optimizer))}. ` +
        'Compile the model with one of them, or train with checkpoint: false.',
    );
  }
}
