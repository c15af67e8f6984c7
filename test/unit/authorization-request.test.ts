import { describe, expect, it } from 'vitest';
import { authorizationParameters } from '../../src/core/authorization-request.js';
import { execCredential, execCredentialVersion, rfc3339 } from '../../src/core/exec-credential.js';

const CHECKS = {
  redirectUri: 'http://127.0.0.1:1455/auth/callback',
  codeChallenge: 'challenge-value',
  state: 'state-value',
  nonce: 'nonce-value',
};

describe('the parameters of an authorization request', () => {
  it('the protocol’s own parameters win over authorize_params that name them', () => {
    const { parameters } = authorizationParameters(
      {
        scopes: ['openid'],
        authorizeParams: {
          audience: 'https://api',
          redirect_uri: 'https://evil.example/cb',
          state: 'forged',
          code_challenge: 'forged',
          code_challenge_method: 'plain',
        },
      },
      undefined,
      CHECKS,
    );
    expect(parameters).toEqual({
      audience: 'https://api',
      redirect_uri: CHECKS.redirectUri,
      code_challenge: 'challenge-value',
      code_challenge_method: 'S256',
      state: 'state-value',
      scope: 'openid',
      nonce: 'nonce-value',
    });
  });

  it('no scopes: no scope parameter and no nonce; a nonce only with openid', () => {
    expect(authorizationParameters({ scopes: [] }, undefined, CHECKS).parameters).not.toHaveProperty('scope');
    const api = authorizationParameters({ scopes: ['api', 'read'] }, undefined, CHECKS).parameters;
    expect(api.scope).toBe('api read');
    expect(api).not.toHaveProperty('nonce');
  });

  it('offline_access asks for consent, unless authorize_params says how to prompt', () => {
    expect(
      authorizationParameters({ scopes: ['openid', 'offline_access'] }, undefined, CHECKS).parameters.prompt,
    ).toBe('consent');
    expect(
      authorizationParameters(
        { scopes: ['openid', 'offline_access'], authorizeParams: { prompt: 'login' } },
        undefined,
        CHECKS,
      ).parameters.prompt,
    ).toBe('login');
  });

  it('offline_access the provider does not list is left out, with no consent prompt, and said', () => {
    const { parameters, droppedScopes } = authorizationParameters(
      { scopes: ['openid', 'offline_access'] },
      ['openid', 'email'],
      CHECKS,
    );
    expect(parameters.scope).toBe('openid');
    expect(parameters).not.toHaveProperty('prompt');
    expect(droppedScopes).toEqual(['offline_access']);
  });
});

describe('the ExecCredential’s edges', () => {
  it('an empty KUBERNETES_EXEC_INFO, JSON null or no apiVersion is v1beta1', () => {
    for (const info of ['', 'null', '{}'])
      expect(execCredentialVersion(info)).toBe('client.authentication.k8s.io/v1beta1');
  });

  it('the expiry is whole seconds in UTC, fractions cut', () => {
    expect(rfc3339(1_800_000_000.999)).toBe('2027-01-15T08:00:00Z');
    expect(execCredential('v', 't', undefined)).toBe(
      '{"apiVersion":"v","kind":"ExecCredential","status":{"token":"t"}}\n',
    );
  });
});
