import { KeyturnError, isKeyturnError } from '../core/errors.js';
import { credentialsFromTokenResponse, needsRefresh, secondsLeft } from '../core/expiry.js';
import { DEFAULT_RETRY, retryTotalMsFromEnv, type RetryPolicy } from '../core/retry.js';
import { requireProvider, type Profile } from '../core/config.js';
import type { Credentials, OAuthCredentials } from '../core/credentials.js';
import { refreshLockName, type CredentialStore } from '../core/store.js';
import { isLockTimeout, type OAuthProvider, type TokenSet } from '../core/ports.js';
import { deadSignIn, readCredentials } from './credentials.js';
import { nowSeconds, type Deps } from './deps.js';
import { retrying } from './retry.js';

export interface RefreshInput {
  profile: Profile;
  minTtl: number;
  store: CredentialStore;
  /** The credentials the caller saw before taking the lock. */
  seen: OAuthCredentials;
  /** Refresh although `seen` looks valid (a resource refused it). */
  forceRefresh?: boolean;
  /** Bound on the whole refresh (waiting for the lock and retrying transient failures), in ms. */
  retryTotalMs?: number;
}

/** Same token set: another process has not refreshed (nor signed in) since we read it. */
function sameTokens(a: Credentials | undefined, b: OAuthCredentials): boolean {
  return (
    a?.kind === 'oauth' &&
    a.access_token === b.access_token &&
    a.refresh_token === b.refresh_token &&
    a.refresh_dead === undefined
  );
}

/** Per-request bound (as adapters/http.ts); shorter when the retry bound is. */
const REQUEST_TIMEOUT_MS = 30_000;

/** Beyond its retry bound a holder may still be in one last request; waiters allow for that. */
const LOCK_WAIT_MARGIN_MS = 10_000;

/**
 * Single-flight refresh across processes (RFC 6749 §6): take the profile's lock, re-read the store,
 * and skip the network when another process has refreshed meanwhile; otherwise refresh once,
 * retrying transient failures within a bound, and store the rotated refresh token before releasing
 * the lock. A permanent failure leaves the credentials in place, marked dead.
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-6
 */
export async function refreshCredentials(
  deps: Deps,
  input: RefreshInput,
  signal?: AbortSignal,
): Promise<Credentials> {
  const totalMs = input.retryTotalMs ?? retryTotalMsFromEnv(deps.env);
  const deadline = deps.now() + totalMs;
  const requestTimeoutMs = Math.min(REQUEST_TIMEOUT_MS, Math.max(1_000, totalMs));
  const { output } = deps;
  const lockName = refreshLockName(input.profile.name);
  try {
    return await deps.lock(
      lockName,
      async () => {
        const current = await readCredentials(input.store, input.profile);
        // `login --api-key` replaced the sign-in meanwhile: nothing to refresh.
        if (current.kind !== 'oauth') return current;
        const dead = deadSignIn(current);
        if (dead !== undefined) throw dead;
        const now = nowSeconds(deps);
        const due = input.forceRefresh === true || needsRefresh(current, now, input.minTtl);
        if (!sameTokens(current, input.seen) || !due) {
          output.debug('another process refreshed already: using its token');
          return current;
        }
        if (current.refresh_token === undefined) {
          if (input.forceRefresh === true) throw refusedWithoutRefreshToken();
          return withoutRefreshToken(deps, current, now);
        }
        return refreshWithRetry(deps, input, current, current.refresh_token, {
          policy: { ...DEFAULT_RETRY, totalMs },
          deadline,
          requestTimeoutMs,
          signal,
        });
      },
      {
        timeoutMs: totalMs + requestTimeoutMs + LOCK_WAIT_MARGIN_MS,
        waitNoticeMs: 1500,
        ...(signal === undefined ? {} : { signal }),
        onLongWait: (holder) =>
          output.info(
            `waiting for pid ${holder.pid ?? '?'}, which is refreshing the token of profile "${input.profile.name}"…`,
          ),
      },
    );
  } catch (error) {
    if (isLockTimeout(error)) {
      const lockPath = error.path;
      throw new KeyturnError(
        'internal',
        `Gave up waiting for pid ${error.holder.pid ?? '?'}, which has been refreshing the token of profile "${input.profile.name}" for too long.`,
        {
          transient: true,
          fix: `If that process is stuck, stop it (\`kill ${error.holder.pid ?? 'PID'}\`) and try again (its lock file: ${lockPath}).`,
          evidence: { pid: error.holder.pid, lock: lockPath },
          cause: error,
        },
      );
    }
    throw error;
  }
}

/** A resource refused the token and nothing can renew it: only a new sign-in helps. */
function refusedWithoutRefreshToken(): KeyturnError {
  return new KeyturnError(
    'refresh_rejected',
    'The access token was refused and cannot be renewed: no refresh token is held.',
    {
      fix: ({ command }) =>
        `Sign in again: \`${command} login\` (ask for the \`offline_access\` scope to stay signed in).`,
    },
  );
}

