import { describe, expect, it } from 'vitest';
import { resolveProfile } from '../../../src/core/config.js';
import { KeyturnError } from '../../../src/core/errors.js';
import { loginWithBrowser } from '../../../src/flows/login-browser.js';
import { T0, fakeDeps, type BrowserAnswer } from './fake-deps.js';

/**
 * `loginWithBrowser` over fake deps: the provider, the loopback server and the browser are fakes;
 * the clock is frozen at T0. What it proves is the flow's own logic (RFC 6749 §4.1, RFC 7636).
 */

const profile = resolveProfile(
  {},
  {},
  { issuer: 'https://id.example.com', clientId: 'cli', redirectUri: 'http://127.0.0.1:1455/auth/callback' },
  { signIn: true },
);

/** The user approves: the provider redirects back with a code and the state it was given. */
const approve: BrowserAnswer = (url) => ({
  code: 'code-1',
  state: url.searchParams.get('state') as string,
});

const TOKENS = {
  access_token: 'at-1',
  token_type: 'Bearer',
  expires_in: 3600,
  refresh_token: 'rt-1',
  claims: { sub: 'user-1', email: 'user@example.com' },
};

describe('browser sign-in over fake deps', () => {
  it('sends only the S256 challenge to the browser, trades the code with the verifier, and stores the sign-in with its provider', async () => {
    const { deps, store, recorded } = fakeDeps({ codeGrant: [TOKENS] }, { browser: approve });

    const result = await loginWithBrowser(deps, { profile, timeoutSeconds: 60, open: true });

    const opened = new URL(recorded.opened[0] as string);
    expect(Object.fromEntries(opened.searchParams)).toMatchObject({
      redirect_uri: 'http://127.0.0.1:1455/auth/callback',
      code_challenge: 'challenge-1',
      code_challenge_method: 'S256',
      state: 'state-1',
      nonce: 'nonce-1',
    });
    expect(opened.href).not.toContain('verifier-1');
    expect(recorded.requests.at(-1)).toEqual({
      step: 'authorization_code',
      detail: {
        callbackUrl: 'http://127.0.0.1:1455/auth/callback?code=code-1&state=state-1',
        checks: {
          pkceCodeVerifier: 'verifier-1',
          expectedState: 'state-1',
          expectedNonce: 'nonce-1',
          idTokenExpected: true,
        },
      },
    });
    expect(result).toMatchObject({
      issuer: 'https://id.example.com',
      subject: 'user-1',
      expires_at: T0 / 1000 + 3600,
    });
    expect(store.profiles.get('default')).toMatchObject({
      kind: 'oauth',
      access_token: 'at-1',
      refresh_token: 'rt-1',
      obtained_at: T0 / 1000,
      expires_at: T0 / 1000 + 3600,
      provider: {
        issuer: 'https://id.example.com',
        client_id: 'cli',
        redirect_uri: 'http://127.0.0.1:1455/auth/callback',
      },
    });
    expect(recorded.pages).toEqual([expect.objectContaining({ kind: 'success' })]);
  });

  it('ends with the catalog code when the user denies, tells the browser so, and stores nothing', async () => {
    const deny: BrowserAnswer = (url) => ({
      error: 'access_denied',
      error_description: 'The user said no',
      state: url.searchParams.get('state') as string,
    });
    const { deps, store, recorded } = fakeDeps({}, { browser: deny });

    const error = await loginWithBrowser(deps, { profile, timeoutSeconds: 60, open: true }).catch(
      (e: unknown) => e,
    );

    expect(error).toBeInstanceOf(KeyturnError);
    expect((error as KeyturnError).code).toBe('access_denied');
    expect(recorded.pages).toEqual([expect.objectContaining({ kind: 'failure' })]);
    expect(recorded.requests.map((r) => r.step)).toEqual(['configure']);
    expect(store.profiles.size).toBe(0);
  });

  it('refuses before listening when the provider has no authorization endpoint', async () => {
    const { deps, recorded } = fakeDeps({ endpoints: { authorization_endpoint: undefined } });

    const error = await loginWithBrowser(deps, { profile, timeoutSeconds: 60, open: true }).catch(
      (e: unknown) => e,
    );

    expect((error as KeyturnError).code).toBe('discovery_failed');
    expect(recorded.callbackServers).toEqual([]);
    expect(recorded.opened).toEqual([]);
  });

  it('a failed code exchange shows the failure page and stores nothing', async () => {
    const refused = new KeyturnError('invalid_grant', 'The authorization code was refused.');
    const { deps, store, recorded } = fakeDeps({ codeGrant: [refused] }, { browser: approve });

    await expect(loginWithBrowser(deps, { profile, timeoutSeconds: 60, open: true })).rejects.toMatchObject({
      code: 'invalid_grant',
    });
    expect(recorded.pages).toEqual([expect.objectContaining({ kind: 'failure' })]);
    expect(store.profiles.size).toBe(0);
  });
});
