export { train } from './train';
export type { TrainOptions } from './train';
export type { TrainOptionsFor, EvaluationPrefix, KnownOptions, TrainOptionHints } from './types';
export { Run } from './run';
export type { RunFields, ResumePoint, HistoryKey } from './run';
export type { RunStatus, HistoryEntry, BestEpoch, ParentRef } from './state';
