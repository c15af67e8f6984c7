import { describe, expect, it } from 'vitest';
import {
  authorizationServerMetadataCandidates,
  bearerChallenge,
  chooseTokenEndpointAuthMethod,
  parseWwwAuthenticate,
} from '../../src/core/mcp.js';
import { assertSecureUrl, resolveProfile, type ConfigFile } from '../../src/core/config.js';
import { thrownBy } from '../helpers/thrown.js';

describe('MCP discovery and client authentication, exactly', () => {
  it('an issuer without a path: RFC 8414 then OpenID Connect at the root', () => {
    expect(
      authorizationServerMetadataCandidates(new URL('https://as.example/')).map((c) => [c.url.href, c.kind]),
    ).toEqual([
      ['https://as.example/.well-known/oauth-authorization-server', 'oauth2'],
      ['https://as.example/.well-known/openid-configuration', 'oidc'],
    ]);
  });

  it('an issuer with a path (a trailing slash dropped): insertion, insertion, appending', () => {
    expect(
      authorizationServerMetadataCandidates(new URL('https://as.example/tenant/1/')).map((c) => [
        c.url.href,
        c.kind,
      ]),
    ).toEqual([
      ['https://as.example/.well-known/oauth-authorization-server/tenant/1', 'oauth2'],
      ['https://as.example/.well-known/openid-configuration/tenant/1', 'oidc'],
      ['https://as.example/tenant/1/.well-known/openid-configuration', 'oidc'],
    ]);
  });

  it.each(['none', 'client_secret_basic', 'client_secret_post'] as const)(
    'a registered %s is used as registered',
    (method) => {
      expect(
        chooseTokenEndpointAuthMethod({
          registered: method,
          supported: ['private_key_jwt'],
          hasSecret: true,
        }),
      ).toBe(method);
    },
  );

  it('unknown supported methods are skipped for the first known one that fits', () => {
    expect(
      chooseTokenEndpointAuthMethod({
        supported: ['private_key_jwt', 'tls_client_auth', 'none'],
        hasSecret: false,
      }),
    ).toBe('none');
    expect(chooseTokenEndpointAuthMethod({ supported: ['private_key_jwt'], hasSecret: false })).toBe('none');
  });

  it('a Bearer challenge names only what it carries', () => {
    expect(bearerChallenge('Bearer')).toEqual({});
    expect(Object.keys(bearerChallenge('Bearer realm="x"') ?? { x: 1 })).toEqual([]);
    expect(bearerChallenge('Bearer error="invalid_token"')).toEqual({ error: 'invalid_token' });
  });

  it('spaces before "=" and before a value, and a token68 followed by spaces and a comma', () => {
    expect(parseWwwAuthenticate('Bearer realm   =   x')).toEqual([
      { scheme: 'bearer', parameters: { realm: 'x' } },
    ]);
    expect(parseWwwAuthenticate('Negotiate abc==   , Bearer')).toEqual([
      { scheme: 'negotiate', parameters: { token68: 'abc==' } },
      { scheme: 'bearer', parameters: {} },
    ]);
    expect(parseWwwAuthenticate('Basic realm="a\\\\"')).toEqual([
      { scheme: 'basic', parameters: { realm: 'a\\' } },
    ]);
    expect(parseWwwAuthenticate('Basic realm="a\\')).toEqual([
      { scheme: 'basic', parameters: { realm: 'a\\' } },
    ]);
  });

  it('a name followed by "=" and nothing is a token68 of "=" padding only when it ends the challenge', () => {
    expect(parseWwwAuthenticate('Bearer abc=, Basic')).toEqual([
      { scheme: 'bearer', parameters: { token68: 'abc=' } },
      { scheme: 'basic', parameters: {} },
    ]);
    expect(parseWwwAuthenticate('Bearer a=b, c=d')).toEqual([
      { scheme: 'bearer', parameters: { a: 'b', c: 'd' } },
    ]);
  });
});

