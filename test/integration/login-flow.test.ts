import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, KeyturnError, exitCodeFor } from '../../src/index.js';
import { startIssuer, type RunningIssuer } from '../../src/issuer/index.js';
import { launchBrowser, signInInBrowser } from '../helpers/browser.js';
import { tempHome } from '../helpers/cli.js';

/**
 * The library, end to end against the embedded authorization server and real Chromium:
 * login → getAccessToken → status → logout, and the revocation seen by the server.
 */

let issuer: RunningIssuer;
let browser: Browser;
let home: string;
let cleanup: () => Promise<void>;
const messages: string[] = [];

beforeAll(async () => {
  [issuer, browser, { home, cleanup }] = await Promise.all([
    startIssuer({ port: 0 }),
    launchBrowser(),
    tempHome(),
  ]);
});

afterAll(async () => {
  await browser?.close();
  await issuer?.close();
  await cleanup?.();
});

function client() {
  const record = (message: string) => messages.push(message);
  return createClient({
    home,
    env: {},
    issuer: issuer.issuer,
    clientId: issuer.clientId,
    // Port 0: an ephemeral loopback port; the embedded server accepts any (RFC 8252 §7.3).
    redirectUri: 'http://127.0.0.1:0/auth/callback',
    output: { info: record, warn: record, step: (title, detail) => record(`${title}: ${detail}`) },
  });
}

/** Signs in through Chromium; resolves with the authorization URL the library printed. */
async function signIn(): Promise<{
  url: URL;
  bodyText: string;
  result: Awaited<ReturnType<ReturnType<typeof client>['login']>>;
}> {
  let browsing: Promise<{ bodyText: string }> | undefined;
  let url: URL | undefined;
  const result = await client().login({
    open: false,
    timeoutSeconds: 60,
    onAuthorizationUrl: (authorizationUrl) => {
      url = new URL(authorizationUrl);
      browsing = signInInBrowser(browser, authorizationUrl);
    },
  });
  const page = await (browsing as Promise<{ bodyText: string }>);
  return { url: url as URL, bodyText: page.bodyText, result };
}

async function storedCredentials(): Promise<Record<string, string>> {
  const doc = JSON.parse(await readFile(join(home, 'auth.json'), 'utf8')) as {
    profiles: Record<string, Record<string, string>>;
  };
  return doc.profiles.default as Record<string, string>;
}