/** No refresh token: a token that still works is served, with a warning; an expired one is the end. */
function withoutRefreshToken(deps: Deps, current: OAuthCredentials, now: number): OAuthCredentials {
  const left = secondsLeft(current, now);
  if (left !== undefined && left > 0) {
    deps.output.warn(
      `The access token expires in ${left} s and cannot be renewed: no refresh token is held. Sign in again with the \`offline_access\` scope to stay signed in.`,
    );
    return current;
  }
  throw new KeyturnError('refresh_rejected', 'The access token has expired and no refresh token is held.', {
    fix: ({ command }) =>
      `Sign in again: \`${command} login\` (ask for the \`offline_access\` scope to stay signed in).`,
  });
}

interface Attempts {
  policy: RetryPolicy;
  /** Epoch ms after which no new attempt starts (there is always a first one). */
  deadline: number;
  requestTimeoutMs: number;
  signal: AbortSignal | undefined;
}

async function refreshWithRetry(
  deps: Deps,
  input: RefreshInput,
  current: OAuthCredentials,
  refreshToken: string,
  attempts: Attempts,
): Promise<Credentials> {
  const profile = requireProvider(input.profile);
  const started = deps.now();
  // The retry budget counts from the start of the command: time spent waiting for the lock is spent.
  const budget: RetryPolicy = {
    ...attempts.policy,
    totalMs: Math.max(0, attempts.deadline - started),
  };
  let provider: OAuthProvider | undefined;
  let answer: { tokens: TokenSet; requestedAt: number };
  try {
    answer = await retrying(
      deps,
      async () => {
        // Configured only by the one process that refreshes: the others, waiting on the lock, never need it.
        provider ??= await deps.oauth(profile, { timeoutMs: attempts.requestTimeoutMs });
        const requestedAt = nowSeconds(deps);
        // RFC 8707 §2.2: a resource's refresh names the resource again; token_params go along.
        const parameters = {
          ...profile.tokenParams,
          ...(profile.mcp === undefined ? {} : { resource: profile.mcp.resource }),
        };
        // The last attempt ends by the deadline too.
        const tokens = await provider.refreshTokenGrant(refreshToken, {
          timeoutMs: Math.min(attempts.requestTimeoutMs, attempts.deadline - deps.now()),
          ...(Object.keys(parameters).length === 0 ? {} : { parameters }),
        });
        return { tokens, requestedAt };
      },
      {
        policy: budget,
        kept: 'the stored sign-in is kept',
        ...(attempts.signal === undefined ? {} : { signal: attempts.signal }),
      },
    );
  } catch (error) {
    if (attempts.signal?.aborted || !isKeyturnError(error) || error.code !== 'refresh_rejected') throw error;
    const rejected = signInAgain(error, input.profile);
    const after = await markDead(input.store, profile.name, current, rejected, deps);
    if (after !== undefined) return after;
    throw rejected;
  } finally {
    await provider?.close();
  }
  const { tokens, requestedAt } = answer;
  const fresh = credentialsFromTokenResponse(
    tokens,
    { issuer: current.issuer, client_id: current.client_id, previous: current },
    requestedAt,
  );
  // Stored before the lock is released, so the next process finds the rotated refresh token; and
  // outside the retry loop: the old refresh token is spent now, a failed write must not resend it.
  return putIfUnchanged(input.store, profile.name, current, fresh, deps);
}

/** The one thing to do after a dead refresh token, for this profile. */
function signInAgain(error: KeyturnError, profile: Profile): KeyturnError {
  const flag = profile.name === 'default' ? '' : ` --profile ${profile.name}`;
  return error.restate({
    fix: ({ command }) =>
      `Sign in again: \`${command} login${flag}\` (or \`${command} login${flag} --device\` where no browser can reach this machine).`,
  });
}

/**
 * Keeps the credentials (status still says who was signed in) and remembers the refresh token is
 * dead, so the next `token` fails at once with the same message and no network call. Returns the
 * credentials of a sign-in that replaced this one meanwhile, if any.
 */
async function markDead(
  store: CredentialStore,
  profile: string,
  current: OAuthCredentials,
  error: KeyturnError,
  deps: Deps,
): Promise<Credentials | undefined> {
  const dead: OAuthCredentials = {
    ...current,
    // Told for the application whose store this is: the next `token` repeats it word for word.
    refresh_dead: {
      at: nowSeconds(deps),
      code: error.code,
      message: error.message,
      fix: error.forApp(deps.app).fix,
    },
  };
  const after = await putIfUnchanged(store, profile, current, dead, deps);
  return after === dead ? undefined : after;
}

/**
 * Writes `next` only if the store still holds `expected`: a `keyturn login` that finished while we
 * were refreshing must not be overwritten by the outcome of refreshing the sign-in it replaced.
 * Returns what the store holds afterwards.
 */
async function putIfUnchanged(
  store: CredentialStore,
  profile: string,
  expected: OAuthCredentials,
  next: OAuthCredentials,
  deps: Deps,
): Promise<Credentials> {
  // Compare and write in the store's transaction: nothing can come in between.
  const after = await store.update(profile, (now) => (sameTokens(now, expected) ? next : undefined));
  if (after === next) return next;
  deps.output.debug('the stored sign-in changed during the refresh (a new login?): keeping it');
  if (after === undefined) {
    throw new KeyturnError('not_signed_in', `Profile "${profile}" was signed out during the refresh.`);
  }
  return after;
}