describe('config at its edges', () => {
  const withTable = (table: Record<string, unknown>): ConfigFile => ({
    profiles: { default: { issuer: 'https://id.example.com', client_id: 'cli', ...table } },
  });

  it('names what is not a URL by its setting', () => {
    expect(thrownBy(() => resolveProfile(withTable({ client_metadata_url: 'nope' }), {})).message).toBe(
      'client_metadata_url "nope" is not a URL.',
    );
    expect(thrownBy(() => resolveProfile(withTable({ issuer: 'nope' }), {})).message).toBe(
      'issuer "nope" is not a URL.',
    );
    expect(thrownBy(() => assertSecureUrl('x', 'token_endpoint')).message).toBe(
      'token_endpoint "x" is not a URL.',
    );
  });

  it('every entry of a list must be of its kind, not just one', () => {
    expect(thrownBy(() => resolveProfile(withTable({ git_hosts: ['a.example', 1] }), {})).code).toBe(
      'config_invalid',
    );
    expect(thrownBy(() => resolveProfile(withTable({ redirect_port_fallback: [1457, 0] }), {})).code).toBe(
      'config_invalid',
    );
  });

  it('what a stored sign-in remembers fills every provider setting nothing else names', () => {
    const profile = resolveProfile(
      {},
      {},
      {},
      {
        remembered: {
          issuer: 'https://id.example.com',
          authorization_endpoint: 'https://id.example.com/a',
          token_endpoint: 'https://id.example.com/t',
          device_authorization_endpoint: 'https://id.example.com/d',
          revocation_endpoint: 'https://id.example.com/r',
          client_id: 'cli',
          redirect_uri: 'http://127.0.0.1:9999/cb',
          resource: 'https://api.example/',
          authorize_params: { audience: 'a', bad: 1 } as never,
          token_params: { resource: 'r' },
          scopes: ['openid', 'api'],
        },
      },
    );
    expect(profile).toMatchObject({
      issuer: 'https://id.example.com',
      authorizationEndpoint: 'https://id.example.com/a',
      tokenEndpoint: 'https://id.example.com/t',
      deviceAuthorizationEndpoint: 'https://id.example.com/d',
      revocationEndpoint: 'https://id.example.com/r',
      clientId: 'cli',
      redirectUri: 'http://127.0.0.1:9999/cb',
      resource: 'https://api.example/',
      authorizeParams: { audience: 'a' },
      tokenParams: { resource: 'r' },
      scopes: ['openid', 'api'],
    });
  });

  it('remembered values that are empty or of the wrong kind are ignored', () => {
    const profile = resolveProfile(
      {},
      {},
      {},
      {
        signIn: true,
        remembered: {
          issuer: '',
          client_id: 5 as never,
          authorize_params: ['x'] as never,
          token_params: null as never,
          scopes: [] as string[],
        },
      },
    );
    expect(profile.issuer).toBeUndefined();
    expect(profile.clientId).toBeUndefined();
    expect(profile.authorizeParams).toBeUndefined();
    expect(profile.tokenParams).toBeUndefined();
    expect(profile.scopes).toEqual(['openid', 'profile', 'email', 'offline_access']);
    const mixed = resolveProfile(
      {},
      {},
      {},
      { signIn: true, remembered: { scopes: ['openid', 7] as never } },
    );
    expect(mixed.scopes).toEqual(['openid', 'profile', 'email', 'offline_access']);
  });

  it('of remembered parameters, only the ones with a text value are sent again', () => {
    const profile = resolveProfile(
      {},
      {},
      {},
      {
        signIn: true,
        remembered: {
          issuer: 'https://id.example.invalid',
          authorize_params: { audience: 'https://api.example.invalid', prompt: 5, max_age: null } as never,
          token_params: { resource: ['x'], audience: 'api' } as never,
        },
      },
    );
    expect(profile.authorizeParams).toEqual({ audience: 'https://api.example.invalid' });
    expect(profile.tokenParams).toEqual({ audience: 'api' });
  });
});
