import { KeyturnError } from './errors.js';

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

/** The clock, sleep and randomness a retry loop runs on (a flow's `deps`, or a test's fakes). */
export interface RetryClock {
  /** Milliseconds since the epoch. */
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  random(): number;
}

export interface RetryRun {
  policy: RetryPolicy;
  signal?: AbortSignal;
  /**
   * Where the bound counts from: `start` (default), the first attempt; `failure`, the first failure
   * of the current run of failures, for an attempt that may rightly last long (device polling): an
   * attempt that ran longer than the bound before it failed got answers meanwhile, and starts a new run.
   */
  from?: 'start' | 'failure';
  /** Told before each wait: the transient error, the delay and the number of the coming retry. */
  onRetry?(error: KeyturnError, delayMs: number, retry: number): void;
  /** Appended to the message of the error given up on, e.g. "the stored sign-in is kept". */
  kept?: string;
}

/**
 * Runs `attempt` until it succeeds, fails for good, or the bound is spent: the one retry loop of
 * every command (SPEC "Errors": transient failures — network, 5xx, 429, temporarily_unavailable —
 * retried with backoff and jitter, honouring Retry-After, within a bounded total time). Only a
 * `KeyturnError` marked transient is retried; anything else, and an abort, ends the loop at once.
 */
export async function withRetries<T>(
  clock: RetryClock,
  run: RetryRun,
  attempt: (attemptNumber: number) => Promise<T>,
): Promise<T> {
  let started = clock.now();
  let failures = 0;
  for (let attemptNumber = 1; ; attemptNumber++) {
    const attemptStarted = clock.now();
    try {
      return await attempt(attemptNumber);
    } catch (thrown) {
      if (run.signal?.aborted || !(thrown instanceof KeyturnError) || !thrown.transient) throw thrown;
      if (run.from === 'failure' && (failures === 0 || clock.now() - attemptStarted > run.policy.totalMs)) {
        started = clock.now();
        failures = 0;
      }
      failures++;
      const elapsed = clock.now() - started;
      const delay = nextDelay(run.policy, failures, elapsed, clock.random, thrown.retryAfter);
      if (delay === undefined) throw gaveUp(thrown, attemptNumber, elapsed, run.kept);
      run.onRetry?.(thrown, delay, failures);
      await clock.sleep(delay, run.signal);
    }
  }
}

/** The last transient error, saying that keyturn retried (and what is kept). */
function gaveUp(error: KeyturnError, attempts: number, elapsedMs: number, kept?: string): KeyturnError {
  const tried =
    attempts === 1
      ? 'No retry fits in the time bound'
      : `Gave up after ${attempts} attempts in ${Math.round(elapsedMs / 1000)} s`;
  return error.restate({
    message: `${error.message} ${tried} (KEYTURN_RETRY_TIMEOUT)${kept === undefined ? '' : `; ${kept}`}.`,
  });
}
