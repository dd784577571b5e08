export { train } from './train';
export type { TrainOptions } from './train';
export type { TrainOptionsFor, EvaluationPrefix, KnownOptions, TrainOptionHints } from './types';
export { Run } from './run';
export type { RunFields, ResumePoint, HistoryKey, PredictInput } from './run';
export { loadModel } from './predict';
export { TRAIN_OPTION_HINTS } from './types';
export type { ExportedModel } from './predict';
export type { RunStatus, HistoryEntry, BestEpoch, ParentRef } from './state';
