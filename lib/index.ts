/**
 * cellfit — cell-friendly helpers for training TensorFlow.js models in notebooks.
 * This file only re-exports; each concept lives in its own module.
 */
export { tf, ready, setBackend, backendInfo, BACKENDS } from './backend';
export type { BackendName, BackendInfo } from './backend';
export { Rng, setSeed, getSeed, unseedMathRandom } from './random';
export type { SetSeedOptions } from './random';
export type { Seed, RngState } from './random';
export { CellfitError, setWarningHandler, captureWarnings } from './errors';
export type { WarningHandler } from './errors';
export type { Tabular, Row, Column, Columns, ColumnValue, RowOf, ColumnName, FeaturesAndLabels, TrainPart, TrainData, SplitParts, IsSplit, TrainPartOf, ColumnOptionsFor, ColumnNamesIn, ColumnNameOrString, CheckedNames, SameForm, ValidationFor } from './data';
export { currentSession, setSessionProvider, JUPYTER_DISPLAY } from './session';
export type { MimeBundle, DisplayHandle, NotebookSession, SessionProvider } from './session';
export { split } from './split';
export type { SplitOptions, SplitResult, SplitSummary, SplitPart, SplitRow, PartIn, RowFunction, PartName } from './split';
export { tabulateInputSpace, InputSpace } from './tabulate';
export type { Axes, AxisSpec, AxisInfo, AxisValue, RangeSpec, Point, PointOf, Label, TabulateOptions, SpaceBatch, BatchOptions, SpaceEvaluation, EvaluateSpaceOptions, WorstPoint, Predictor, CategoricalEncoding } from './tabulate';
export { showFigure, figureBundle, standalonePage, PLOTLY_MIME, spaceFigure, plotSpace, SpacePlot, plotRuns, runsFigure, RunsPlot, plotSplit, splitFigure, SplitPlot, sweepFigure } from './plots';
export type { PlotlyFigure, ChartHandle, ChartUpdateOptions, SpacePlotOptions, SpaceFigure, PlotRunsOptions, PlottableRun, SweepPoint, SweepFigure, SweepFigureOptions, SweepParam } from './plots';
export { train, Run, loadRun, loadModel, TRAIN_OPTION_HINTS } from './train';
export { preprocess, Preprocessing, PREPROCESSING_FILE } from './preprocess';
export type { PreprocessOptions, PreprocessingJson, FittedColumn, NumericColumn, CategoricalColumn, ImputeStrategy, ScaleStrategy, EncodeStrategy } from './preprocess';
export type { TrainOptions, TrainOptionsFor, EvaluationPrefix, KnownOptions, TrainOptionHints, PredictInput, ExportedModel, HistoryKey, ResumePoint, RunFields, RunStatus, HistoryEntry, BestEpoch, ParentRef } from './train';
export { compile } from './compile';
export type { CompileArgs, Compiled, CompiledMetrics, Metric, MetricName } from './compile';
export { auc, precision, recall, f1, confusionMatrix, rocCurve, scoredRows } from './metrics';
export type { ClassificationMetric, ClassificationMetricName, ScoredRows } from './metrics';
export { checkpoint, CheckpointStore, fileHandler } from './checkpoint';
export type { CheckpointOptions, CheckpointInfo, CheckpointEvery, CheckpointChoice, CheckpointFs, StateHeader, WeightSpec, WeightsSnapshot, SlotSpec, OptimizerMeta, OptimizerSnapshot } from './checkpoint';
export type { EngineChoice, EngineInfo, EngineName } from './engines';
export { earlyStop, EarlyStopper, evaluateStopping } from './earlystop';
export type { EarlyStopOptions, EarlyStopState, StopDecision, StopReason, StoppingStep } from './earlystop';
export { Monitor } from './monitor';
export type { MonitorMode, MonitorOptions } from './monitor';
export { stepDecay, exponentialDecay, cosineDecay, reduceOnPlateau } from './schedules';
export type { LearningRateSchedule, LearningRateOption, SchedulePosition, ReduceOnPlateauOptions } from './schedules';
export type { Callback, TrainingContext, Logs } from './callbacks';
export { listRuns } from './runs';
export type { RunInfo } from './runs';
export { sweep, Sweep, SweepPlot, SearchSpace, listSweeps, listQueuedSweeps, parameterImportance } from './sweep';
export type { SweepOptions, SweepTrialSpec, SweepTrial, SweepChartKind, SweepInfo, SpaceSpec, ParamSpec, RangeParam, ChoiceParam, ParamValue, Params, ParamOf, ParamsOf, TrialContext, TrialFunction, TrialModule, SamplerOption, PrunerOption, MedianOptions, AshaOptions, TpeOptions, TrainFingerprint, TrialRunInfo, PublicStatus, SweepRecord, SweepStatus, TrialRecord, TrialStatus, TrialCode, SamplerConfig, PrunerConfig, Param, Scored } from './sweep';
export { sweepHistoryFigure, intermediateValuesFigure, importanceFigure } from './plots/sweep';
export type { SweepTrialPoint, SweepMetric } from './plots/sweep';
export { trainingFigure, trainingPlot, TrainingPlot } from './plots/training';
export { plotConfusionMatrix, plotRoc, confusionFigure, rocFigure, ConfusionMatrixPlot, RocPlot } from './plots/classifier';
export type { ConfusionMatrixOptions } from './plots/classifier';
export type { TrainingPlotOptions } from './plots/training';
