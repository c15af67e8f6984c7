import { describe, expect, it } from 'vitest';
import {
  authorizationServerMetadataCandidates,
  bearerChallenge,
  chooseScopes,
  chooseTokenEndpointAuthMethod,
  legacyAuthorizationServer,
  parseWwwAuthenticate,
  resourceMetadataCandidates,
  resourceStoreKey,
  stepUpScopes,
} from '../../src/core/mcp.js';

describe('reading a WWW-Authenticate header (RFC 9110 §11.6.1)', () => {
  it('reads the Bearer challenge an MCP server sends with its 401', () => {
    expect(
      bearerChallenge(
        'Bearer resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/mcp", scope="files:read files:write"',
      ),
    ).toEqual({
      resourceMetadata: 'https://mcp.example.com/.well-known/oauth-protected-resource/mcp',
      scopes: ['files:read', 'files:write'],
    });
  });

  it('finds the Bearer challenge among others, with unquoted values, escapes and odd case', () => {
    const header =
      'Basic realm="x, y", DPoP algs="ES256", BEARER error=insufficient_scope, scope="a \\"b\\"", Resource_Metadata=https://r.example/m';
    expect(parseWwwAuthenticate(header).map((c) => c.scheme)).toEqual(['basic', 'dpop', 'bearer']);
    expect(bearerChallenge(header)).toEqual({
      error: 'insufficient_scope',
      scopes: ['a', '"b"'],
      resourceMetadata: 'https://r.example/m',
    });
  });

  it('keeps a token68 apart from auth-params, and has no challenge for no header', () => {
    expect(parseWwwAuthenticate('Negotiate abc123==, Bearer')).toEqual([
      { scheme: 'negotiate', parameters: { token68: 'abc123==' } },
      { scheme: 'bearer', parameters: {} },
    ]);
    expect(bearerChallenge(null)).toBeUndefined();
    expect(bearerChallenge('Basic realm="x"')).toBeUndefined();
  });
});

describe('where the metadata is looked for, in the MCP spec order', () => {
  it('takes the challenge URL alone, expecting the requested URL as resource (RFC 9728 §5.1)', () => {
    const got = resourceMetadataCandidates(new URL('https://m.example/mcp'), 'https://m.example/custom.json');
    expect(got.map((c) => [c.url.href, c.expectedResource.href])).toEqual([
      ['https://m.example/custom.json', 'https://m.example/mcp'],
    ]);
  });

  it('tries path insertion, then the root whose resource is the origin (RFC 9728 §3.1)', () => {
    const got = resourceMetadataCandidates(new URL('https://m.example/public/mcp'));
    expect(got.map((c) => [c.url.href, c.expectedResource.href])).toEqual([
      ['https://m.example/.well-known/oauth-protected-resource/public/mcp', 'https://m.example/public/mcp'],
      ['https://m.example/.well-known/oauth-protected-resource', 'https://m.example/'],
    ]);
  });

  it('orders authorization server metadata: RFC 8414 insertion, OIDC insertion, OIDC appending', () => {
    expect(
      authorizationServerMetadataCandidates(new URL('https://as.example/tenant1')).map((c) => c.url.href),
    ).toEqual([
      'https://as.example/.well-known/oauth-authorization-server/tenant1',
      'https://as.example/.well-known/openid-configuration/tenant1',
      'https://as.example/tenant1/.well-known/openid-configuration',
    ]);
    expect(
      authorizationServerMetadataCandidates(new URL('https://as.example')).map((c) => c.url.href),
    ).toEqual([
      'https://as.example/.well-known/oauth-authorization-server',
      'https://as.example/.well-known/openid-configuration',
    ]);
  });

  it('falls back to the 2025-03-26 default endpoints at the server origin', () => {
    expect(legacyAuthorizationServer(new URL('http://127.0.0.1:9/v1/mcp'))).toEqual({
      issuer: 'http://127.0.0.1:9',
      authorization_endpoint: 'http://127.0.0.1:9/authorize',
      token_endpoint: 'http://127.0.0.1:9/token',
      registration_endpoint: 'http://127.0.0.1:9/register',
    });
  });
});

describe('scopes', () => {
  it('asks for the challenged scopes first, else the resource scopes, else none', () => {
    expect(chooseScopes({ challenged: ['a'], resourceScopes: ['b', 'c'] })).toEqual(['a']);
    expect(chooseScopes({ challenged: [], resourceScopes: ['b', 'c'] })).toEqual(['b', 'c']);
    expect(chooseScopes({})).toEqual([]);
  });

  it('adds offline_access only where the authorization server lists it (SEP-2207)', () => {
    expect(chooseScopes({ resourceScopes: ['b'], serverScopes: ['b', 'offline_access'] })).toEqual([
      'b',
      'offline_access',
    ]);
    expect(chooseScopes({ resourceScopes: ['b'], serverScopes: ['b'] })).toEqual(['b']);
  });

  it('steps up to the union of the held and challenged scopes', () => {
    expect(stepUpScopes(['mcp:basic', 'offline_access'], ['mcp:basic', 'mcp:write'])).toEqual([
      'mcp:basic',
      'offline_access',
      'mcp:write',
    ]);
  });
});

describe('token endpoint authentication', () => {
  it('uses what the registration says, else what the server supports and fits, else the RFC default', () => {
    expect(chooseTokenEndpointAuthMethod({ registered: 'client_secret_post', hasSecret: true })).toBe(
      'client_secret_post',
    );
    expect(
      chooseTokenEndpointAuthMethod({
        supported: ['private_key_jwt', 'client_secret_post'],
        hasSecret: true,
      }),
    ).toBe('client_secret_post');
    expect(
      chooseTokenEndpointAuthMethod({ supported: ['client_secret_basic', 'none'], hasSecret: false }),
    ).toBe('none');
    // The registered method wins, even where the secret says otherwise.
    expect(chooseTokenEndpointAuthMethod({ registered: 'none', hasSecret: true })).toBe('none');
    expect(chooseTokenEndpointAuthMethod({ registered: 'client_secret_basic', hasSecret: false })).toBe(
      'client_secret_basic',
    );
    expect(chooseTokenEndpointAuthMethod({ hasSecret: true })).toBe('client_secret_basic');
    expect(chooseTokenEndpointAuthMethod({ hasSecret: false })).toBe('none');
  });
});

it('keeps one sign-in per profile and resource', () => {
  expect(resourceStoreKey('default', 'https://m.example/mcp')).toBe('default@https://m.example/mcp');
  expect(resourceStoreKey('work', 'https://m.example')).toBe('work@https://m.example/');
});
