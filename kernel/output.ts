/**
 * Output sinks: one that publishes a cell's output on iopub, one that records it (%%capture), and
 * the redirection of `process.stdout` / `process.stderr` (and so `console`) into the current
 * cell's sink.
 */
import { StringDecoder } from 'node:string_decoder';
import type { MimeBundle } from '../lib/session';
import type { DisplayMessage, OutputSink } from './scope';
import { currentScope } from './scope';

/** Publishes an iopub message of `msgType` with `content` for the cell. */
export type Publish = (msgType: string, content: Record<string, unknown>) => void;

/**
 * Publishes a cell's output, each write at once: the socket thread merges consecutive stream
 * text (kernel/protocol/socket-thread.ts), so output printed just before a long synchronous
 * computation is not held back until it ends.
 *
 * @example
 * const sink = new IopubSink((type, content) => send(messageFor(request, type, content, session)));
 * sink.stream('stdout', 'hello\n');
 */
export class IopubSink implements OutputSink {
  constructor(private readonly publish: Publish) {}

  stream(name: 'stdout' | 'stderr', text: string): void {
    if (text !== '') this.publish('stream', { name, text });
  }

  display(message: DisplayMessage, update: boolean): void {
    const content: Record<string, unknown> = { data: message.data, metadata: message.metadata, transient: message.transient ?? {} };
    this.publish(update ? 'update_display_data' : 'display_data', content);
  }

  clear(wait: boolean): void {
    this.publish('clear_output', { wait });
  }
}

/** Records output instead of showing it (%%capture). */
export class RecordingSink implements OutputSink {
  stdout = '';
  stderr = '';
  readonly outputs: MimeBundle[] = [];

  constructor(
    /** Where what is not captured goes (e.g. stderr with `--no-stderr`). */
    private readonly passThrough: OutputSink,
    private readonly capture: { stdout: boolean; stderr: boolean; display: boolean } = { stdout: true, stderr: true, display: true },
  ) {}

  stream(name: 'stdout' | 'stderr', text: string): void {
    if (!this.capture[name]) return this.passThrough.stream(name, text);
    this[name] += text;
  }

  display(message: DisplayMessage, update: boolean): void {
    if (!this.capture.display) return this.passThrough.display(message, update);
    this.outputs.push(message.data);
  }

  clear(wait: boolean): void {
    if (!this.capture.display) return this.passThrough.clear(wait);
    if (this.capture.stdout) this.stdout = '';
    if (this.capture.stderr) this.stderr = '';
    this.outputs.length = 0;
  }
}

/** The original `write` methods, for the kernel's own log lines. */
const originalWrite = {
  stdout: process.stdout.write.bind(process.stdout),
  stderr: process.stderr.write.bind(process.stderr),
};

/** Writes a line to the kernel's own stderr (Jupyter's server log), bypassing cells. */
export function kernelLog(text: string): void {
  originalWrite.stderr(`[cellfit kernel] ${text}\n`);
}

/**
 * Sends everything written to `process.stdout` / `process.stderr` (and so `console.*`) to the
 * current cell's sink; returns a function that undoes it.
 */
export function redirectProcessOutput(): () => void {
  const redirect = (name: 'stdout' | 'stderr') => {
    const decoder = new StringDecoder('utf8');
    return (chunk: unknown, encoding?: unknown, callback?: unknown): boolean => {
      const text = typeof chunk === 'string' ? chunk : decoder.write(Buffer.from(chunk as Uint8Array));
      const sink = currentScope()?.sink;
      if (sink) sink.stream(name, text);
      else originalWrite[name](text);
      const done = typeof encoding === 'function' ? encoding : callback;
      if (typeof done === 'function') process.nextTick(done as () => void);
      return true;
    };
  };
  process.stdout.write = redirect('stdout') as typeof process.stdout.write;
  process.stderr.write = redirect('stderr') as typeof process.stderr.write;
  return () => {
    process.stdout.write = originalWrite.stdout as typeof process.stdout.write;
    process.stderr.write = originalWrite.stderr as typeof process.stderr.write;
  };
}
