import { describe, expect, it } from 'vitest';
import {
  PROVIDER_RULES,
  identifyProvider,
  noRefreshNotice,
  providerKnowledge,
  scopesToRequest,
} from '../../src/core/providers.js';

describe('which provider a URL belongs to: the host or a name under it, never a look-alike', () => {
  it.each([
    ['https://eu.accounts.google.com', 'google'],
    ['https://login.microsoftonline.us/tenant/v2.0', 'entra'],
    ['https://login.partner.microsoftonline.cn/tenant/v2.0', 'entra'],
    ['https://acme.oktapreview.com', 'okta'],
    ['https://acme.okta-emea.com', 'okta'],
    ['https://acme.auth0.com', 'auth0'],
    ['https://GITHUB.COM/login/oauth/authorize', 'github'],
    ['https://github.acme.example/login/oauth/access_token', 'github'],
  ] as const)('%s is %s', (url, id) => {
    expect(identifyProvider([url])?.id).toBe(id);
  });

  it.each([
    'https://accounts.google.com.evil.example',
    'https://evilaccounts.google.com',
    'https://notokta.com',
    'https://okta.com.evil.example',
    'https://evilauth0.com',
    'https://login.microsoftonline.com.evil.example',
    'https://evil.example/login/oauth/authorize',
    'https://github.acme.example/oauth/authorize',
    'https://x.auth.openai.com',
    'https://sso.example.com/realms/',
    'https://sso.example.com/x/realms/acme',
  ])('%s is none of them', (url) => {
    expect(identifyProvider([url])).toBeUndefined();
  });

  it('the first URL that names a provider decides', () => {
    expect(identifyProvider(['https://acme.auth0.com', 'https://accounts.google.com'])?.id).toBe('auth0');
  });

  it('each provider’s knowledge has its name and notes; only OpenAI’s has ports', () => {
    for (const id of ['github', 'google', 'entra', 'okta', 'auth0', 'keycloak', 'openai'] as const) {
      const knowledge = providerKnowledge(id);
      expect(knowledge.id).toBe(id);
      expect(knowledge.name).not.toBe('');
      expect(knowledge.notes.length).toBeGreaterThan(0);
      for (const note of knowledge.notes) expect(note).toMatch(/^[A-Z`'"].{20,}[.)]$/);
      if (id !== 'openai') expect(knowledge).not.toHaveProperty('ports');
    }
  });
});

describe('the provider rules table', () => {
  it('every row names its provider and says its fact in a sentence', () => {
    for (const rule of PROVIDER_RULES) {
      expect(rule.provider).not.toBe('');
      expect(rule.note).toMatch(/^[A-Z].{15,}\.$/);
    }
  });

  it('every row matches on something: an error, a pattern or both', () => {
    for (const rule of PROVIDER_RULES)
      expect(rule.error !== undefined || rule.description !== undefined).toBe(true);
  });
});

describe('offline_access and the scopes asked for', () => {
  it('non-string entries of scopes_supported are ignored; an empty list is no list', () => {
    expect(scopesToRequest(['openid', 'offline_access'], [7, 'openid'])).toEqual({
      scopes: ['openid'],
      dropped: ['offline_access'],
    });
    expect(scopesToRequest(['openid', 'offline_access'], [])).toEqual({
      scopes: ['openid', 'offline_access'],
      dropped: [],
    });
    expect(scopesToRequest(['offline_access'], 'offline_access')).toEqual({
      scopes: ['offline_access'],
      dropped: [],
    });
  });

  it('the notice names what was left out and how to get a refresh token anyway', () => {
    expect(noRefreshNotice(['offline_access'])).toBe(
      'The provider does not list offline_access among its scopes: no refresh token will be asked for, so you will sign in again when the access token expires (unless the profile\'s `authorize_params` ask for one the provider\'s way, e.g. `access_type = "offline"` for Google).',
    );
  });
});
