/** Hyperparameter sweeps: `sweep()`, its result, `listSweeps()`, and the parts they are made of. */
import { setQueueDispatcher } from './plan';

export { sweep } from './sweep';
export type { SweepOptions, SweepTrialSpec } from './sweep';
export { Sweep, SweepPlot } from './result';
export type { SweepTrial, SweepChartKind } from './result';
export { listSweeps } from './record';
export { listQueuedSweeps } from './queue/list';
export type { SweepInfo } from './record';
export { SearchSpace } from './space';
export type { SpaceSpec, ParamSpec, RangeParam, ChoiceParam, ParamValue, Params, Param, ParamOf, ParamsOf } from './space';
export type { TrialContext, TrialFunction } from './trial';
export type { TrialModule } from './module';
export type { SamplerOption } from './samplers';
export type { PrunerOption, MedianOptions, AshaOptions } from './pruners';
export type { TpeOptions } from './tpe';
export type { TrainFingerprint, TrialRunInfo, TrialStatus, PublicStatus, SweepRecord, SweepStatus, TrialRecord, TrialCode, SamplerConfig, PrunerConfig } from './state';
export { parameterImportance } from './importance';
export type { Scored } from './importance';

// Queued sweeps (BullMQ, Redis) are loaded when a sweep is queued.
setQueueDispatcher(async () => (await import('./queue/follow')).runQueued);
