/** Assertion helpers shared by the test tree. */
import assert from 'node:assert/strict';
import type { MimeBundle, NotebookSession } from '../lib/session';

/**
 * Asserts that `body` throws an Error whose message contains every one of `fragments`, and returns
 * the error. Error text is part of the contract, so tests pin it.
 */
export function throwsWith(body: () => unknown, ...fragments: string[]): Error {
  let thrown: unknown;
  try {
    body();
  } catch (error) {
    thrown = error;
  }
  assert.ok(thrown instanceof Error, `expected an Error to be thrown, got ${String(thrown)}`);
  for (const fragment of fragments) {
    assert.ok(thrown.message.includes(fragment), `message ${JSON.stringify(thrown.message)} lacks ${JSON.stringify(fragment)}`);
  }
  return thrown;
}

/** The async twin of {@link throwsWith}. */
export async function rejectsWith(body: () => Promise<unknown>, ...fragments: string[]): Promise<Error> {
  let thrown: unknown;
  try {
    await body();
  } catch (error) {
    thrown = error;
  }
  assert.ok(thrown instanceof Error, `expected a rejection with an Error, got ${String(thrown)}`);
  for (const fragment of fragments) {
    assert.ok(thrown.message.includes(fragment), `message ${JSON.stringify(thrown.message)} lacks ${JSON.stringify(fragment)}`);
  }
  return thrown;
}

/** A notebook session that records what is displayed and updated. */
export function recordingSession(): NotebookSession & { shown: MimeBundle[]; updates: MimeBundle[][] } {
  const shown: MimeBundle[] = [];
  const updates: MimeBundle[][] = [];
  return {
    shown,
    updates,
    display(bundle) {
      const index = shown.push(bundle) - 1;
      updates[index] = [];
      return { update: (next) => updates[index].push(next) };
    },
  };
}
