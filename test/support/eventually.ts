export interface EventuallyOptions {
  /** How long to keep trying (from the first try). */
  timeoutMs?: number;
  /** The pause between tries. */
  intervalMs?: number;
}

/**
 * Re-runs `check` (an assertion, or anything that throws until the awaited state holds) until
 * it passes, and returns what it returned; once `timeoutMs` has passed, rethrows its last failure.
 * For something that WILL happen (a log line written after the response, a listener
 * reconnecting, a cache entry expiring); "nothing happened" wants a sync point, never a wait.
 */
export async function eventually<T>(
  check: () => T | Promise<T>,
  { timeoutMs = 5000, intervalMs = 20 }: EventuallyOptions = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
