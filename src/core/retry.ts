/**
 * Backoff for transient failures: exponential with full jitter, honouring Retry-After, bounded in
 * total time. Pure: the caller brings the clock, the sleep and the random source.
 */
export interface RetryPolicy {
  /** Give up when the next attempt would start later than this many ms after the first. */
  totalMs: number;
  baseMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { totalMs: 30_000, baseMs: 500, maxDelayMs: 8_000 };

/**
 * The delay before retry number `attempt` (1 for the first retry), or undefined to give up.
 * `retryAfterSeconds` (RFC 9110 §10.2.3) wins over the computed delay when larger.
 */
export function nextDelay(
  policy: RetryPolicy,
  attempt: number,
  elapsedMs: number,
  random: () => number,
  retryAfterSeconds?: number,
): number | undefined {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseMs * 2 ** (attempt - 1));
  // Full jitter, but never below half the ceiling so retries do not bunch at zero.
  let delay = ceiling / 2 + random() * (ceiling / 2);
  if (retryAfterSeconds !== undefined && retryAfterSeconds * 1000 > delay) delay = retryAfterSeconds * 1000;
  if (elapsedMs + delay > policy.totalMs) return undefined;
  return Math.round(delay);
}

/** Parses Retry-After: delta-seconds or an HTTP date. */
export function parseRetryAfter(value: string | null | undefined, nowMs: number): number | undefined {
  if (value === null || value === undefined || value.trim() === '') return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, Math.ceil((date - nowMs) / 1000));
}
