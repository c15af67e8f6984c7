import type { OAuthCredentials, TokenResponse } from './credentials.js';

/** Default `--min-ttl`: refresh when the access token expires within this many seconds. */
export const DEFAULT_MIN_TTL = 60;

/** Reads the `exp` claim of a JWT without verifying it: only to know when our own token expires. */
export function jwtExpiry(token: string): number | undefined {
  const parts = token.split('.');
  if (parts.length !== 3 || parts[1] === undefined) return undefined;
  try {
    const json = atob(parts[1].replace(/-/g, '+').replace(/_/g, '/'));
    const payload: unknown = JSON.parse(json);
    if (typeof payload === 'object' && payload !== null && 'exp' in payload) {
      const exp = (payload as { exp: unknown }).exp;
      return typeof exp === 'number' && Number.isFinite(exp) ? exp : undefined;
    }
  } catch {
    return undefined;
  }
  return undefined;
}

/**
 * When the access token expires, in unix seconds. `expires_in` (RFC 6749 §5.1) is relative to
 * the response, so it is measured on our clock and survives clock skew; the JWT `exp` is the
 * provider's clock, so it is used only when it is sooner (a token the provider already considers
 * expired must not be served).
 */
export function computeExpiresAt(response: TokenResponse, nowSeconds: number): number | undefined {
  const fromExpiresIn =
    typeof response.expires_in === 'number' && Number.isFinite(response.expires_in)
      ? nowSeconds + Math.floor(response.expires_in)
      : undefined;
  const fromJwt = jwtExpiry(response.access_token);
  if (fromExpiresIn === undefined) return fromJwt;
  if (fromJwt === undefined) return fromExpiresIn;
  return Math.min(fromExpiresIn, fromJwt);
}

/** Seconds of life left, or undefined when the expiry is unknown. */
export function secondsLeft(
  creds: Pick<OAuthCredentials, 'expires_at'>,
  nowSeconds: number,
): number | undefined {
  return creds.expires_at === undefined ? undefined : creds.expires_at - nowSeconds;
}

/**
 * Whether the access token must be refreshed before use: it expires within `minTtl` seconds.
 * A token with no known expiry is used as is (the provider will say when it is not valid).
 */
export function needsRefresh(
  creds: Pick<OAuthCredentials, 'expires_at'>,
  nowSeconds: number,
  minTtl: number = DEFAULT_MIN_TTL,
): boolean {
  const left = secondsLeft(creds, nowSeconds);
  return left !== undefined && left <= minTtl;
}

/** Builds stored credentials from a token response, keeping the old refresh token when none is returned. */
export function credentialsFromTokenResponse(
  response: TokenResponse,
  base: {
    issuer: string;
    client_id: string;
    previous?: OAuthCredentials;
    claims?: OAuthCredentials['claims'];
  },
  nowSeconds: number,
): OAuthCredentials {
  const creds: OAuthCredentials = {
    kind: 'oauth',
    issuer: base.issuer,
    client_id: base.client_id,
    access_token: response.access_token,
    token_type: response.token_type ?? 'Bearer',
    obtained_at: nowSeconds,
  };
  const expiresAt = computeExpiresAt(response, nowSeconds);
  if (expiresAt !== undefined) creds.expires_at = expiresAt;
  // RFC 6749 §6: the server MAY issue a new refresh token; if it does not, the old one stays valid.
  const refresh = response.refresh_token ?? base.previous?.refresh_token;
  if (refresh !== undefined) creds.refresh_token = refresh;
  const idToken = response.id_token ?? base.previous?.id_token;
  if (idToken !== undefined) creds.id_token = idToken;
  const scope = response.scope ?? base.previous?.scope;
  if (scope !== undefined) creds.scope = scope;
  const claims = base.claims ?? base.previous?.claims;
  if (claims !== undefined) creds.claims = claims;
  return creds;
}
