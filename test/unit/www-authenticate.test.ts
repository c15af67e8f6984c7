import { describe, expect, it } from 'vitest';
import {
  bearerChallenge,
  chooseScopes,
  chooseTokenEndpointAuthMethod,
  parseWwwAuthenticate,
  resourceMetadataCandidates,
  splitScopes,
} from '../../src/core/mcp.js';

describe('WWW-Authenticate, read as RFC 9110 §11.6.1 writes it', () => {
  it('spaces around "=" and between parameters are allowed', () => {
    expect(parseWwwAuthenticate('Bearer  realm = "mcp" ,  scope =read')).toEqual([
      { scheme: 'bearer', parameters: { realm: 'mcp', scope: 'read' } },
    ]);
  });

  it('a quoted value keeps its commas, and a backslash escapes the next character only', () => {
    expect(parseWwwAuthenticate('Bearer realm="a, b", error_description="say \\\\ \\"x\\""')).toEqual([
      { scheme: 'bearer', parameters: { realm: 'a, b', error_description: 'say \\ "x"' } },
    ]);
  });

  it('an unterminated quoted value runs to the end', () => {
    expect(parseWwwAuthenticate('Bearer realm="open')).toEqual([
      { scheme: 'bearer', parameters: { realm: 'open' } },
    ]);
  });

  it('a challenge name after parameters starts a new challenge', () => {
    expect(
      parseWwwAuthenticate('Basic realm="x" , Bearer scope="a"').map((c) => [c.scheme, c.parameters]),
    ).toEqual([
      ['basic', { realm: 'x' }],
      ['bearer', { scope: 'a' }],
    ]);
  });

  it('a name followed by nothing but = is no parameter: it starts a challenge of its own', () => {
    for (const header of ['Bearer error="x", a=', 'Bearer error="x", a==', 'Bearer error="x", a= ,']) {
      expect(parseWwwAuthenticate(header)).toEqual([
        { scheme: 'bearer', parameters: { error: 'x' } },
        { scheme: 'a', parameters: {} },
      ]);
    }
  });

  it('a value may end in =, and later = signs do not change what the name is', () => {
    expect(parseWwwAuthenticate('Bearer scope=a=, error="x"')).toEqual([
      { scheme: 'bearer', parameters: { scope: 'a=', error: 'x' } },
    ]);
  });

  it('a parameter before any challenge belongs to none', () => {
    expect(parseWwwAuthenticate('realm="x"')).toEqual([{ scheme: 'realm', parameters: {} }]);
  });

  it('a token68 after several spaces, and one followed by a challenge whose header ends in =', () => {
    expect(parseWwwAuthenticate('Basic   dXNlcg==')).toEqual([
      { scheme: 'basic', parameters: { token68: 'dXNlcg==' } },
    ]);
    expect(parseWwwAuthenticate('Negotiate abc, Bearer realm=')[0]).toEqual({
      scheme: 'negotiate',
      parameters: { token68: 'abc' },
    });
  });

  it('a token68 with padding at the end of the header, or before a comma, is kept as token68', () => {
    expect(parseWwwAuthenticate('Negotiate YII=')).toEqual([
      { scheme: 'negotiate', parameters: { token68: 'YII=' } },
    ]);
    expect(parseWwwAuthenticate('Negotiate a.b~c+d/e- , Bearer')[0]).toEqual({
      scheme: 'negotiate',
      parameters: { token68: 'a.b~c+d/e-' },
    });
  });

  it('a name followed by "=" and a value is a parameter, not a token68', () => {
    expect(parseWwwAuthenticate('Bearer error=invalid_token')).toEqual([
      { scheme: 'bearer', parameters: { error: 'invalid_token' } },
    ]);
  });

  it('empty and separator-only headers have no challenges; junk ends the reading', () => {
    expect(parseWwwAuthenticate('')).toEqual([]);
    expect(parseWwwAuthenticate(' , ,')).toEqual([]);
    expect(parseWwwAuthenticate(undefined)).toEqual([]);
    expect(parseWwwAuthenticate('Bearer scope="a", @@@ Basic')).toEqual([
      { scheme: 'bearer', parameters: { scope: 'a' } },
    ]);
  });
});

describe('the Bearer challenge’s parameters', () => {
  it('an empty resource_metadata is none; an empty scope is no scopes', () => {
    expect(bearerChallenge('Bearer resource_metadata="", scope=""')).toEqual({ scopes: [] });
  });

  it('scopes split on any whitespace', () => {
    expect(splitScopes(' a\tb\n c ')).toEqual(['a', 'b', 'c']);
    expect(splitScopes(null)).toEqual([]);
    expect(splitScopes(undefined)).toEqual([]);
  });
});

describe('scopes and client authentication of an MCP sign-in', () => {
  it('the configured scopes are the last resort, de-duplicated', () => {
    expect(chooseScopes({ configured: ['a', 'a', 'b'] })).toEqual(['a', 'b']);
    expect(chooseScopes({ challenged: [], resourceScopes: [], configured: ['c'] })).toEqual(['c']);
    expect(chooseScopes({})).toEqual([]);
  });

  it('offline_access is added once, and never to an empty request', () => {
    expect(chooseScopes({ challenged: ['a'], serverScopes: ['offline_access'] })).toEqual([
      'a',
      'offline_access',
    ]);
    expect(chooseScopes({ challenged: ['offline_access', 'a'], serverScopes: ['offline_access'] })).toEqual([
      'offline_access',
      'a',
    ]);
    expect(chooseScopes({ serverScopes: ['offline_access'] })).toEqual([]);
    expect(chooseScopes({ challenged: ['a'], serverScopes: ['a'] })).toEqual(['a']);
  });

  it('an unknown registered method is ignored; a secret never goes with "none", nor a secret method without one', () => {
    expect(chooseTokenEndpointAuthMethod({ registered: 'private_key_jwt', hasSecret: false })).toBe('none');
    expect(
      chooseTokenEndpointAuthMethod({ supported: ['none', 'client_secret_post'], hasSecret: true }),
    ).toBe('client_secret_post');
    expect(
      chooseTokenEndpointAuthMethod({ supported: ['client_secret_basic', 'none'], hasSecret: false }),
    ).toBe('none');
    expect(chooseTokenEndpointAuthMethod({ supported: ['private_key_jwt'], hasSecret: true })).toBe(
      'client_secret_basic',
    );
    expect(chooseTokenEndpointAuthMethod({ registered: 'client_secret_post', hasSecret: false })).toBe(
      'client_secret_post',
    );
  });
});

describe('resource metadata locations', () => {
  it('a trailing slash of the resource’s path is not part of the inserted path; the fragment goes', () => {
    const got = resourceMetadataCandidates(new URL('https://m.example/mcp/#frag'));
    expect(got.map((c) => [c.url.href, c.expectedResource.href])).toEqual([
      ['https://m.example/.well-known/oauth-protected-resource/mcp', 'https://m.example/mcp/'],
      ['https://m.example/.well-known/oauth-protected-resource', 'https://m.example/'],
    ]);
  });

  it('a root resource has only the root location', () => {
    expect(resourceMetadataCandidates(new URL('https://m.example')).map((c) => c.url.href)).toEqual([
      'https://m.example/.well-known/oauth-protected-resource',
    ]);
  });

  it('a relative resource_metadata is resolved against the server', () => {
    expect(resourceMetadataCandidates(new URL('https://m.example/a/mcp'), '/meta.json')[0]?.url.href).toBe(
      'https://m.example/meta.json',
    );
  });
});
