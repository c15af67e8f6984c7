import { describe, expect, it } from 'vitest';
import { resolveProfile } from '../../src/core/config.js';
import { KeyturnError } from '../../src/core/errors.js';
import { identifyProvider, isIssuerTemplate, scopesToRequest } from '../../src/core/providers.js';
import { authorizationParameters } from '../../src/core/authorization-request.js';
import { readAuthorizationAnswer } from '../../src/adapters/probes/authorization.js';

const profileWith = (keys: Record<string, unknown>) =>
  resolveProfile(
    { profiles: { p: { issuer: 'https://id.example', client_id: 'c', ...keys } } },
    {},
    { profile: 'p' },
  );

function configError(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(KeyturnError);
    expect((error as KeyturnError).code).toBe('config_invalid');
    return (error as KeyturnError).message;
  }
  throw new Error('no error');
}

describe('profile keys authorize_params, token_params and redirect_port_fallback', () => {
  it('reads authorize_params and token_params as tables of strings (Auth0 audience, Google access_type)', () => {
    const profile = profileWith({
      authorize_params: { audience: 'https://api.example', access_type: 'offline' },
      token_params: { audience: 'https://api.example' },
    });
    expect(profile.authorizeParams).toEqual({ audience: 'https://api.example', access_type: 'offline' });
    expect(profile.tokenParams).toEqual({ audience: 'https://api.example' });
  });

  it('refuses parameters keyturn sends itself: they carry the sign-in’s security', () => {
    expect(configError(() => profileWith({ authorize_params: { state: 'fixed' } }))).toMatch(
      /state cannot be set/,
    );
    expect(configError(() => profileWith({ authorize_params: { scope: 'x' } }))).toMatch(/use `scopes`/);
    expect(configError(() => profileWith({ token_params: { code_verifier: 'x' } }))).toMatch(/code_verifier/);
    expect(configError(() => profileWith({ token_params: { audience: 3 } }))).toMatch(/must be a string/);
    expect(configError(() => profileWith({ authorize_params: 'audience=x' }))).toMatch(/table of strings/);
  });

  it('takes redirect_port_fallback as true/false or a list of ports (1457 after 1455, as the seeds’ CLI)', () => {
    expect(profileWith({}).redirectPortFallback).toBe(false);
    expect(profileWith({ redirect_port_fallback: true }).redirectPortFallback).toBe(true);
    expect(profileWith({ redirect_port_fallback: [1457] }).redirectPortFallback).toEqual([1457]);
    expect(configError(() => profileWith({ redirect_port_fallback: [] }))).toMatch(/list of ports/);
    expect(configError(() => profileWith({ redirect_port_fallback: [70000] }))).toMatch(/list of ports/);
    expect(configError(() => profileWith({ redirect_port_fallback: 'yes' }))).toMatch(/list of ports/);
  });
});

describe('offline_access only where the provider lists it', () => {
  const wanted = ['openid', 'profile', 'email', 'offline_access'];
  it('is left out where scopes_supported does not list it (Google)', () => {
    expect(scopesToRequest(wanted, ['openid', 'email', 'profile'])).toEqual({
      scopes: ['openid', 'profile', 'email'],
      dropped: ['offline_access'],
    });
  });
  it('is kept where it is listed, or where there is no list', () => {
    expect(scopesToRequest(wanted, ['openid', 'offline_access']).dropped).toEqual([]);
    expect(scopesToRequest(wanted, undefined).scopes).toEqual(wanted);
    expect(scopesToRequest(wanted, []).scopes).toEqual(wanted);
  });
  it('never drops another scope, listed or not', () => {
    expect(scopesToRequest(['openid', 'read:user'], ['openid']).scopes).toEqual(['openid', 'read:user']);
  });
});

