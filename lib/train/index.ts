export { train } from './train';
export type { TrainOptions } from './train';
export { Run } from './run';
export type { RunFields, ResumePoint } from './run';
export type { RunStatus, HistoryEntry, BestEpoch, ParentRef } from './state';
