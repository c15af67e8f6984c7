import { describe, expect, it } from 'vitest';
import { bindingMismatch, bindingOf, checkBinding, storedBinding } from '../../src/core/binding.js';
import type { Credentials, OAuthCredentials, ProviderBinding } from '../../src/core/credentials.js';
import { profileWith as profile } from '../helpers/profile.js';
import { thrownBy as refusal } from '../helpers/thrown.js';

const ISSUER = 'https://id.example.com';

function credentials(
  provider: ProviderBinding | undefined,
  legacy: Partial<OAuthCredentials> = {},
): Credentials {
  return {
    kind: 'oauth',
    issuer: ISSUER,
    client_id: 'cli',
    access_token: 'at',
    token_type: 'Bearer',
    obtained_at: 0,
    ...(provider === undefined ? {} : { provider }),
    ...legacy,
  };
}

describe('bindingMismatch: which setting names another provider', () => {
  it('a client id on one side only is no mismatch; on both, any difference is', () => {
    expect(bindingMismatch({ issuer: ISSUER }, profile({ issuer: ISSUER, clientId: 'cli' }))).toBeUndefined();
    expect(
      bindingMismatch({ issuer: ISSUER, client_id: 'cli' }, profile({ issuer: ISSUER })),
    ).toBeUndefined();
    expect(
      bindingMismatch({ issuer: ISSUER, client_id: 'cli' }, profile({ issuer: ISSUER, clientId: 'CLI' })),
    ).toBe('client');
  });

  it('issuers compare without their trailing slashes, and nothing else', () => {
    expect(bindingMismatch({ issuer: `${ISSUER}//` }, profile({ issuer: ISSUER }))).toBeUndefined();
    expect(bindingMismatch({ issuer: `${ISSUER}/a` }, profile({ issuer: `${ISSUER}/b` }))).toBe('issuer');
    expect(
      bindingMismatch({ issuer: `${ISSUER}/realms/a` }, profile({ issuer: `${ISSUER}/realms/a/` })),
    ).toBeUndefined();
  });

  it('an issuer on one side and a token endpoint on the other compare by origin', () => {
    const endpoints: ProviderBinding = { token_endpoint: `${ISSUER}/oauth/token` };
    expect(bindingMismatch(endpoints, profile({ issuer: ISSUER }))).toBeUndefined();
    expect(bindingMismatch(endpoints, profile({ issuer: 'https://other.example' }))).toBe('issuer');
    expect(bindingMismatch({ issuer: ISSUER }, profile({ tokenEndpoint: `${ISSUER}/t` }))).toBeUndefined();
    expect(bindingMismatch({ issuer: ISSUER }, profile({ tokenEndpoint: 'https://other.example/t' }))).toBe(
      'issuer',
    );
  });

  it('the profile’s issuer too compares without all its trailing slashes', () => {
    expect(bindingMismatch({ issuer: ISSUER }, profile({ issuer: `${ISSUER}//` }))).toBeUndefined();
  });

  it('nothing known on one side is no mismatch', () => {
    expect(bindingMismatch({}, profile({ issuer: ISSUER, tokenEndpoint: `${ISSUER}/t` }))).toBeUndefined();
    expect(bindingMismatch({ issuer: ISSUER }, profile())).toBeUndefined();
  });

  it('an explicit token or revocation endpoint must be at the origin of the one signed in with', () => {
    const bound: ProviderBinding = {
      issuer: ISSUER,
      token_endpoint: 'https://tokens.example.com/t',
      revocation_endpoint: 'https://revoke.example.com/r',
    };
    expect(
      bindingMismatch(bound, profile({ issuer: ISSUER, tokenEndpoint: 'https://tokens.example.com/v2' })),
    ).toBeUndefined();
    // The issuer's own origin is not where this sign-in's token endpoint was.
    expect(bindingMismatch(bound, profile({ issuer: ISSUER, tokenEndpoint: `${ISSUER}/t` }))).toBe(
      'token_endpoint',
    );
    expect(bindingMismatch(bound, profile({ issuer: ISSUER, revocationEndpoint: `${ISSUER}/r` }))).toBe(
      'revocation_endpoint',
    );
    expect(
      bindingMismatch(
        bound,
        profile({ issuer: ISSUER, revocationEndpoint: 'https://revoke.example.com/v2' }),
      ),
    ).toBeUndefined();
  });

  it('a value that is no URL is compared as it is', () => {
    expect(
      bindingMismatch({ token_endpoint: 'not a url' }, profile({ tokenEndpoint: 'not a url' })),
    ).toBeUndefined();
    expect(bindingMismatch({ token_endpoint: 'not a url' }, profile({ tokenEndpoint: 'other' }))).toBe(
      'issuer',
    );
  });
});

