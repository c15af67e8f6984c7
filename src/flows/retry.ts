import { DEFAULT_RETRY, retryTotalMsFromEnv, withRetries, type RetryRun } from '../core/retry.js';
import type { Deps } from './deps.js';

/**
 * A provider request of a flow, retried as SPEC "Errors" promises: transient failures with backoff
 * and jitter, Retry-After honoured, within KEYTURN_RETRY_TIMEOUT (30 s by default), each retry said
 * on stderr. Permanent failures pass through at once.
 */
export function retrying<T>(
  deps: Pick<Deps, 'env' | 'now' | 'sleep' | 'random' | 'output'>,
  attempt: (attemptNumber: number) => Promise<T>,
  options: Omit<RetryRun, 'policy' | 'onRetry'> & { policy?: RetryRun['policy'] } = {},
): Promise<T> {
  return withRetries(
    deps,
    {
      policy: { ...DEFAULT_RETRY, totalMs: retryTotalMsFromEnv(deps.env) },
      onRetry: (error, delayMs) =>
        deps.output.info(`${error.message} Retrying in ${(delayMs / 1000).toFixed(1)} s…`),
      ...options,
    },
    attempt,
  );
}
