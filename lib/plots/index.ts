export { showFigure, figureBundle, standalonePage, PLOTLY_MIME } from './plotly';
export type { PlotlyFigure, ChartHandle, ChartUpdateOptions } from './plotly';
export { spaceFigure, plotSpace, SpacePlot } from './space';
export type { SpacePlotOptions, SpaceFigure } from './space';
export { plotRuns, runsFigure, RunsPlot } from './runs';
export type { PlotRunsOptions, PlottableRun } from './runs';
export { plotSplit, splitFigure, SplitPlot } from './split';
export { sweepFigure } from './sweep';
export type { SweepPoint, SweepFigure, SweepFigureOptions, SweepParam } from './sweep';
