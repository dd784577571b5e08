/**
 * A local worker process (started by ./executors.ts): loads the trial module a sweep names, then runs
 * the trials the parent sends, one at a time, with its own TensorFlow.js engine. Each epoch goes to
 * the parent, which answers with the sweep's decision; the trial's outcome goes back when its call
 * returns. The process is kept for the parent's next sweep: each sweep's `load` brings the parent's
 * environment as it is then, and the module is loaded again only if a file of it changed
 * ({@link TrialModules}).
 *
 * SIGINT is ignored: Ctrl-C in a terminal reaches the whole process group, and the parent stops the
 * trials itself, at a checkpoint. When the parent goes away (the IPC channel closes), the running
 * trial stops at a checkpoint and the process exits.
 */
import { provideCellfitPackages, TrialModules, type ResolvedModule } from './module';
import type { Decision } from './pruners';
import { runTrial, type TrialFunction, type TrialTask } from './trial';

/** Parent → child. */
export type ToChild =
  | { readonly type: 'load'; readonly id: number; readonly module: ResolvedModule; readonly env: NodeJS.ProcessEnv }
  | { readonly type: 'run'; readonly task: TrialTask }
  | { readonly type: 'decision'; readonly id: number; readonly decision: Decision | 'interrupt' }
  | { readonly type: 'stop' }
  | { readonly type: 'exit' };

/** Child → parent. */
export type FromChild =
  | { readonly type: 'ready'; readonly id: number }
  | { readonly type: 'fatal'; readonly id: number; readonly message: string }
  | { readonly type: 'epoch'; readonly id: number; readonly epoch: number; readonly value: number; readonly monitor: string; readonly epochs?: number }
  | { readonly type: 'began'; readonly run: import('./state').TrialRunInfo }
  | { readonly type: 'end'; readonly outcome: import('./scheduler').TrialOutcome };

function main(): void {
  const send = (message: FromChild) => process.send?.(message);
  const modules = new TrialModules();
  let trial: TrialFunction | undefined;
  let controller: AbortController | undefined;
  let nextId = 0;
  const pending = new Map<number, (decision: Decision | 'interrupt') => void>();
  let running: Promise<void> | undefined;

  process.on('SIGINT', () => undefined);
  provideCellfitPackages();
  process.on('disconnect', () => {
    controller?.abort();
    void (running ?? Promise.resolve()).finally(() => process.exit(0));
  });
  process.on('message', (message: ToChild) => {
    switch (message.type) {
      case 'load':
        adoptEnvironment(message.env);
        try {
          trial = modules.load(message.module, 'sweep() worker');
          send({ type: 'ready', id: message.id });
        } catch (error) {
          trial = undefined;
          send({ type: 'fatal', id: message.id, message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
        }
        return;
      case 'run': {
        controller = new AbortController();
        const signal = controller.signal;
        running = runTrial(trial!, message.task, {
          signal,
          began: (run) => send({ type: 'began', run }),
          report: (epoch, value, monitor, epochs) =>
            new Promise((resolve) => {
              const id = nextId++;
              pending.set(id, resolve);
              send({ type: 'epoch', id, epoch, value, monitor, ...(epochs !== undefined ? { epochs } : {}) });
            }),
        }).then((outcome) => {
          running = undefined;
          send({ type: 'end', outcome });
        });
        return;
      }
      case 'decision':
        pending.get(message.id)?.(message.decision);
        pending.delete(message.id);
        return;
      case 'stop':
        controller?.abort();
        for (const [id, resolve] of pending) {
          resolve('interrupt');
          pending.delete(id);
        }
        return;
      case 'exit':
        process.exit(0);
    }
  });
}

/** Makes `process.env` the parent's, as it is for this sweep (a test or notebook may have set variables since this process started). */
function adoptEnvironment(env: NodeJS.ProcessEnv): void {
  for (const name of Object.keys(process.env)) if (!(name in env)) delete process.env[name];
  Object.assign(process.env, env);
}

if (require.main === module) main();
