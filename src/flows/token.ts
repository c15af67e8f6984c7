import { KeyturnError } from '../core/errors.js';
import { DEFAULT_MIN_TTL, needsRefresh } from '../core/expiry.js';
import type { Profile } from '../core/config.js';
import type { Credentials, OAuthCredentials } from '../core/credentials.js';
import type { CredentialStore } from '../core/store.js';
import { nowSeconds, type Deps } from './deps.js';

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
 * A token to send, and until when (the token response's fields, RFC 6749 §5.1; `expires_at` in
 * seconds since the epoch, null when the provider gave no lifetime). For an API-key sign-in the key,
 * with `token_type: 'api_key'`.
 */
export interface AccessToken {
  access_token: string;
  token_type: string;
  expires_at: number | null;
  scope: string | null;
}

function sameIssuer(a: string, b: string): boolean {
  return a.replace(/\/+$/, '') === b.replace(/\/+$/, '');
}

/** Credentials are bound to issuer + client id: a profile now pointing elsewhere is not signed in. */
export function checkBinding(credentials: Credentials, profile: Profile): void {
  const issuerDiffers =
    profile.issuer !== undefined &&
    credentials.issuer !== undefined &&
    !sameIssuer(credentials.issuer, profile.issuer);
  const clientDiffers =
    profile.clientId !== undefined &&
    credentials.client_id !== undefined &&
    credentials.client_id !== profile.clientId;
  if (issuerDiffers || clientDiffers) {
    throw new KeyturnError(
      'not_signed_in',
      `The stored sign-in of profile "${profile.name}" is for ${credentials.issuer ?? '?'} (client ${credentials.client_id ?? '?'}), not the configured ${profile.issuer ?? '?'} (client ${profile.clientId ?? '?'}).`,
      {
        fix: ({ command }) =>
          `Run \`${command} login --profile ${profile.name}\` to sign in to the configured provider.`,
      },
    );
  }
}

export function notSignedIn(profile: Profile): KeyturnError {
  const flag = profile.name === 'default' ? '' : ` --profile ${profile.name}`;
  return new KeyturnError('not_signed_in', `Profile "${profile.name}" is not signed in.`, {
    fix: ({ command }) =>
      `Run \`${command} login${flag}\` (or \`${command} login${flag} --device\` where no browser can reach this machine).`,
  });
}

/** The error a dead refresh token left behind: the same message, without a network call. */
export function deadSignIn(credentials: OAuthCredentials): KeyturnError | undefined {
  const dead = credentials.refresh_dead;
  if (dead === undefined) return undefined;
  return new KeyturnError('refresh_rejected', dead.message, { fix: dead.fix });
}

export function toAccessToken(credentials: Credentials): AccessToken {
  if (credentials.kind === 'api_key') {
    return { access_token: credentials.api_key, token_type: 'api_key', expires_at: null, scope: null };
  }
  return {
    access_token: credentials.access_token,
    token_type: credentials.token_type,
    expires_at: credentials.expires_at ?? null,
    scope: credentials.scope ?? null,
  };
}

export async function readCredentials(store: CredentialStore, profile: Profile): Promise<Credentials> {
  const credentials = await store.get(profile.name);
  if (credentials === undefined) throw notSignedIn(profile);
  checkBinding(credentials, profile);
  return credentials;
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
