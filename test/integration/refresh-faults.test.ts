import { readFile, rename, writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import type { RunningIssuer } from '../../src/issuer/index.js';
import { launchBrowser } from '../helpers/browser.js';
import { runCli, startCli } from '../helpers/cli.js';
import { isTokenRequest, startIssuerBehindFaultProxy, type FaultProxy } from '../helpers/fault-proxy.js';
import {
  authFile,
  expireStoredToken,
  readStored,
  signIn,
  userinfoStatus,
  type SignedIn,
} from './refresh-support.js';

/**
 * Transient failures of the token endpoint, injected by a reverse proxy in front of the embedded
 * issuer: retried with backoff, Retry-After honoured, bounded — and the sign-in is never lost.
 */

const REDIRECT_PORT = 18501;

let proxy: FaultProxy;
let issuer: RunningIssuer;
let closeIssuer: (() => Promise<void>) | undefined;
let browser: Browser;
const homes: SignedIn[] = [];

beforeAll(async () => {
  let behind: Awaited<ReturnType<typeof startIssuerBehindFaultProxy>>;
  [behind, browser] = await Promise.all([
    startIssuerBehindFaultProxy({ accessTokenTtl: 120, rotateRefreshTokens: true }),
    launchBrowser(),
  ]);
  ({ proxy, issuer, close: closeIssuer } = behind);
});

afterAll(async () => {
  await Promise.all(homes.map((h) => h.cleanup()));
  await browser?.close();
  await closeIssuer?.();
});

beforeEach(() => {
  proxy.clearRules();
});

/** A signed-in home whose access token is about to expire, and the proxy log from now on. */
async function expiring(): Promise<SignedIn & { refreshes: () => { status: number; faulted: boolean }[] }> {
  const session = await signIn(browser, issuer, REDIRECT_PORT);
  homes.push(session);
  await expireStoredToken(session.home, 5);
  issuer.resetStats();
  const from = proxy.requests.length;
  return {
    ...session,
    refreshes: () =>
      proxy.requests
        .slice(from)
        .filter(isTokenRequest('refresh_token'))
        .map(({ status, faulted }) => ({ status, faulted })),
  };
}

const refreshRequest = isTokenRequest('refresh_token');

describe('transient failures of the token endpoint', () => {
  it('retries a reset connection and two 503s, then succeeds', async () => {
    const session = await expiring();
    proxy.addRule({ match: refreshRequest, respond: 'reset', times: 1 });
    proxy.addRule({
      match: refreshRequest,
      respond: { status: 503, body: '<h1>Service Unavailable</h1>' },
      times: 2,
    });

    const result = await runCli(['token', ...session.args], { env: session.env });

    expect(result.code, result.stderr).toBe(0);
    expect(session.refreshes()).toEqual([
      { status: 0, faulted: true },
      { status: 503, faulted: true },
      { status: 503, faulted: true },
      { status: 200, faulted: false },
    ]);
    expect(result.stderr.match(/Retrying in \d+\.\d s/g)).toHaveLength(3);
    expect(result.stderr).toMatch(/answered 503 refreshing the access token/);
    expect(issuer.stats.refreshRequests).toBe(1);
    expect(await userinfoStatus(issuer.issuer, result.stdout.trim())).toBe(200);
  });

  it('waits as long as Retry-After says after a 429, then succeeds', async () => {
    const session = await expiring();
    proxy.addRule({
      match: refreshRequest,
      respond: {
        status: 429,
        headers: { 'retry-after': '1', 'content-type': 'application/json' },
        body: JSON.stringify({ error: 'slow_down', error_description: 'too many requests' }),
      },
      times: 1,
    });

    const result = await runCli(['token', ...session.args], { env: session.env });

    expect(result.code, result.stderr).toBe(0);
    expect(session.refreshes()).toEqual([
      { status: 429, faulted: true },
      { status: 200, faulted: false },
    ]);
    // The one retry waited at least the second the provider asked for.
    const waits = [...result.stderr.matchAll(/Retrying in (\d+\.\d) s/g)].map((m) => Number(m[1]));
    expect(waits).toHaveLength(1);
    expect(waits[0]).toBeGreaterThanOrEqual(1);
    expect(await userinfoStatus(issuer.issuer, result.stdout.trim())).toBe(200);
  });

  it('gives up with exit 4 and server_error within the bound on 503 forever, keeping the sign-in', async () => {
    const session = await expiring();
    const before = await readStored(session.home);
    proxy.addRule({ match: refreshRequest, respond: { status: 503, body: 'down for maintenance' } });

    const result = await runCli(['token', ...session.args], {
      env: { ...session.env, KEYTURN_RETRY_TIMEOUT: '3' },
    });

    expect(result.code, result.stderr).toBe(4);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^error\[server_error\]: .*503.*Gave up after \d+ attempts in [0-3] s/m);
    expect(result.stderr).toMatch(/^fix: /m);
    expect(session.refreshes().length).toBeGreaterThanOrEqual(2);
    expect(session.refreshes().every((r) => r.faulted)).toBe(true);
    const kept = await readStored(session.home);
    expect(kept).toEqual(before);

    // The provider recovers: the same stored sign-in refreshes.
    proxy.clearRules();
    const recovered = await runCli(['token', ...session.args], { env: session.env });
    expect(recovered.code, recovered.stderr).toBe(0);
    expect(await userinfoStatus(issuer.issuer, recovered.stdout.trim())).toBe(200);
    expect(issuer.stats.refreshRequests).toBe(1);
  });

  it('gives up with exit 4 within the bound when the provider never answers', async () => {
    const session = await expiring();
    const before = await readStored(session.home);
    proxy.addRule({ match: refreshRequest, respond: 'hang' });

    const result = await runCli(['token', ...session.args], {
      env: { ...session.env, KEYTURN_RETRY_TIMEOUT: '2' },
    });

    expect(result.code, result.stderr).toBe(4);
    expect(result.stderr).toMatch(/^error\[connect_failed\]: /m);
    expect(await readStored(session.home)).toEqual(before);
  });
});

