/**
 * One cellfit kernel process shared by the kernel tests (started on first use, shut down after
 * all tests), and helpers to read what it sent. Tests talk to it over the real Jupyter protocol
 * (ZeroMQ) through kernel/runner/client.ts.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { KernelClient, type Exchange } from '../../kernel/runner/client';
import type { Message } from '../../kernel/protocol/messages';
import { stripAnsi } from '../../kernel/traceback';

/** The repository root (tests run from dist/test/kernel). */
export const REPO = path.resolve(__dirname, '..', '..', '..');
/** The kernel's working directory: inside the package, so `cellfit` and `cellfit/kernel` resolve. */
export const NOTEBOOKS = path.join(REPO, 'test', 'kernel', 'notebooks');
/** /usr/bin/jupyter and /usr/bin/python3 (Debian's; the first python3 on PATH may lack Jupyter). */
export const JUPYTER = '/usr/bin/jupyter';
export const PYTHON = '/usr/bin/python3';

let shared: Promise<KernelClient> | undefined;

/** The shared kernel. */
export function sharedKernel(): Promise<KernelClient> {
  // A short grace period: tests of interrupts that the code ignores need not wait 5 s.
  shared ??= KernelClient.launch({ cwd: NOTEBOOKS, env: { ...process.env, CELLFIT_INTERRUPT_GRACE_MS: '1000' } });
  return shared;
}

const temporaryDirs: string[] = [];

after(async function () {
  this.timeout(30_000);
  if (shared) await (await shared).shutdown();
  for (const dir of temporaryDirs) fs.rmSync(dir, { recursive: true, force: true });
});

/** A fresh temporary directory, removed after all tests (callable inside a test too). */
export function temporaryDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `cellfit-${prefix}-`));
  temporaryDirs.push(dir);
  return dir;
}

/** The stdout (or stderr) text of an execution. */
export function streamText(exchange: Exchange, name: 'stdout' | 'stderr' = 'stdout'): string {
  return exchange.outputs
    .filter((m) => m.header.msg_type === 'stream' && m.content.name === name)
    .map((m) => String(m.content.text))
    .join('');
}

/** The execute_result's data of an execution (asserting there is exactly one). */
export function result(exchange: Exchange): Record<string, unknown> {
  const results = exchange.outputs.filter((m) => m.header.msg_type === 'execute_result');
  assert.equal(results.length, 1, `one execute_result, got ${results.length}: ${summarize(exchange)}`);
  return results[0].content.data as Record<string, unknown>;
}

/** The text/plain result of an execution that must succeed. */
export function plain(exchange: Exchange): string {
  assert.equal(exchange.reply.content.status, 'ok', summarize(exchange));
  return String(result(exchange)['text/plain']);
}

/** The error of an execution that must fail: its `error` message, checked against the reply. */
export function failure(exchange: Exchange): { ename: string; evalue: string; text: string } {
  assert.equal(exchange.reply.content.status, 'error', summarize(exchange));
  const errors = exchange.outputs.filter((m) => m.header.msg_type === 'error');
  assert.equal(errors.length, 1, 'exactly one error message');
  const { ename, evalue, traceback } = errors[0].content as { ename: string; evalue: string; traceback: string[] };
  assert.equal(exchange.reply.content.ename, ename);
  assert.equal(exchange.reply.content.evalue, evalue);
  assert.deepEqual(exchange.reply.content.traceback, traceback);
  return { ename, evalue, text: stripAnsi(traceback.join('\n')) };
}

/** A short description of an exchange, for assertion messages. */
export function summarize(exchange: Exchange): string {
  return JSON.stringify({ reply: exchange.reply.content, outputs: exchange.outputs.map((m: Message) => [m.header.msg_type, m.content]) }).slice(0, 2000);
}

/**
 * Cell code declaring `name`, a callback that holds the first execution at the end of epoch
 * `epoch` until the cell is interrupted, so that an interrupt finds training running however fast
 * training is (the loop must then notice the interrupt itself).
 *
 * @example
 * await kernel.execute(`${holdUntilInterruptedCell('holdOnce', 2)}`);
 */
export function holdUntilInterruptedCell(name: string, epoch: number): string {
  return `let ${name}Held = false;
const ${name} = { async onEpochEnd(epoch: number) {
  if (${name}Held || epoch !== ${epoch}) return;
  ${name}Held = true;
  const signal = currentSession()!.signal!;
  await new Promise((resolve) => signal.aborted ? resolve(undefined) : signal.addEventListener('abort', resolve));
} };`;
}
