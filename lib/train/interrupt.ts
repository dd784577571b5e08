/**
 * What stops long work — `train()`, `sweep()` — in one place ({@link stopSignal}): the call's signal,
 * the cell's interrupt, a train scope's signal, or Ctrl-C in a terminal.
 *
 * Ctrl-C in a terminal. Outside a notebook, while `train()` runs, the first SIGINT stops training
 * at the next step — with a checkpoint of the last completed step, as a notebook interrupt does —
 * and then lets the signal take its usual course (the process exits, code 130); a second SIGINT
 * exits at once. Scripts thus behave like cells: interrupt, re-run, resume.
 */
import { currentSession } from '../session';

/** A SIGINT watch for the duration of one training call. */
export interface TerminalInterrupt {
  readonly signal: AbortSignal;
  /** Removes the handler; re-raises SIGINT when one arrived, so the process exits as usual. */
  release(): void;
}

/**
 * The signal that stops long work (`train()`, `sweep()`): the call's own signal, else the running
 * cell's interrupt, else — outside a notebook and any train scope — Ctrl-C in a terminal, which
 * prints "`where`: interrupted — `interrupted` (Ctrl-C again to quit now)." The signal of the train
 * scope the call runs in (a sweep's trial) stops it too. `release()` once the work is done.
 *
 * @example
 * const stop = stopSignal({ own: options.signal, where: 'sweep()', interrupted: 'stopping the running trials at a checkpoint' });
 * try { await work(stop.signal); } finally { stop.release(); }
 */
export function stopSignal(options: { readonly own?: AbortSignal; readonly scope?: AbortSignal; readonly where: string; readonly interrupted: string }): TerminalInterrupt {
  const own = options.own ?? currentSession()?.signal;
  const signal = own && options.scope ? AbortSignal.any([own, options.scope]) : (own ?? options.scope);
  if (signal) return { signal, release: () => undefined };
  return watchTerminalInterrupt(`${options.where}: interrupted — ${options.interrupted} (Ctrl-C again to quit now).`) ?? { signal: new AbortController().signal, release: () => undefined };
}

/** Starts watching SIGINT (only in a main thread that has a terminal-style process), printing `message` at the first. */
function watchTerminalInterrupt(message: string): TerminalInterrupt | undefined {
  if (typeof process.on !== 'function' || !require('node:worker_threads').isMainThread) return undefined;
  const controller = new AbortController();
  let received = false;
  const onInterrupt = () => {
    if (received) {
      // Second Ctrl-C: stop waiting for the checkpoint.
      process.removeListener('SIGINT', onInterrupt);
      process.kill(process.pid, 'SIGINT');
      return;
    }
    received = true;
    process.stderr.write(`${message}\n`);
    controller.abort();
  };
  process.on('SIGINT', onInterrupt);
  return {
    signal: controller.signal,
    release() {
      process.removeListener('SIGINT', onInterrupt);
      if (received) process.kill(process.pid, 'SIGINT');
    },
  };
}
