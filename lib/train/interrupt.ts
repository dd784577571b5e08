/**
 * Ctrl-C in a terminal. Outside a notebook, while `train()` runs, the first SIGINT stops training
 * at the next step — with a checkpoint of the last completed step, as a notebook interrupt does —
 * and then lets the signal take its usual course (the process exits, code 130); a second SIGINT
 * exits at once. Scripts thus behave like cells: interrupt, re-run, resume.
 */

/** A SIGINT watch for the duration of one training call. */
export interface TerminalInterrupt {
  readonly signal: AbortSignal;
  /** Removes the handler; re-raises SIGINT when one arrived, so the process exits as usual. */
  release(): void;
}

/** Starts watching SIGINT (only in a main thread that has a terminal-style process). */
export function watchTerminalInterrupt(notify: (message: string) => void = (message) => process.stderr.write(`${message}\n`)): TerminalInterrupt | undefined {
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
    notify('train(): interrupted — saving a checkpoint of the last completed step (Ctrl-C again to quit now).');
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
