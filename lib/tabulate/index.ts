export { tabulateInputSpace, InputSpace } from './space';
export type { Axes, AxisInfo, AxisValue, Point, PointOf, Label, TabulateOptions, SpaceBatch, BatchOptions, SpaceEvaluation, EvaluateSpaceOptions, WorstPoint, Predictor } from './types';
export type { AxisSpec, RangeSpec, CategoricalEncoding } from './axis';
