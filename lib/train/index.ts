export { train } from './train';
export type { TrainOptions } from './train';
export type { TrainOptionsFor, EvaluationPrefix, KnownOptions } from './types';
export { Run } from './run';
export type { RunFields, ResumePoint, HistoryKey } from './run';
export type { RunStatus, HistoryEntry, BestEpoch, ParentRef } from './state';
export { loadRun } from './load';
