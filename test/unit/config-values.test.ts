import { describe, expect, it } from 'vitest';
import {
  requireProvider,
  resolveProfile,
  validateRedirectUri,
  type ConfigFile,
} from '../../src/core/config.js';
import { thrownBy } from '../helpers/thrown.js';

const ISSUER = 'https://id.example.com';
const withTable = (table: Record<string, unknown>): ConfigFile => ({
  profiles: { default: { issuer: ISSUER, client_id: 'cli', ...table } },
});
const resolve = (table: Record<string, unknown>) => resolveProfile(withTable(table), {});
const message = (table: Record<string, unknown>) => thrownBy(() => resolve(table)).message;

describe('each config.toml value is checked, and a wrong one is named with its place', () => {
  it('a string key that is not a string', () => {
    expect(message({ client_id: 7 })).toBe('profiles.default.client_id must be a string.');
    expect(thrownBy(() => resolve({ client_id: 7 })).code).toBe('config_invalid');
  });

  it('scopes that are not a list of names, or name none', () => {
    expect(message({ scopes: 5 })).toBe('profiles.default.scopes must be a list of scope names.');
    expect(message({ scopes: ['openid', 5] })).toBe('profiles.default.scopes must be a list of scope names.');
    expect(message({ scopes: ' , ' })).toBe('profiles.default.scopes names no scope.');
    expect(message({ scopes: [] })).toBe('profiles.default.scopes names no scope.');
    expect(resolve({ scopes: ['openid email', 'api,read'] }).scopes).toEqual([
      'openid',
      'email',
      'api',
      'read',
    ]);
  });

  it('KEYTURN_SCOPES and --scope are checked the same way, under their own names', () => {
    expect(thrownBy(() => resolveProfile(withTable({}), { KEYTURN_SCOPES: ',' })).message).toBe(
      'KEYTURN_SCOPES names no scope.',
    );
    expect(resolveProfile(withTable({}), { KEYTURN_SCOPES: 'a b' }).scopes).toEqual(['a', 'b']);
    expect(thrownBy(() => resolveProfile(withTable({}), {}, { scopes: [' '] })).message).toBe(
      '--scope names no scope.',
    );
    expect(resolveProfile(withTable({ scopes: ['x'] }), {}, { scopes: [] }).scopes).toEqual(['x']);
  });

  it('redirect_port_fallback: true, false or a non-empty list of ports from 1 to 65535', () => {
    expect(resolve({ redirect_port_fallback: false }).redirectPortFallback).toBe(false);
    expect(resolve({ redirect_port_fallback: [1, 65535] }).redirectPortFallback).toEqual([1, 65535]);
    for (const bad of [[], [0], [65536], [1457.5], ['1457'], 'yes']) {
      expect(message({ redirect_port_fallback: bad })).toBe(
        'profiles.default.redirect_port_fallback must be true, false or a list of ports (for example [1457]).',
      );
    }
  });

  it('authorize_params and token_params: a table of strings, none of the protocol’s own', () => {
    for (const bad of [[], 'audience=x', null]) {
      expect(message({ authorize_params: bad })).toBe(
        'profiles.default.authorize_params must be a table of strings (for example { audience = "https://api" }).',
      );
    }
    expect(message({ token_params: { audience: 1 } })).toBe(
      'profiles.default.token_params.audience must be a string.',
    );
    expect(message({ token_params: { code_verifier: 'x' } })).toBe(
      'profiles.default.token_params.code_verifier cannot be set: keyturn sends code_verifier itself.',
    );
    expect(message({ authorize_params: { scope: 'x' } })).toBe(
      'profiles.default.authorize_params.scope cannot be set: keyturn sends scope itself (use `scopes`).',
    );
  });

  it.each([
    'client_id',
    'client_secret',
    'response_type',
    'redirect_uri',
    'state',
    'nonce',
    'code_challenge',
    'code_challenge_method',
    'code',
    'code_verifier',
    'grant_type',
    'refresh_token',
    'device_code',
    'scope',
  ])('%s is the protocol’s own: config cannot override it', (name) => {
    expect(message({ authorize_params: { [name]: 'x' } })).toMatch(/cannot be set: keyturn sends/);
  });

  it('store: file, keyring or auto, from config.toml or KEYTURN_STORE', () => {
    expect(message({ store: 'disk' })).toBe('profiles.default.store must be "file", "keyring" or "auto".');
    expect(thrownBy(() => resolveProfile(withTable({}), { KEYTURN_STORE: 'disk' })).message).toBe(
      'KEYTURN_STORE must be "file", "keyring" or "auto".',
    );
    expect(resolveProfile(withTable({ store: 'file' }), { KEYTURN_STORE: 'keyring' }).store).toBe('keyring');
    expect(resolveProfile(withTable({ store: 'file' }), { KEYTURN_STORE: '' }).store).toBe('file');
  });

  it('git_hosts: a list of strings, or one string', () => {
    expect(message({ git_hosts: [1] })).toBe('profiles.default.git_hosts must be a list of strings.');
    expect(message({ git_hosts: 1 })).toBe('profiles.default.git_hosts must be a list of strings.');
  });

  it('a profile that is not a table', () => {
    expect(thrownBy(() => resolveProfile({ profiles: { default: 'x' as never } }, {})).message).toBe(
      'profiles.default must be a table ([profiles.default]).',
    );
    expect(thrownBy(() => resolveProfile({ profiles: { default: [] as never } }, {})).message).toBe(
      'profiles.default must be a table ([profiles.default]).',
    );
  });

  it('a missing profile with no profiles at all says how to add one', () => {
    const error = thrownBy(() => resolveProfile({}, { KEYTURN_PROFILE: 'work' }));
    expect(error.fix).toBe('Add a [profiles.work] table to config.toml, or pass --issuer and --client-id.');
  });

  it('an empty KEYTURN_PROFILE is unset: default_profile applies', () => {
    expect(
      resolveProfile({ default_profile: 'default', ...withTable({}) }, { KEYTURN_PROFILE: '' }).name,
    ).toBe('default');
  });

  it('a profile name nothing defines is fine with an issuer from KEYTURN_ISSUER or --issuer', () => {
    expect(resolveProfile({}, { KEYTURN_PROFILE: 'new', KEYTURN_ISSUER: ISSUER }).issuer).toBe(ISSUER);
    expect(resolveProfile({}, {}, { profile: 'new', issuer: ISSUER }).issuer).toBe(ISSUER);
    expect(thrownBy(() => resolveProfile({}, { KEYTURN_PROFILE: 'new', KEYTURN_ISSUER: '' })).code).toBe(
      'config_invalid',
    );
  });
});

