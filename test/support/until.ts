/**
 * Poll until `check` returns a truthy value (or stops throwing), instead of sleeping a fixed time.
 * Returns the value; on timeout throws the last error or a message naming what was awaited.
 */
export async function until<T>(
  check: () => T | Promise<T>,
  opts: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<NonNullable<T>> {
  const timeoutMs = opts.timeoutMs ?? 5000;
  const intervalMs = opts.intervalMs ?? 20;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v as NonNullable<T>;
      lastError = undefined;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() > deadline) {
      if (lastError instanceof Error) throw lastError;
      throw new Error(`until: timed out after ${timeoutMs} ms waiting for ${opts.what ?? 'condition'}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
