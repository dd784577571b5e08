/**
 * Which cell output belongs to. Each execution runs in a {@link CellScope} held in an
 * AsyncLocalStorage, so the scope follows the work the cell starts — timers, promises, a training
 * loop left running — and output written later still goes to the cell that started it. Output from
 * outside any scope (the kernel's own callbacks) goes to the latest cell.
 *
 * The scope is also what the toolkit sees as its notebook session (lib/session.ts): display sink,
 * interrupt signal, run collection.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import type { MimeBundle, NotebookSession } from '../lib/session';

/** The body of display_data / update_display_data. */
export interface DisplayMessage {
  readonly data: MimeBundle;
  readonly metadata: Record<string, unknown>;
  readonly transient?: { readonly display_id?: string };
}

/** Where a cell's output goes: the frontend (through iopub), or a recorder (%%capture). */
export interface OutputSink {
  stream(name: 'stdout' | 'stderr', text: string): void;
  display(message: DisplayMessage, update: boolean): void;
  clear(wait: boolean): void;
}

/** One execution's context. */
export interface CellScope {
  /** The execute_request's msg_id (or a description for scopes made by magics). */
  readonly id: string;
  readonly sink: OutputSink;
  /** Aborted when the user interrupts this execution. */
  readonly controller: AbortController;
  /** Runs train() reported (see lib/session.ts `reportRun`), in order. */
  readonly runs: unknown[];
  /** The frontend's id of the cell being executed (execute_request metadata `cellId`), if sent. */
  readonly cellId?: string;
  /** The front end embeds plotly.js into the notebook when it saves (execute_request metadata `cellfit.savesPlotly`). */
  readonly savesPlotly?: boolean;
}

const storage = new AsyncLocalStorage<CellScope>();
let latest: CellScope | undefined;

/** Runs `body` in `scope` (and makes it the latest scope). */
export function runInScope<T>(scope: CellScope, body: () => T): T {
  latest = scope;
  return storage.run(scope, body);
}

/**
 * Runs `body` in `scope` without making it the latest scope: for scopes a magic opens inside a cell
 * (%%capture's recorder, a %%sweep trial), which must not receive stray output once they end.
 */
export function runInNestedScope<T>(scope: CellScope, body: () => T): T {
  return storage.run(scope, body);
}

/** The scope of the running code, or the latest cell's when the code runs outside any. */
export function currentScope(): CellScope | undefined {
  return storage.getStore() ?? latest;
}

const latestExecutions = new Map<string, string>();

/** Records that cell `cellId` is now being executed by the request `executionId`. */
export function recordExecution(cellId: string, executionId: string): void {
  latestExecutions.set(cellId, executionId);
}

/** A display id for display_data that may be updated later. */
export function newDisplayId(): string {
  return randomBytes(8).toString('hex');
}

/**
 * The toolkit's view of the kernel (lib/session.ts): one object for the kernel's whole life, whose
 * members act on the scope of the code that calls them — `display()` shows a bundle in that cell and
 * returns a handle that updates it in place; `signal` is that cell's interrupt signal.
 */
export const notebookSession: NotebookSession = {
  display(bundle: MimeBundle) {
    const scope = currentScope();
    const id = newDisplayId();
    scope?.sink.display({ data: bundle, metadata: {}, transient: { display_id: id } }, false);
    return {
      update(next: MimeBundle) {
        scope?.sink.display({ data: next, metadata: {}, transient: { display_id: id } }, true);
      },
    };
  },
  get signal() {
    return currentScope()?.controller.signal;
  },
  reportRun(run: unknown) {
    currentScope()?.runs.push(run);
  },
  get execution() {
    const scope = currentScope();
    return scope ? { id: scope.id, ...(scope.cellId ? { cell: scope.cellId } : {}), ...(scope.savesPlotly ? { savesPlotly: true } : {}) } : undefined;
  },
  latestExecution(cellId: string) {
    return latestExecutions.get(cellId);
  },
};
