import { describe, expect, it } from 'vitest';
import {
  computeExpiresAt,
  credentialsFromTokenResponse,
  jwtTimes,
  refreshMargin,
} from '../../src/core/expiry.js';
import type { OAuthCredentials } from '../../src/core/credentials.js';

const b64url = (value: unknown) =>
  Buffer.from(JSON.stringify(value))
    .toString('base64')
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
const jwt = (payload: unknown) => `${b64url({ alg: 'none' })}.${b64url(payload)}.sig`;

describe('reading a JWT access token’s times', () => {
  it('exp and iat when both are finite numbers; iat alone is not enough', () => {
    expect(jwtTimes(jwt({ exp: 2000, iat: 1000 }))).toEqual({ exp: 2000, iat: 1000 });
    expect(jwtTimes(jwt({ exp: 2000, iat: '1000' }))).toEqual({ exp: 2000 });
    expect(jwtTimes(jwt({ iat: 1000 }))).toBeUndefined();
    expect(jwtTimes(jwt({ exp: '2000' }))).toBeUndefined();
  });

  it('base64url characters in the payload are read (- and _)', () => {
    // A payload whose base64 has both + and /, as base64url - and _.
    const payload = { exp: 2000, s: '>>>???' };
    expect(b64url(payload)).toMatch(/[-_]/);
    expect(jwtTimes(jwt(payload))).toEqual({ exp: 2000 });
  });

  it('two or four parts, a payload that is not JSON or not an object: no times', () => {
    expect(jwtTimes('a.b')).toBeUndefined();
    expect(jwtTimes(`${jwt({ exp: 1 })}.x`)).toBeUndefined();
    expect(jwtTimes('a.!!!.c')).toBeUndefined();
    expect(jwtTimes(`a.${b64url(5)}.c`)).toBeUndefined();
    expect(jwtTimes(`a.${b64url(null)}.c`)).toBeUndefined();
  });
});

describe('when a token expires, on this machine’s clock', () => {
  it('a fractional expires_in is cut to whole seconds; a non-finite one is ignored', () => {
    expect(computeExpiresAt({ access_token: 'opaque', expires_in: 59.9 }, 1000)).toBe(1059);
    expect(
      computeExpiresAt({ access_token: 'opaque', expires_in: Number.POSITIVE_INFINITY }, 1000),
    ).toBeUndefined();
  });

  it('the JWT lifetime alone, when there is no expires_in', () => {
    expect(computeExpiresAt({ access_token: jwt({ exp: 5000, iat: 4000 }) }, 100)).toBe(1100);
  });
});

describe('the refresh margin', () => {
  it('min-ttl, unless the token never lives that long: then half its life', () => {
    expect(refreshMargin({ expires_at: 1060, obtained_at: 1000 }, 60)).toBe(30);
    expect(refreshMargin({ expires_at: 1061, obtained_at: 1000 }, 60)).toBe(60);
    expect(refreshMargin({ expires_at: 1000, obtained_at: 1000 }, 60)).toBe(60);
    expect(refreshMargin({ obtained_at: 1000 }, 60)).toBe(60);
    expect(refreshMargin({ expires_at: 1030 }, 60)).toBe(60);
  });
});

describe('stored credentials from a token response', () => {
  const previous: OAuthCredentials = {
    kind: 'oauth',
    issuer: 'https://id.example',
    client_id: 'cli',
    access_token: 'old',
    token_type: 'Bearer',
    obtained_at: 1,
    refresh_token: 'old-rt',
    mcp: {
      resource: 'https://mcp.example/',
      server: { issuer: 'https://id.example' },
      client_id: 'c',
      token_endpoint_auth_method: 'none',
      client_source: 'registered',
    },
    provider: { issuer: 'https://id.example', client_id: 'cli' },
  };

  it('a token type defaults to Bearer; a response without expiry stores none', () => {
    const creds = credentialsFromTokenResponse(
      { access_token: 'opaque' },
      { issuer: 'https://id.example', client_id: 'cli' },
      1000,
    );
    expect(creds).toEqual({
      kind: 'oauth',
      issuer: 'https://id.example',
      client_id: 'cli',
      access_token: 'opaque',
      token_type: 'Bearer',
      obtained_at: 1000,
    });
  });

  it('a refresh keeps the previous MCP binding and provider unless new ones are given', () => {
    const base = { issuer: 'https://id.example', client_id: 'cli', previous };
    const kept = credentialsFromTokenResponse({ access_token: 'new', token_type: 'DPoP' }, base, 1000);
    expect(kept.mcp).toEqual(previous.mcp);
    expect(kept.provider).toEqual(previous.provider);
    expect(kept.token_type).toBe('DPoP');
    const provider = { issuer: 'https://id.example', client_id: 'cli', scopes: ['x'] };
    expect(
      credentialsFromTokenResponse({ access_token: 'new' }, { ...base, provider }, 1000).provider,
    ).toEqual(provider);
  });
});
