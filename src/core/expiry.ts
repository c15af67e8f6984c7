import type { OAuthCredentials, TokenResponse } from './credentials.js';

/** Default `--min-ttl`: refresh when the access token expires within this many seconds. */
export const DEFAULT_MIN_TTL = 60;

/** The `exp` and `iat` claims of a JWT, read without verifying it: only to know when our own token expires. */
export function jwtTimes(token: string): { exp?: number; iat?: number } | undefined {
  const parts = token.split('.');
  if (parts.length !== 3 || parts[1] === undefined) return undefined;
  try {
    const json = atob(parts[1].replace(/-/g, '+').replace(/_/g, '/'));
    const payload: unknown = JSON.parse(json);
    if (typeof payload !== 'object' || payload === null) return undefined;
    const { exp, iat } = payload as { exp?: unknown; iat?: unknown };
    const times: { exp?: number; iat?: number } = {};
    if (typeof exp === 'number' && Number.isFinite(exp)) times.exp = exp;
    if (typeof iat === 'number' && Number.isFinite(iat)) times.iat = iat;
    return times.exp === undefined ? undefined : times;
  } catch {
    return undefined;
  }
}

/**
 * When the access token expires, in unix seconds on OUR clock. `requestedAt` is when the token
 * request was sent: `expires_in` (RFC 6749 §5.1) counts from the response, so anchoring it a little
 * earlier errs on the safe side. A JWT access token's lifetime is `exp - iat` (RFC 7519 §4.1.4,
 * §4.1.6), anchored on our clock too, so a skewed local clock changes neither; the shorter of the
 * two lifetimes wins. Only a JWT with `exp` and no `iat` is taken at its word, on the provider's clock.
 */
export function computeExpiresAt(response: TokenResponse, requestedAt: number): number | undefined {
  const lifetimes: number[] = [];
  if (typeof response.expires_in === 'number' && Number.isFinite(response.expires_in)) {
    lifetimes.push(Math.floor(response.expires_in));
  }
  const jwt = jwtTimes(response.access_token);
  if (jwt?.exp !== undefined && jwt.iat !== undefined) lifetimes.push(jwt.exp - jwt.iat);
  if (lifetimes.length > 0) return requestedAt + Math.min(...lifetimes);
  return jwt?.exp;
}

/** Seconds of life left, or undefined when the expiry is unknown. */
export function secondsLeft(
  creds: Pick<OAuthCredentials, 'expires_at'>,
  nowSeconds: number,
): number | undefined {
  return creds.expires_at === undefined ? undefined : creds.expires_at - nowSeconds;
}

/**
 * The refresh margin actually applied: `minTtl`, except when the provider's tokens live no longer
 * than that — then no refresh could ever satisfy it, and refreshing on every call would only hammer
 * the provider, so the token is refreshed at half its life instead.
 */
export function refreshMargin(
  creds: Pick<OAuthCredentials, 'expires_at'> & { obtained_at?: number },
  minTtl: number,
): number {
  if (creds.expires_at === undefined || creds.obtained_at === undefined) return minTtl;
  const lifetime = creds.expires_at - creds.obtained_at;
  return lifetime > 0 && lifetime <= minTtl ? lifetime / 2 : minTtl;
}

/**
 * Whether the access token must be refreshed before use: it expires within `minTtl` seconds (see
 * {@link refreshMargin} for tokens that never live that long). Both ends are on the local clock,
 * so clock skew with the provider does not matter. A token with no known expiry is used as is (the
 * provider will say when it is not valid).
 */
export function needsRefresh(
  creds: Pick<OAuthCredentials, 'expires_at'> & { obtained_at?: number },
  nowSeconds: number,
  minTtl: number = DEFAULT_MIN_TTL,
): boolean {
  const left = secondsLeft(creds, nowSeconds);
  return left !== undefined && left <= refreshMargin(creds, minTtl);
}

/** Builds stored credentials from a token response, keeping the old refresh token when none is returned. */
export function credentialsFromTokenResponse(
  response: TokenResponse,
  base: {
    issuer: string;
    client_id: string;
    previous?: OAuthCredentials;
    claims?: OAuthCredentials['claims'];
    mcp?: OAuthCredentials['mcp'];
    /** The sign-in's provider configuration (a refresh keeps the previous one). */
    provider?: OAuthCredentials['provider'];
  },
  /** Unix seconds when the token request was sent. */
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
  const mcp = base.mcp ?? base.previous?.mcp;
  if (mcp !== undefined) creds.mcp = mcp;
  const provider = base.provider ?? base.previous?.provider;
  if (provider !== undefined) creds.provider = provider;
  return creds;
}
