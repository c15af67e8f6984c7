/**
 * Backoff for transient failures: exponential with jitter, honouring Retry-After, bounded in total
 * time. Pure: the caller brings the clock, the sleep and the random source.
 */
export interface RetryPolicy {
  /** Give up when the next attempt would start later than this many ms after the first. */
  totalMs: number;
  baseMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { totalMs: 30_000, baseMs: 500, maxDelayMs: 8_000 };

/**
 * The delay before retry number `attempt` (1 for the first retry), or undefined to give up. The
 * delay is drawn between half and all of `baseMs · 2^(attempt-1)` (capped at `maxDelayMs`): jitter
 * spreads the retries of many clients without letting them bunch at zero. `retryAfterSeconds`
 * (RFC 9110 §10.2.3) is honoured as a minimum. A delay that would end after `totalMs` is shortened
 * to end there, unless even its minimum (half the ceiling, or Retry-After) does not fit: then give up.
 * @see https://www.rfc-editor.org/rfc/rfc9110#section-10.2.3
 */
export function nextDelay(
  policy: RetryPolicy,
  attempt: number,
  elapsedMs: number,
  random: () => number,
  retryAfterSeconds?: number,
): number | undefined {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
  const retryAfterMs = retryAfterSeconds === undefined ? 0 : retryAfterSeconds * 1000;
  const minimum = Math.max(ceiling / 2, retryAfterMs);
  const remaining = policy.totalMs - elapsedMs;
  if (minimum > remaining) return undefined;
  const drawn = Math.max(ceiling / 2 + random() * (ceiling / 2), retryAfterMs);
  return Math.round(Math.min(drawn, remaining));
}

/**
 * Parses Retry-After: delta-seconds or an HTTP date, as seconds from `nowMs`.
 * @see https://www.rfc-editor.org/rfc/rfc9110#section-10.2.3
 */
export function parseRetryAfter(value: string | null | undefined, nowMs: number): number | undefined {
  if (value === null || value === undefined || value.trim() === '') return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, Math.ceil((date - nowMs) / 1000));
}

/**
 * The retry bound in force: `KEYTURN_RETRY_TIMEOUT` (seconds; 0 = no retry), else 30 s. A value
 * that is not a number of seconds is ignored.
 */
export function retryTotalMsFromEnv(env: Record<string, string | undefined>): number {
  const raw = env.KEYTURN_RETRY_TIMEOUT?.trim();
  if (raw === undefined || !/^\d+(\.\d+)?$/.test(raw)) return DEFAULT_RETRY.totalMs;
  return Math.round(Number(raw) * 1000);
}
