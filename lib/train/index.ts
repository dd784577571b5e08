export { train } from './train';
export type { TrainOptions } from './train';
export { Run } from './run';
export type { RunFields, ResumePoint } from './run';