describe('the refusal says what the sign-in was made with and what the profile names now', () => {
  it('a sign-in with endpoints only is named by its token endpoint; a missing client as none', () => {
    const error = refusal(() =>
      checkBinding(
        credentials({ token_endpoint: 'https://auth.example.com/token' }),
        profile({ name: 'work', issuer: 'https://other.example' }),
      ),
    );
    expect(error.message).toBe(
      'The sign-in of profile "work" was made with token endpoint https://auth.example.com/token (client none), but the profile now names https://other.example (client none): its tokens are not sent there.',
    );
    expect(error.evidence).toEqual({ profile: 'work', mismatch: 'issuer' });
    expect(error.fix).toContain('`keyturn login --profile work`');
    expect(error.fix).toContain('`keyturn logout --profile work --no-revoke`');
    expect(error.fix).toContain('(a flag, KEYTURN_ISSUER, KEYTURN_CLIENT_ID or config.toml)');
  });

  it('the default profile needs no --profile in the fix; an application without a prefix names no variables', () => {
    const error = refusal(() =>
      checkBinding(
        credentials({ issuer: ISSUER, client_id: 'cli' }),
        profile({ issuer: 'https://other.example' }),
      ),
    );
    expect(error.fix).toContain('`keyturn login`.');
    expect(error.fix).toContain('`keyturn logout --no-revoke`');
    expect(
      error.forApp({ command: 'acme', name: 'acme', envPrefix: undefined, userAgent: 'acme/1' }).fix,
    ).toContain('(a flag or config.toml)');
  });

  it('a profile with neither issuer nor token endpoint is "no provider"', () => {
    const error = refusal(() =>
      checkBinding(credentials({ issuer: ISSUER, client_id: 'cli' }), profile({ clientId: 'other' })),
    );
    expect(error.message).toContain('but the profile now names no provider (client other)');
    expect(error.evidence).toMatchObject({ mismatch: 'client' });
  });

  it('an endpoint elsewhere is named as that endpoint', () => {
    const bound = credentials({ issuer: ISSUER, client_id: 'cli' });
    expect(
      refusal(() => checkBinding(bound, profile({ issuer: ISSUER, tokenEndpoint: 'https://x.example/t' })))
        .message,
    ).toContain('but the profile now names token_endpoint https://x.example/t:');
    expect(
      refusal(() =>
        checkBinding(bound, profile({ issuer: ISSUER, revocationEndpoint: 'https://x.example/r' })),
      ).message,
    ).toContain('but the profile now names revocation_endpoint https://x.example/r:');
  });

  it('a sign-in is named by the issuer it remembers, not the legacy issuer field', () => {
    const bound = credentials(
      { issuer: 'https://remembered.example', client_id: 'cli' },
      { issuer: 'https://legacy.example' },
    );
    expect(refusal(() => checkBinding(bound, profile({ issuer: ISSUER }))).message).toContain(
      'was made with https://remembered.example (client cli)',
    );
  });

  it('legacy credentials without a provider record are named by their stored issuer', () => {
    const old = credentials(undefined, { issuer: 'https://old.example', client_id: 'cli' });
    expect(refusal(() => checkBinding(old, profile({ issuer: ISSUER }))).message).toContain(
      'was made with https://old.example (client cli)',
    );
  });
});

describe('what a sign-in remembers', () => {
  it('every provider setting of the profile, as copies, and nothing it does not have', () => {
    const p = profile({
      issuer: ISSUER,
      authorizationEndpoint: `${ISSUER}/a`,
      tokenEndpoint: `${ISSUER}/t`,
      deviceAuthorizationEndpoint: `${ISSUER}/d`,
      revocationEndpoint: `${ISSUER}/r`,
      clientId: 'cli',
      clientSecret: 'never-remembered',
      resource: 'https://api.example/',
      authorizeParams: { audience: 'x' },
      tokenParams: { resource: 'y' },
    });
    const binding = bindingOf(p);
    expect(binding).toEqual({
      issuer: ISSUER,
      authorization_endpoint: `${ISSUER}/a`,
      token_endpoint: `${ISSUER}/t`,
      device_authorization_endpoint: `${ISSUER}/d`,
      revocation_endpoint: `${ISSUER}/r`,
      client_id: 'cli',
      scopes: ['openid'],
      redirect_uri: 'http://localhost:1455/auth/callback',
      resource: 'https://api.example/',
      authorize_params: { audience: 'x' },
      token_params: { resource: 'y' },
    });
    expect(binding.scopes).not.toBe(p.scopes);
    expect(binding.authorize_params).not.toBe(p.authorizeParams);
    expect(binding.token_params).not.toBe(p.tokenParams);
    expect(bindingOf(profile())).toEqual({
      scopes: ['openid'],
      redirect_uri: 'http://localhost:1455/auth/callback',
    });
    expect(Object.keys(bindingOf(profile()))).toEqual(['scopes', 'redirect_uri']);
  });

  it('legacy credentials give only what they have', () => {
    expect(storedBinding({ issuer: ISSUER, client_id: 'cli' } as Credentials)).toEqual({
      issuer: ISSUER,
      client_id: 'cli',
    });
    expect(Object.keys(storedBinding({} as Credentials))).toEqual([]);
    expect(Object.keys(storedBinding({ issuer: ISSUER } as Credentials))).toEqual(['issuer']);
  });
});
