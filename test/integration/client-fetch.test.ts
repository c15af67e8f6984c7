/**
 * `client.fetch` and `getAccessToken({ forceRefresh })` against the real built-in authorization
 * server and a resource server that checks every token with it: the sign-in made in real Chromium.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { createClient, type KeyturnClient } from '../../src/index.js';
import { startIssuer, type RunningIssuer } from '../../src/issuer/index.js';
import { launchBrowser, signInInBrowser } from '../helpers/browser.js';
import { startProtectedApi, type ProtectedApi } from '../helpers/protected-api.js';

/** This file's loopback redirect port (the library range: 18740-18759). */
const REDIRECT_PORT = 18741;

let issuer: RunningIssuer;
let browser: Browser;
let api: ProtectedApi;
let home: string;
let client: KeyturnClient;

beforeAll(async () => {
  [issuer, browser] = await Promise.all([
    startIssuer({ port: 0, accessTokenTtl: 3600, rotateRefreshTokens: true }),
    launchBrowser(),
  ]);
  api = await startProtectedApi(issuer.issuer);
  home = await mkdtemp(join(tmpdir(), 'keyturn-client-fetch-'));
  client = createClient({
    issuer: issuer.issuer,
    clientId: issuer.clientId,
    redirectUri: `http://127.0.0.1:${REDIRECT_PORT}/auth/callback`,
    home,
    env: { KEYTURN_STORE: 'file' },
  });
  let signingIn: Promise<unknown> | undefined;
  await client.login({
    open: false,
    onAuthorizationUrl: (url) => (signingIn = signInInBrowser(browser, url)),
  });
  await signingIn;
});

afterAll(async () => {
  await browser?.close();
  await api?.close();
  await issuer?.close();
  if (home !== undefined) await rm(home, { recursive: true, force: true });
});

beforeEach(() => {
  api.requests.length = 0;
  issuer.resetStats();
});

describe('client.fetch', () => {
  it('sends the access token as a Bearer token', async () => {
    const { access_token } = await client.getAccessToken();
    const response = await client.fetch(`${api.url}/me`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ sub: 'demo-user-1' });
    expect(api.requests).toEqual([
      expect.objectContaining({ path: '/me', token: access_token, status: 200 }),
    ]);
    expect(issuer.stats.refreshRequests).toBe(0);
  });

  it('when the API refuses a token that looks valid, refreshes once and sends the request again', async () => {
    const refused = (await client.getAccessToken()).access_token;
    api.refuse(refused);

    const response = await client.fetch(`${api.url}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ item: 'anvil' }),
    });

    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ method: 'POST', echo: '{"item":"anvil"}' });
    expect(issuer.stats.refreshRequests).toBe(1);
    const [first, second] = api.requests;
    expect(api.requests).toHaveLength(2);
    expect(first).toMatchObject({ token: refused, status: 401 });
    expect(second).toMatchObject({ status: 200, body: '{"item":"anvil"}' });
    expect(second?.token).not.toBe(refused);
    // The new token is the stored one: the next call uses it without another refresh.
    expect((await client.getAccessToken()).access_token).toBe(second?.token);
  });

  it('does not send a streamed body twice: the 401 comes back, nothing is refreshed', async () => {
    const refused = (await client.getAccessToken()).access_token;
    api.refuse(refused);
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('one-time upload'));
        controller.close();
      },
    });

    const response = await client.fetch(`${api.url}/upload`, {
      method: 'POST',
      body,
      duplex: 'half',
    } as RequestInit);

    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toContain('invalid_token');
    expect(api.requests).toEqual([expect.objectContaining({ body: 'one-time upload', status: 401 })]);
    expect(issuer.stats.refreshRequests).toBe(0);
    // The next replayable request recovers.
    expect((await client.fetch(`${api.url}/me`)).status).toBe(200);
    expect(issuer.stats.refreshRequests).toBe(1);
  });

  it('refreshes first, without a refused request, when the token is about to expire', async () => {
    const authFile = join(home, 'auth.json');
    const doc = JSON.parse(await readFile(authFile, 'utf8')) as {
      profiles: Record<string, { access_token: string; expires_at: number; obtained_at: number }>;
    };
    const stored = doc.profiles.default;
    if (stored === undefined) throw new Error('not signed in');
    const now = Math.floor(Date.now() / 1000);
    stored.expires_at = now + 10;
    stored.obtained_at = now - 3600;
    await writeFile(authFile, JSON.stringify(doc), { mode: 0o600 });

    const response = await client.fetch(new Request(`${api.url}/me`));

    expect(response.status).toBe(200);
    expect(issuer.stats.refreshRequests).toBe(1);
    expect(api.requests).toHaveLength(1);
    expect(api.requests[0]?.token).not.toBe(stored.access_token);
  });
});

describe('getAccessToken({ forceRefresh: true })', () => {
  it('refreshes a token that still looks valid; without it the stored token is served', async () => {
    const before = await client.getAccessToken();
    expect((await client.getAccessToken()).access_token).toBe(before.access_token);
    expect(issuer.stats.refreshRequests).toBe(0);

    const forced = await client.getAccessToken({ forceRefresh: true });

    expect(issuer.stats.refreshRequests).toBe(1);
    expect(forced.access_token).not.toBe(before.access_token);
    expect(forced.expires_at).toBeGreaterThan(Math.floor(Date.now() / 1000) + 3000);
  });
});