describe('the authorization request', () => {
  const checks = { redirectUri: 'http://127.0.0.1:1455/cb', codeChallenge: 'ch', state: 'st', nonce: 'no' };
  it('adds authorize_params, asks consent only with offline_access, and keeps its own parameters', () => {
    const google = authorizationParameters(
      {
        scopes: ['openid', 'email', 'offline_access'],
        authorizeParams: { access_type: 'offline', login_hint: 'a@b' },
      },
      ['openid', 'email', 'profile'],
      checks,
    );
    expect(google.parameters).toEqual({
      access_type: 'offline',
      login_hint: 'a@b',
      redirect_uri: checks.redirectUri,
      scope: 'openid email',
      code_challenge: 'ch',
      code_challenge_method: 'S256',
      state: 'st',
      nonce: 'no',
    });
    expect(google.droppedScopes).toEqual(['offline_access']);
    const standard = authorizationParameters({ scopes: ['openid', 'offline_access'] }, undefined, checks);
    expect(standard.parameters.prompt).toBe('consent');
    const chosen = authorizationParameters(
      { scopes: ['openid', 'offline_access'], authorizeParams: { prompt: 'login' } },
      undefined,
      checks,
    );
    expect(chosen.parameters.prompt).toBe('login');
  });
});

describe('reading the authorization endpoint’s answer to a pre-flight', () => {
  const redirectUri = 'http://127.0.0.1:18660/callback';
  it('GitHub: a redirect to the registered callback (not ours) with error=redirect_uri_mismatch', () => {
    const verdict = readAuthorizationAnswer(
      {
        url: 'https://github.test/login/oauth/authorize?client_id=x',
        status: 302,
        location:
          'https://app.example/registered?error=redirect_uri_mismatch&error_description=The+redirect_uri+MUST+match+the+registered+callback+URL+for+this+application.&state=s',
        body: '',
      },
      redirectUri,
    );
    expect('refused' in verdict && verdict.refused.code).toBe('redirect_uri_mismatch');
  });
  it('a redirect to a login page is an accepted request', () => {
    const verdict = readAuthorizationAnswer(
      { url: 'https://id.test/authorize', status: 302, location: '/u/login?state=abc', body: '' },
      redirectUri,
    );
    expect('accepted' in verdict).toBe(true);
  });
  it('Google: an error page "Error 400: invalid_scope"', () => {
    const verdict = readAuthorizationAnswer(
      {
        url: 'https://accounts.test/o/oauth2/v2/auth',
        status: 400,
        contentType: 'text/html; charset=utf-8',
        body: '<html><body><h1>Access blocked</h1><p>Some requested scopes were invalid.</p><b>Error 400: invalid_scope</b></body></html>',
      },
      redirectUri,
    );
    expect('refused' in verdict && verdict.refused.code).toBe('invalid_scope');
  });
});

describe('provider knowledge', () => {
  it.each([
    ['https://github.com/login/oauth/access_token', 'github'],
    ['https://github.com', 'github'],
    ['https://accounts.google.com', 'google'],
    ['https://oauth2.googleapis.com/token', 'google'],
    ['https://login.microsoftonline.com/common/v2.0', 'entra'],
    ['https://dev-123.okta.com/oauth2/default', 'okta'],
    ['https://tenant.eu.auth0.com/', 'auth0'],
    ['https://sso.example.com/realms/acme', 'keycloak'],
    ['https://sso.example.com/auth/realms/acme', 'keycloak'],
    ['https://auth.openai.com', 'openai'],
  ])('%s is %s', (url, id) => {
    expect(identifyProvider([undefined, url])?.id).toBe(id);
  });

  it('knows nothing of other providers, and needs nothing to work with them', () => {
    expect(
      identifyProvider(['https://id.example.com', 'https://github.example.com/oauth/token']),
    ).toBeUndefined();
    expect(identifyProvider(['not a url', undefined])).toBeUndefined();
  });

  it('OpenAI: its CLI registers 1455 then 1457, and names its dead refresh tokens', () => {
    const openai = identifyProvider(['https://auth.openai.com'])!;
    expect(openai.ports).toEqual([1455, 1457]);
    expect(openai.notes.join(' ')).toMatch(/refresh_token_reused/);
  });

  it('Entra’s multi-tenant issuer is a template, a tenant’s own is not', () => {
    expect(isIssuerTemplate('https://login.microsoftonline.com/{tenantid}/v2.0')).toBe(true);
    expect(
      isIssuerTemplate('https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0'),
    ).toBe(false);
  });
});
