export { tabulateInputSpace, InputSpace } from './space';
export type { Axes, AxisInfo, Point, Label, TabulateOptions, SpaceBatch, BatchOptions, SpaceEvaluation, WorstPoint, Predictor } from './space';
export type { AxisSpec, RangeSpec, CategoricalEncoding } from './axis';
