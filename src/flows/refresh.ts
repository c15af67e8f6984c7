import { join } from 'node:path';
import { KeyturnError, isKeyturnError } from '../core/errors.js';
import { credentialsFromTokenResponse, needsRefresh } from '../core/expiry.js';
import { DEFAULT_RETRY, nextDelay, type RetryPolicy } from '../core/retry.js';
import { requireProvider, type Profile } from '../core/config.js';
import type { OAuthCredentials } from '../core/credentials.js';
import type { CredentialStore } from '../core/store.js';
import { configure, oauthFailure, oidc } from '../adapters/oauth.js';
import { withFileLock } from '../adapters/lock.js';
import { deadSignIn, readCredentials } from './token.js';
import { nowSeconds, type Deps } from './deps.js';

export interface RefreshInput {
  profile: Profile;
  minTtl: number;
  store: CredentialStore;
  /** The credentials the caller saw before taking the lock. */
  seen: OAuthCredentials;
  retryTotalMs?: number;
  /** Refresh even when the token is fresh (`getAccessToken({ forceRefresh })`). */
  force?: boolean;
}

export function refreshLockPath(deps: Pick<Deps, 'paths'>, profile: string): string {
  return join(deps.paths.lockDir, `refresh-${encodeURIComponent(profile)}.lock`);
}

/**
 * Single-flight refresh across processes (RFC 6749 §6): take the profile's lock, re-read the store,
 * and skip the network when another process already refreshed; otherwise refresh once, retrying
 * transient failures within a bound, and write the rotated refresh token before releasing the lock.
 */
export async function refreshCredentials(
  deps: Deps,
  input: RefreshInput,
  signal?: AbortSignal,
): Promise<OAuthCredentials> {
  const policy: RetryPolicy = {
    ...DEFAULT_RETRY,
    totalMs: input.retryTotalMs ?? retryBoundFromEnv(deps.env),
  };
  const { output } = deps;
  return withFileLock(
    refreshLockPath(deps, input.profile.name),
    async () => {
      const current = await readCredentials(input.store, input.profile);
      if (current.kind !== 'oauth')
        throw new KeyturnError('internal', 'The profile holds an API key, not OAuth tokens.');
      const dead = deadSignIn(current);
      if (dead !== undefined) throw dead;
      const changed = current.access_token !== input.seen.access_token;
      if (!input.force && (changed || !needsRefresh(current, nowSeconds(deps), input.minTtl))) {
        output.debug('another process refreshed already: using its token');
        return current;
      }
      if (current.refresh_token === undefined) {
        throw new KeyturnError(
          'refresh_rejected',
          'The access token has expired and no refresh token is held.',
          {
            fix: 'Sign in again: `keyturn login` (ask for the `offline_access` scope to stay signed in).',
          },
        );
      }
      return refreshWithRetry(deps, input, current, current.refresh_token, policy, signal);
    },
    {
      timeoutMs: policy.totalMs + 60_000,
      waitNoticeMs: 1500,
      ...(signal === undefined ? {} : { signal }),
      onLongWait: (holder) =>
        output.info(
          `waiting for pid ${holder.pid ?? '?'}, which is refreshing the token for profile "${input.profile.name}"…`,
        ),
    },
  );
}

async function refreshWithRetry(
  deps: Deps,
  input: RefreshInput,
  current: OAuthCredentials,
  refreshToken: string,
  policy: RetryPolicy,
  signal: AbortSignal | undefined,
): Promise<OAuthCredentials> {
  const profile = requireProvider(input.profile);
  const http = await deps.http(profile);
  const started = deps.now();
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        const config = await configure(profile, http);
        const tokens = await oidc.refreshTokenGrant(config, refreshToken);
        const fresh = credentialsFromTokenResponse(
          tokens,
          { issuer: current.issuer, client_id: current.client_id, previous: current },
          nowSeconds(deps),
        );
        await input.store.put(profile.name, fresh);
        return fresh;
      } catch (thrown) {
        if (signal?.aborted) throw thrown;
        const error = isKeyturnError(thrown) ? thrown : oauthFailure(thrown, 'refresh', http);
        http.lastFailure = undefined;
        if (!error.transient) {
          if (error.code === 'refresh_rejected') {
            // Keep the credentials (status still says who was signed in); remember the token is dead.
            await input.store.put(profile.name, {
              ...current,
              refresh_dead: {
                at: nowSeconds(deps),
                code: error.code,
                message: error.message,
                fix: error.fix,
              },
            });
          }
          throw error;
        }
        const delay = nextDelay(policy, attempt, deps.now() - started, deps.random, error.retryAfter);
        if (delay === undefined) throw error;
        deps.output.info(`${error.message} Retrying in ${(delay / 1000).toFixed(1)} s…`);
        await deps.sleep(delay, signal);
      }
    }
  } finally {
    await http.close();
  }
}

/** KEYTURN_RETRY_TIMEOUT (seconds) bounds retrying transient failures; default 30 s. */
export function retryBoundFromEnv(env: Record<string, string | undefined>): number {
  const value = Number(env.KEYTURN_RETRY_TIMEOUT);
  return Number.isFinite(value) &&
    value >= 0 &&
    env.KEYTURN_RETRY_TIMEOUT !== '' &&
    env.KEYTURN_RETRY_TIMEOUT !== undefined
    ? value * 1000
    : DEFAULT_RETRY.totalMs;
}
