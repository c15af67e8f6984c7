import { DEFAULT_MIN_TTL, needsRefresh } from '../core/expiry.js';
import type { Profile } from '../core/config.js';
import { nowSeconds, type Deps } from './deps.js';
import { deadSignIn, readCredentials, toAccessToken, type AccessToken } from './credentials.js';

export { checkBinding } from '../core/binding.js';
export { deadSignIn, notSignedIn, readCredentials, toAccessToken, type AccessToken } from './credentials.js';

/**
 * `keyturn token` and `getAccessToken()`: the hot path. A valid cached token costs one file read;
 * only an expiring one loads the refresh machinery.
 */

export interface TokenInput {
  profile: Profile;
  /** Refresh when the access token expires within this many seconds (default 60). */
  minTtl?: number;
  /**
   * Refresh even when the token looks valid: a resource rejected it (revoked, or the provider's
   * clock disagrees). Another process's refresh since this token was read counts as done.
   */
  forceRefresh?: boolean;
  /** Bound on a refresh (lock wait and retries of transient failures), in ms; default KEYTURN_RETRY_TIMEOUT or 30 s. */
  retryTotalMs?: number;
}

/**
 * A valid access token: the stored one, or a refreshed one when it expires within `minTtl`
 * (single flight across processes, see flows/refresh.ts). A sign-in whose refresh token was
 * rejected fails at once, without a network call.
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-6
 */
export async function getAccessToken(
  deps: Deps,
  input: TokenInput,
  signal?: AbortSignal,
): Promise<AccessToken> {
  const store = await deps.store(input.profile);
  const credentials = await readCredentials(store, input.profile);
  if (credentials.kind === 'api_key') return toAccessToken(credentials);
  const dead = deadSignIn(credentials);
  if (dead !== undefined) throw dead;
  const minTtl = input.minTtl ?? DEFAULT_MIN_TTL;
  if (input.forceRefresh !== true && !needsRefresh(credentials, nowSeconds(deps), minTtl)) {
    return toAccessToken(credentials);
  }
  const { refreshCredentials } = await import('./refresh.js');
  const fresh = await refreshCredentials(deps, { ...input, minTtl, store, seen: credentials }, signal);
  return toAccessToken(fresh);
}
