export { tabulateInputSpace, InputSpace } from './space';
export type { Axes, AxisInfo, AxisValue, Point, PointOf, Label, TabulateOptions, SpaceBatch, BatchOptions, SpaceEvaluation, WorstPoint, Predictor } from './types';
export type { AxisSpec, RangeSpec, CategoricalEncoding } from './axis';