async function tokenEndpointAnswer(
  body: Record<string, string>,
): Promise<{ status: number; error?: string }> {
  const response = await fetch(`${issuer.issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: issuer.clientId, ...body }),
  });
  const json = (await response.json()) as { error?: string };
  return json.error === undefined
    ? { status: response.status }
    : { status: response.status, error: json.error };
}

async function introspect(token: string): Promise<boolean> {
  const response = await fetch(`${issuer.issuer}/token/introspection`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: issuer.clientId, token }),
  });
  return ((await response.json()) as { active: boolean }).active;
}

describe('createClient against the embedded authorization server', () => {
  let firstUrl: URL;

  it('signs in through the browser with PKCE S256, state and nonce', async () => {
    const { url, bodyText, result } = await signIn();
    firstUrl = url;
    expect(bodyText).toContain('Signed in');
    expect(result).toMatchObject({
      profile: 'default',
      issuer: issuer.issuer,
      subject: 'demo-user-1',
      email: 'demo@keyturn.invalid',
      name: 'Demo User',
      store: 'file',
    });
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(url.searchParams.get('state')).toBeTruthy();
    expect(url.searchParams.get('nonce')).toBeTruthy();
    expect(url.searchParams.has('code_verifier')).toBe(false);
    expect(new URL(url.searchParams.get('redirect_uri') as string).port).not.toBe('0');
    expect(issuer.stats.authorizationCodeGrants).toBe(1);
  });

  it('uses a fresh state, nonce and PKCE challenge for the next sign-in', async () => {
    const { url } = await signIn();
    for (const name of ['state', 'nonce', 'code_challenge']) {
      expect(url.searchParams.get(name), name).not.toBe(firstUrl.searchParams.get(name));
    }
    expect(issuer.stats.authorizationCodeGrants).toBe(2);
  });

  it('gives the stored access token, which the userinfo endpoint accepts, without a token request', async () => {
    const before = issuer.stats.tokenRequests;
    const token = await client().getAccessToken();
    expect(token).toMatchObject({ token_type: expect.stringMatching(/^bearer$/i) });
    expect(token.expires_at).toBeGreaterThan(Date.now() / 1000);
    expect(token.scope).toContain('openid');
    const userinfo = await fetch(`${issuer.issuer}/me`, {
      headers: { authorization: `Bearer ${token.access_token}` },
    });
    expect(userinfo.status).toBe(200);
    expect(issuer.stats.tokenRequests).toBe(before);
  });

  it('reports who is signed in, without a secret', async () => {
    const report = await client().status();
    expect(report).toMatchObject({
      profile: 'default',
      signed_in: true,
      state: 'ok',
      kind: 'oauth',
      issuer: issuer.issuer,
      client_id: issuer.clientId,
      subject: 'demo-user-1',
      email: 'demo@keyturn.invalid',
      name: 'Demo User',
      has_refresh_token: true,
      store: { kind: 'file', location: join(home, 'auth.json') },
      problem: null,
    });
    const stored = await storedCredentials();
    const text = JSON.stringify(report);
    for (const secret of [stored.access_token, stored.refresh_token, stored.id_token]) {
      expect(text).not.toContain(secret);
    }
  });

  it('logs out: revokes at the server (RFC 7009), after which the refresh token is dead, then forgets', async () => {
    const stored = await storedCredentials();
    const refreshToken = stored.refresh_token as string;
    const accessToken = stored.access_token as string;
    expect(await introspect(refreshToken)).toBe(true);
    const revocationsBefore = issuer.stats.revocations;

    const result = await client().logout();
    expect(result).toEqual({
      profile: 'default',
      revoked: ['refresh_token', 'access_token'],
      revocation: 'done',
      removed: true,
    });
    expect(issuer.stats.revocations - revocationsBefore).toBe(2);
    expect(await introspect(refreshToken)).toBe(false);
    expect(await introspect(accessToken)).toBe(false);
    expect(await tokenEndpointAnswer({ grant_type: 'refresh_token', refresh_token: refreshToken })).toEqual({
      status: 400,
      error: 'invalid_grant',
    });
  });

  it('is then signed out: token and logout ask to sign in (exit code 3), status says so', async () => {
    const status = await client().status();
    expect(status).toMatchObject({ signed_in: false, kind: null, state: 'sign_in_required' });
    expect(status.problem).toMatchObject({
      code: 'not_signed_in',
      fix: expect.stringContaining('keyturn login'),
    });
    for (const call of [() => client().getAccessToken(), () => client().logout()]) {
      const error = await call().then(
        () => undefined,
        (thrown: unknown) => thrown,
      );
      expect(error).toBeInstanceOf(KeyturnError);
      expect((error as KeyturnError).code).toBe('not_signed_in');
      expect(exitCodeFor(error)).toBe(3);
    }
  });

  it('stops at once when the caller aborts before the browser answers, leaving nothing listening', async () => {
    const controller = new AbortController();
    controller.abort(new Error('the caller gave up'));
    let redirectUri: string | undefined;
    const error = await client()
      .login({
        open: false,
        timeoutSeconds: 600,
        signal: controller.signal,
        onAuthorizationUrl: (url) => {
          redirectUri = new URL(url).searchParams.get('redirect_uri') ?? undefined;
        },
      })
      .catch((thrown: unknown) => thrown);
    expect((error as Error).message).toBe('the caller gave up');
    if (redirectUri !== undefined) {
      const probe = await fetch(redirectUri).then(
        () => 'answered',
        () => 'closed',
      );
      expect(probe).toBe('closed');
    }
  });

  it('narrated the sign-in without ever showing a token, nor the URL handed to onAuthorizationUrl', () => {
    const text = messages.join('\n');
    expect(text).not.toMatch(/Open this URL to sign in: /);
    expect(text).not.toContain('/auth?');
    for (const step of ['Discovery', 'PKCE', 'Callback', 'Exchange', 'Store']) expect(text).toContain(step);
    expect(text).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\./);
    expect(text).not.toMatch(/code_verifier|access_token=|refresh_token=/);
  });
});
