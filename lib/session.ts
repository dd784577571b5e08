/**
 * The seam between the toolkit and the notebook it runs in. The cellfit kernel installs a session
 * provider; the toolkit asks it for the running cell's display sink and interrupt signal. Outside a
 * notebook (plain Node, mocha) there is no session, and helpers fall back to the terminal.
 *
 * The provider lives on a global symbol rather than in a module variable so that a notebook that
 * loads another copy of cellfit (say, from its own node_modules) still finds the kernel.
 */

/** A MIME bundle, as in Jupyter's display_data: `{ 'text/plain': '...', 'text/html': '...' }`. */
export interface MimeBundle {
  readonly [mimeType: string]: unknown;
}

/** A shown output that can be replaced in place (Jupyter's display_id / update_display_data). */
export interface DisplayHandle {
  update(bundle: MimeBundle): void;
}

/** What the running notebook cell offers the toolkit. */
export interface NotebookSession {
  /** Shows `bundle` in the output of the cell that is running now and returns a handle to update it. */
  display(bundle: MimeBundle): DisplayHandle;
  /** Aborted when the user interrupts the running cell; long work (training) stops at the next step. */
  readonly signal?: AbortSignal;
  /**
   * Told about every run `train()` returns while the cell runs, so the kernel can collect them
   * (the `%%sweep` magic tabulates its trials this way).
   */
  reportRun?(run: unknown): void;
  /**
   * The running execution: `id` names it, `cell` is the frontend's id of the cell (JupyterLab and
   * `cellfit run` send one). With {@link NotebookSession.latestExecution}, this tells the toolkit
   * when outputs it sent earlier were replaced because their cell ran again. `savesPlotly`: the
   * front end puts plotly.js into the notebook file itself when it saves (cellfit's kernel.js in the
   * classic Notebook), so charts need not send a copy (lib/plots/library.ts).
   */
  readonly execution?: { readonly id: string; readonly cell?: string; readonly savesPlotly?: boolean };
  /** The id of the latest execution of cell `cell`, if the kernel has run it. */
  latestExecution?(cell: string): string | undefined;
}

/** The method an object implements to choose how a notebook shows it (the Deno convention). */
export const JUPYTER_DISPLAY: unique symbol = Symbol.for('Jupyter.display');

const PROVIDER = Symbol.for('cellfit.session');

/** What the kernel installs to tell the toolkit the running cell's session (`undefined` between cells). */
export type SessionProvider = () => NotebookSession | undefined;

/** The session of the running cell, or `undefined` outside a notebook. */
export function currentSession(): NotebookSession | undefined {
  const provider = (globalThis as Record<symbol, SessionProvider | undefined>)[PROVIDER];
  return provider?.();
}

/** Installs (or, with `undefined`, removes) the session provider; the kernel calls this at start. */
export function setSessionProvider(provider: SessionProvider | undefined): void {
  (globalThis as Record<symbol, SessionProvider | undefined>)[PROVIDER] = provider;
}
