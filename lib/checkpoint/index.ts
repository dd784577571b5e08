export { checkpoint, CheckpointStore } from './store';
export type { CheckpointOptions, CheckpointInfo, CheckpointEvery, CheckpointChoice } from './store';
export { fileHandler } from './layers';
export type { WeightSpec, WeightsSnapshot, SlotSpec, OptimizerMeta, OptimizerSnapshot } from './snapshot';
export type { StateHeader } from './format';
export type { CheckpointFs } from './fs';
