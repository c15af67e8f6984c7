import { describe, expect, it } from 'vitest';
import {
  DEFAULT_MIN_TTL,
  computeExpiresAt,
  credentialsFromTokenResponse,
  needsRefresh,
  refreshMargin,
} from '../../src/core/expiry.js';
import type { OAuthCredentials } from '../../src/core/credentials.js';

/** The fake clock: unix seconds on this machine. */
const NOW = 1_750_000_000;

function jwt(claims: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'RS256', typ: 'at+jwt' })}.${part(claims)}.signature`;
}

function stored(expiresIn: number | undefined, obtainedAt = NOW): OAuthCredentials {
  return {
    kind: 'oauth',
    issuer: 'https://id.example.test',
    client_id: 'cli',
    access_token: 'opaque',
    token_type: 'Bearer',
    obtained_at: obtainedAt,
    ...(expiresIn === undefined ? {} : { expires_at: obtainedAt + expiresIn }),
  };
}

describe('computeExpiresAt: when the access token expires, on our clock', () => {
  it('counts expires_in from when the request was sent', () => {
    expect(computeExpiresAt({ access_token: 'opaque', expires_in: 3600 }, NOW)).toBe(NOW + 3600);
  });

  it('takes a JWT’s lifetime (exp - iat), not its exp, so a provider clock an hour ahead changes nothing', () => {
    const providerNow = NOW + 3600;
    const token = jwt({ iat: providerNow, exp: providerNow + 300 });
    expect(computeExpiresAt({ access_token: token }, NOW)).toBe(NOW + 300);
  });

  it('and a provider clock an hour behind changes nothing either', () => {
    const providerNow = NOW - 3600;
    const token = jwt({ iat: providerNow, exp: providerNow + 300 });
    expect(computeExpiresAt({ access_token: token, expires_in: 300 }, NOW)).toBe(NOW + 300);
  });

  it('believes the shorter of expires_in and the JWT lifetime', () => {
    const token = jwt({ iat: NOW, exp: NOW + 120 });
    expect(computeExpiresAt({ access_token: token, expires_in: 3600 }, NOW)).toBe(NOW + 120);
    expect(computeExpiresAt({ access_token: token, expires_in: 60 }, NOW)).toBe(NOW + 60);
  });

  it('uses a JWT exp as is only when nothing else tells the lifetime', () => {
    expect(computeExpiresAt({ access_token: jwt({ exp: NOW + 999 }) }, NOW)).toBe(NOW + 999);
  });

  it('does not know the expiry of an opaque token without expires_in', () => {
    expect(computeExpiresAt({ access_token: 'opaque' }, NOW)).toBeUndefined();
    expect(computeExpiresAt({ access_token: 'not.a-jwt.really' }, NOW)).toBeUndefined();
  });
});

describe('needsRefresh: the --min-ttl boundary', () => {
  const creds = stored(3600);

  it('serves a token with more than min-ttl left', () => {
    expect(needsRefresh(creds, NOW + 3600 - 61, 60)).toBe(false);
  });

  it('refreshes a token with exactly min-ttl left, or less, or already expired', () => {
    expect(needsRefresh(creds, NOW + 3600 - 60, 60)).toBe(true);
    expect(needsRefresh(creds, NOW + 3600 - 1, 60)).toBe(true);
    expect(needsRefresh(creds, NOW + 3600 + 600, 60)).toBe(true);
  });

  it('defaults to 60 s', () => {
    expect(DEFAULT_MIN_TTL).toBe(60);
    expect(needsRefresh(creds, NOW + 3600 - 60)).toBe(true);
    expect(needsRefresh(creds, NOW + 3600 - 61)).toBe(false);
  });

  it('uses a token of unknown expiry as is', () => {
    expect(needsRefresh(stored(undefined), NOW + 10 * 86_400, 60)).toBe(false);
  });

  it('refreshes a token that never lives min-ttl at half its life, not on every call', () => {
    const short = stored(30);
    expect(refreshMargin(short, 60)).toBe(15);
    expect(needsRefresh(short, NOW, 60)).toBe(false);
    expect(needsRefresh(short, NOW + 14, 60)).toBe(false);
    expect(needsRefresh(short, NOW + 15, 60)).toBe(true);
    // A lifetime just above min-ttl keeps min-ttl.
    expect(refreshMargin(stored(61), 60)).toBe(60);
  });
});

describe('credentialsFromTokenResponse after a refresh', () => {
  const previous: OAuthCredentials = {
    ...stored(3600, NOW - 4000),
    refresh_token: 'rt-1',
    id_token: 'id-1',
    scope: 'openid offline_access',
    claims: { sub: 'user-1' },
    refresh_dead: { at: NOW, code: 'refresh_rejected', message: 'm', fix: 'f' },
  };
  const base = { issuer: previous.issuer, client_id: previous.client_id, previous };

  it('stores the rotated refresh token', () => {
    const next = credentialsFromTokenResponse(
      { access_token: 'at-2', refresh_token: 'rt-2', expires_in: 300 },
      base,
      NOW,
    );
    expect(next).toMatchObject({ access_token: 'at-2', refresh_token: 'rt-2', expires_at: NOW + 300 });
    expect(next.obtained_at).toBe(NOW);
    expect(next.refresh_dead).toBeUndefined();
  });

  it('keeps the old refresh token, id token, scope and claims when the response has none (RFC 6749 §6)', () => {
    const next = credentialsFromTokenResponse({ access_token: 'at-2', expires_in: 300 }, base, NOW);
    expect(next).toMatchObject({
      refresh_token: 'rt-1',
      id_token: 'id-1',
      scope: 'openid offline_access',
      claims: { sub: 'user-1' },
      token_type: 'Bearer',
    });
  });
});
