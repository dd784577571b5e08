export { checkpoint, CheckpointStore } from './store';
export type { CheckpointOptions, CheckpointInfo, CheckpointEvery, CheckpointChoice } from './store';
export { fileHandler } from './weights';
export type { CheckpointFs } from './fs';
export type { RunStatus, HistoryEntry, BestEpoch, ParentRef } from './state';
