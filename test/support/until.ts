/**
 * Waits until `predicate` holds, polling every `intervalMs` (for state another process or a browser
 * changes; no timing asserted), or fails after `timeoutMs` naming `what` it waited for.
 */
export async function until(predicate: () => boolean | Promise<boolean>, what: string, timeoutMs = 60_000, intervalMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
