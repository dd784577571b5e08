/**
 * What every cellfit chart object offers: its plotly `figure`, a one-line `toString()`, `write(file)`
 * to save it as a standalone page, and its notebook display. Subclasses supply the figure, the
 * text and the page title.
 */
import { writeFileSync } from 'node:fs';
import { JUPYTER_DISPLAY, type MimeBundle } from '../session';
import { chartBundle, standalonePage, type PlotlyFigure } from './plotly';

export abstract class Chart {
  /** The plotly figure (pure data). */
  abstract get figure(): PlotlyFigure;

  /** The chart's plain-text form. */
  abstract toString(): string;

  /** The title of the page {@link write} saves. */
  protected abstract get pageTitle(): string;

  /** Writes the chart as a standalone HTML page (plotly.js inline, no network) and returns `file`. */
  write(file: string): string {
    writeFileSync(file, standalonePage(this.pageTitle, [{ figure: this.figure, text: this.toString() }]));
    return file;
  }

  [JUPYTER_DISPLAY](): MimeBundle {
    return chartBundle(this.figure, this.toString());
  }
}