describe('resource and client metadata URLs', () => {
  it('a resource is kept as a normalised URL, and refused over plain http elsewhere than loopback', () => {
    expect(resolve({ resource: 'https://API.example' }).resource).toBe('https://api.example/');
    expect(resolveProfile(withTable({}), {}, { resource: 'http://127.0.0.1:8080/mcp' }).resource).toBe(
      'http://127.0.0.1:8080/mcp',
    );
    expect(message({ resource: 'http://api.example/' })).toBe(
      'resource must use https:// (plain http is allowed on loopback hosts only): "http://api.example/".',
    );
    expect(message({ resource: 'nope' })).toBe('resource "nope" is not a URL.');
  });

  it('a client metadata document URL is https with a path', () => {
    expect(resolve({ client_metadata_url: 'https://cli.example/client.json' }).clientMetadataUrl).toBe(
      'https://cli.example/client.json',
    );
    for (const bad of ['https://cli.example/', 'https://cli.example', 'http://127.0.0.1/client.json']) {
      expect(message({ client_metadata_url: bad })).toBe(
        `client_metadata_url must be an https:// URL with a path: "${bad}".`,
      );
    }
  });
});

describe('a client secret stays with the issuer, token endpoint and client it was given with', () => {
  it('a later source naming the same provider with a trailing slash keeps it', () => {
    const profile = resolveProfile(withTable({ client_secret: 's' }), { KEYTURN_ISSUER: `${ISSUER}/` });
    expect(profile.clientSecret).toBe('s');
    const slashes = resolveProfile(withTable({ client_secret: 's' }), { KEYTURN_ISSUER: `${ISSUER}//` });
    expect(slashes.clientSecret).toBe('s');
  });

  it('another token endpoint or client id drops it', () => {
    expect(
      resolveProfile(withTable({ client_secret: 's', token_endpoint: `${ISSUER}/t` }), {}, { issuer: ISSUER })
        .clientSecret,
    ).toBe('s');
    expect(
      resolveProfile(withTable({ client_secret: 's' }), { KEYTURN_CLIENT_ID: 'other' }).clientSecret,
    ).toBeUndefined();
  });
});

describe('the redirect URI and a provider to talk to', () => {
  it('names what is wrong with a redirect URI', () => {
    expect(thrownBy(() => validateRedirectUri('nope')).message).toBe('redirect_uri "nope" is not a URL.');
    expect(thrownBy(() => validateRedirectUri('http://example.com:1/cb')).message).toBe(
      'redirect_uri must be http:// on localhost, 127.0.0.1 or [::1], not "http://example.com:1/cb".',
    );
    expect(thrownBy(() => validateRedirectUri('http://localhost:1/cb#')).message).toBe(
      'redirect_uri must not carry a fragment or user info: "http://localhost:1/cb#".',
    );
    expect(thrownBy(() => validateRedirectUri('http://u@localhost:1/cb')).code).toBe('config_invalid');
    expect(thrownBy(() => validateRedirectUri('http://:p@localhost:1/cb')).code).toBe('config_invalid');
  });

  it('a profile with a token endpoint but no issuer is complete enough; the messages name the profile', () => {
    const endpoints = resolveProfile({}, {}, { clientId: 'cli' });
    expect(thrownBy(() => requireProvider(endpoints)).message).toBe('Profile "default" has no issuer.');
    expect(requireProvider({ ...endpoints, tokenEndpoint: `${ISSUER}/t` }).clientId).toBe('cli');
    expect(
      thrownBy(() => requireProvider({ ...endpoints, issuer: ISSUER, clientId: undefined } as never)).message,
    ).toBe('Profile "default" has no client_id.');
  });
});
