import { describe, expect, it } from 'vitest';
import { bindingOf, checkBinding, storedBinding } from '../../src/core/binding.js';
import { resolveProfile, type ConfigFile } from '../../src/core/config.js';
import type { Credentials, ProviderBinding } from '../../src/core/credentials.js';
import { KeyturnError } from '../../src/core/errors.js';
import { profileWith } from '../helpers/profile.js';

/** @see SPEC.md "A sign-in remembers its provider" */

const ISSUER = 'https://id.example.com';

function signedIn(
  provider: ProviderBinding,
  legacy: { issuer?: string; client_id?: string } = {},
): Credentials {
  return {
    kind: 'oauth',
    issuer: legacy.issuer ?? provider.issuer ?? 'https://unknown.example',
    client_id: legacy.client_id ?? provider.client_id ?? 'unknown',
    access_token: 'at',
    token_type: 'Bearer',
    obtained_at: 0,
    provider,
  };
}

function refusal(run: () => void): KeyturnError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(KeyturnError);
    return error as KeyturnError;
  }
  throw new Error('expected the binding to be refused');
}

describe('checkBinding: stored tokens go only where they were issued', () => {
  const credentials = signedIn({ issuer: ISSUER, client_id: 'cli' });

  it('lets the profile the sign-in was made with use its tokens (a trailing slash is the same issuer)', () => {
    expect(() => checkBinding(credentials, profileWith({ issuer: ISSUER, clientId: 'cli' }))).not.toThrow();
    expect(() =>
      checkBinding(credentials, profileWith({ issuer: `${ISSUER}/`, clientId: 'cli' })),
    ).not.toThrow();
  });

  it('refuses another issuer with config_invalid, naming both', () => {
    const error = refusal(() =>
      checkBinding(credentials, profileWith({ issuer: 'https://evil.example', clientId: 'cli' })),
    );
    expect(error.code).toBe('config_invalid');
    expect(error.message).toContain(ISSUER);
    expect(error.message).toContain('https://evil.example');
    expect(error.fix).toContain('--no-revoke');
  });

  it('refuses another client at the same issuer', () => {
    const error = refusal(() =>
      checkBinding(credentials, profileWith({ issuer: ISSUER, clientId: 'other' })),
    );
    expect(error.code).toBe('config_invalid');
    expect(error.message).toContain('client cli');
    expect(error.message).toContain('client other');
  });

  it('binds a sign-in made with explicit endpoints only to its token endpoint origin and client', () => {
    const explicit = signedIn({ token_endpoint: 'https://auth.example.com/oauth/token', client_id: 'cli' });
    const moved = profileWith({ tokenEndpoint: 'https://auth.example.com/v2/token', clientId: 'cli' });
    expect(() => checkBinding(explicit, moved)).not.toThrow();
    const edited = profileWith({ tokenEndpoint: 'https://collector.example/token', clientId: 'cli' });
    const error = refusal(() => checkBinding(explicit, edited));
    expect(error.code).toBe('config_invalid');
    expect(error.message).toContain('https://auth.example.com/oauth/token');
    expect(error.message).toContain('https://collector.example/token');
  });

  it('refuses an explicit token or revocation endpoint at another origin beside the same issuer', () => {
    for (const fields of [
      { tokenEndpoint: 'https://collector.example/token' },
      { revocationEndpoint: 'https://collector.example/revoke' },
    ]) {
      const error = refusal(() =>
        checkBinding(credentials, profileWith({ issuer: ISSUER, clientId: 'cli', ...fields })),
      );
      expect(error.code).toBe('config_invalid');
      expect(error.message).toContain('https://collector.example/');
    }
    const sameHost = profileWith({ issuer: ISSUER, clientId: 'cli', revocationEndpoint: `${ISSUER}/revoke` });
    expect(() => checkBinding(credentials, sameHost)).not.toThrow();
  });

  it('binds credentials of keyturn 0.1 (no provider record) to their issuer and client', () => {
    const old: Credentials = { ...signedIn({}), provider: undefined, issuer: ISSUER, client_id: 'cli' };
    delete (old as { provider?: unknown }).provider;
    expect(storedBinding(old)).toEqual({ issuer: ISSUER, client_id: 'cli' });
    expect(refusal(() => checkBinding(old, profileWith({ issuer: 'https://evil.example' }))).code).toBe(
      'config_invalid',
    );
  });
});

describe('the remembered provider completes the profile (core/config.ts)', () => {
  const remembered = bindingOf(
    resolveProfile({}, {}, { issuer: ISSUER, clientId: 'cli', scopes: ['openid', 'api'] }, { signIn: true }),
  );

  it('records the provider configuration of a sign-in, and no secret', () => {
    const profile = resolveProfile(
      { profiles: { default: { issuer: ISSUER, client_id: 'cli', client_secret: 's3cret' } } },
      {},
    );
    const binding = bindingOf(profile);
    expect(binding).toMatchObject({ issuer: ISSUER, client_id: 'cli' });
    expect(JSON.stringify(binding)).not.toContain('s3cret');
  });

  it('gives a profile with no config and no flags the issuer, client and scopes it signed in with', () => {
    expect(resolveProfile({}, {}, {}, { remembered })).toMatchObject({
      issuer: ISSUER,
      clientId: 'cli',
      scopes: ['openid', 'api'],
    });
  });

  it('lets config.toml, the environment and flags win over what was remembered', () => {
    const file: ConfigFile = { profiles: { default: { client_id: 'from-file' } } };
    expect(resolveProfile(file, {}, {}, { remembered }).clientId).toBe('from-file');
    expect(resolveProfile({}, { KEYTURN_ISSUER: 'https://env.example' }, {}, { remembered }).issuer).toBe(
      'https://env.example',
    );
  });

  it('accepts a profile name nothing defines when it has a sign-in, or is being signed in', () => {
    expect(() => resolveProfile({}, {}, { profile: 'ci' })).toThrow(/No profile "ci"/);
    expect(resolveProfile({}, {}, { profile: 'ci' }, { remembered: {} }).name).toBe('ci');
    expect(resolveProfile({}, {}, { profile: 'ci' }, { signIn: true }).name).toBe('ci');
  });
});

describe('a client secret stays with the provider it was given for', () => {
  const file: ConfigFile = {
    profiles: { default: { issuer: ISSUER, client_id: 'cli', client_secret: 'file-secret' } },
  };

  it('keeps the config file secret for the config file provider', () => {
    expect(resolveProfile(file, {}).clientSecret).toBe('file-secret');
    expect(resolveProfile(file, {}, { issuer: `${ISSUER}/` }).clientSecret).toBe('file-secret');
  });

  it('drops it when a flag or the environment names another issuer or client', () => {
    expect(resolveProfile(file, {}, { issuer: 'https://other.example' }).clientSecret).toBeUndefined();
    expect(resolveProfile(file, { KEYTURN_ISSUER: 'https://other.example' }).clientSecret).toBeUndefined();
    expect(resolveProfile(file, {}, { clientId: 'another' }).clientSecret).toBeUndefined();
  });

  it('drops a KEYTURN_CLIENT_SECRET when a flag names another issuer, keeps it otherwise', () => {
    const env = { KEYTURN_ISSUER: ISSUER, KEYTURN_CLIENT_ID: 'cli', KEYTURN_CLIENT_SECRET: 'env-secret' };
    expect(resolveProfile({}, env).clientSecret).toBe('env-secret');
    expect(resolveProfile({}, env, { issuer: 'https://other.example' }).clientSecret).toBeUndefined();
  });
});