/** A first `token` refreshing (held 8 s by a 429's Retry-After, under the lock), and a second one started. */
async function secondWhileFirstHolds() {
  const session = await expiring();
  proxy.addRule({
    match: refreshRequest,
    respond: { status: 429, headers: { 'retry-after': '8' }, body: '' },
    times: 1,
  });
  const first = startCli(['token', ...session.args], { env: session.env });
  await first.waitForStderr(/Retrying in/);
  const second = startCli(['token', ...session.args], { env: session.env });
  return { session, first, second };
}

describe('a second process while the first one is refreshing', () => {
  it('says it is waiting for the first, then uses the token the first one stored', async () => {
    // The first refresher is told to come back in 8 s, and holds the lock meanwhile: long enough for
    // the second to start and wait past its notice (1.5 s) on a loaded machine, well within the bound.
    const { session, first, second } = await secondWhileFirstHolds();

    const [a, b] = await Promise.all([first.done, second.done]);

    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    expect(b.stderr).toContain(`waiting for pid ${first.child.pid}, which is refreshing the token`);
    expect(b.stdout).toBe(a.stdout);
    expect(session.refreshes()).toEqual([
      { status: 429, faulted: true },
      { status: 200, faulted: false },
    ]);
  });
});

describe('a process waiting for a refresher that dies', () => {
  it('takes over once the holder is gone (kill -9) and refreshes itself', async () => {
    // The first refresher waits out a Retry-After while it holds the lock, and is killed meanwhile.
    const { session, first, second } = await secondWhileFirstHolds();
    // The second waits in the launcher (no full CLI yet): the lock is held by a live process.
    await new Promise((resolve) => setTimeout(resolve, 500));
    first.child.kill('SIGKILL');
    const [a, b] = await Promise.all([first.done, second.done]);

    expect(a.signal).toBe('SIGKILL');
    expect(b.code, b.stderr).toBe(0);
    expect(b.stdout.trim()).toBe((await readStored(session.home)).access_token);
    // The dead holder's request was answered 429 (its refresh token not spent): one more refresh.
    expect(session.refreshes()).toEqual([
      { status: 429, faulted: true },
      { status: 200, faulted: false },
    ]);
  });
});

describe('a sign-in that completes while a refresh is under way', () => {
  it('is kept: the refresh does not overwrite it with tokens of the sign-in it replaced', async () => {
    const session = await expiring();
    const other = await signIn(browser, issuer, REDIRECT_PORT);
    homes.push(other);
    proxy.addRule({
      match: refreshRequest,
      respond: { status: 503, headers: { 'retry-after': '2' }, body: '' },
      times: 1,
    });
    const refreshing = startCli(['token', ...session.args], { env: session.env });
    await refreshing.waitForStderr(/Retrying in/);
    // What `keyturn login` does meanwhile: replace auth.json atomically with a new sign-in.
    const replacement = await readFile(authFile(other.home), 'utf8');
    await writeFile(`${authFile(session.home)}.login`, replacement, { mode: 0o600 });
    await rename(`${authFile(session.home)}.login`, authFile(session.home));

    const result = await refreshing.done;

    expect(result.code, result.stderr).toBe(0);
    const login = await readStored(other.home);
    expect(await readStored(session.home)).toEqual(login);
    expect(result.stdout.trim()).toBe(login.access_token);
    expect(session.refreshes()).toEqual([
      { status: 503, faulted: true },
      { status: 200, faulted: false },
    ]);
  });
});
