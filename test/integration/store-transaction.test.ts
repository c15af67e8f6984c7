import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startIssuer, type RunningIssuer } from '../../src/issuer/index.js';
import { STALE_MS } from '../../src/adapters/lock.js';
import { launchBrowser, signInInBrowser } from '../helpers/browser.js';
import { runCli, startCli, tempHome, URL_LINE, type CliResult } from '../helpers/cli.js';
import { isTokenRequest, startFaultProxy, type FaultProxy } from '../helpers/fault-proxy.js';
import { startKeyringSession, type KeyringSession } from '../helpers/keyring-session.js';
import { expireStoredToken, readStored, signIn, userinfoStatus, type SignedIn } from './refresh-support.js';

/**
 * The store's transaction and the lock that guards it, through the built CLI: a stopped holder is
 * still a holder, and with the keyring the secret and its marker in auth.json change together.
 * Fixed ports of this file: 18601 (the redirect URI of its sign-ins, one at a time).
 */

const REDIRECT_PORT = 18601;
const REDIRECT_URI = `http://127.0.0.1:${REDIRECT_PORT}/auth/callback`;
const API_KEY = 'sk-during-refresh-0123456789abcdef';

let proxy: FaultProxy;
/** Behind the fault proxy, tokens for two minutes, refresh tokens rotated on use. */
let proxied: RunningIssuer;
/** Tokens for two seconds: a keyring sign-in is due for refresh almost at once. */
let shortLived: RunningIssuer;
let keyring: KeyringSession;
let browser: Browser;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  proxy = await startFaultProxy();
  [proxied, shortLived, keyring, browser] = await Promise.all([
    startIssuer({ port: 0, publicUrl: proxy.url, accessTokenTtl: 120, rotateRefreshTokens: true }),
    startIssuer({ port: 0, accessTokenTtl: 2 }),
    startKeyringSession(),
    launchBrowser(),
  ]);
  proxy.setTarget(`http://127.0.0.1:${proxied.port}`);
});

afterAll(async () => {
  await Promise.all(cleanups.map((cleanup) => cleanup()));
  await browser?.close();
  await keyring?.close();
  await shortLived?.close();
  await proxied?.close();
  await proxy?.close();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const CHILD_LOGGER = resolve(import.meta.dirname, '../helpers/log-keyring-children.cjs');

/** Resolves once the keyring helper processes logged in `log` number `n` (each lives ~100 ms). */
async function nthChild(log: string, n: number, done: Promise<unknown>): Promise<void> {
  let exited = false;
  void done.then(() => (exited = true));
  let started = 0;
  while (!exited) {
    started = (await readFile(log, 'utf8').catch(() => '')).split('\n').filter(Boolean).length;
    if (started >= n) return;
    await sleep(2);
  }
  throw new Error(`the process exited after starting ${started} of ${n} keyring helper processes`);
}

/** Lets a stopped process go on, if it still exists. */
function resume(pid: number): void {
  try {
    process.kill(pid, 'SIGCONT');
  } catch {
    // It has exited.
  }
}

/** Resolves with the result, or undefined when the process has not exited within `ms`. */
function exitWithin(done: Promise<CliResult>, ms: number): Promise<CliResult | undefined> {
  return Promise.race([done, sleep(ms).then(() => undefined)]);
}

describe('a refresh holder that is stopped (Ctrl-Z) is still the holder', () => {
  it('a second `token` waits for it instead of breaking its lock, and both get the one refreshed token', async () => {
    const session: SignedIn = await signIn(browser, proxied, REDIRECT_PORT);
    cleanups.push(session.cleanup);
    await expireStoredToken(session.home, 5);
    proxied.resetStats();
    const from = proxy.requests.length;
    // The first refresher is told to come back in 2 s: it holds the lock meanwhile.
    proxy.addRule({
      match: isTokenRequest('refresh_token'),
      respond: { status: 429, headers: { 'retry-after': '2' }, body: '' },
      times: 1,
    });
    const first = startCli(['token', ...session.args], { env: session.env });
    await first.waitForStderr(/Retrying in/, 60_000);
    const pid = first.child.pid as number;
    process.kill(pid, 'SIGSTOP');
    try {
      // Stopped for longer than a heartbeat could tell: only liveness can.
      await sleep(STALE_MS + 2_000);
      const second = startCli(['token', ...session.args], { env: session.env });
      await second.waitForStderr(new RegExp(`waiting for pid ${pid}, which is refreshing`), 30_000);
      process.kill(pid, 'SIGCONT');
      const [a, b] = await Promise.all([first.done, second.done]);
      expect(a.code, a.stderr).toBe(0);
      expect(b.code, b.stderr).toBe(0);
      expect(b.stdout).toBe(a.stdout);
    } finally {
      resume(pid);
    }
    const refreshes = proxy.requests.slice(from).filter(isTokenRequest('refresh_token'));
    expect(refreshes.map((r) => r.status)).toEqual([429, 200]);
    expect(proxied.stats.refreshRequests).toBe(1);
    const stored = await readStored(session.home);
    expect(await userinfoStatus(proxied.issuer, stored.access_token)).toBe(200);
  });
});

describe('the keyring store: a sign-in that lands while a refresh writes', () => {
  it('is kept, and its marker in auth.json stays beside its secret', async () => {
    const { home, cleanup } = await tempHome();
    cleanups.push(cleanup);
    const env = { ...keyring.env, KEYTURN_HOME: home, KEYTURN_STORE: 'keyring' };
    const args = ['--issuer', shortLived.issuer, '--client-id', shortLived.clientId];
    const login = startCli(['login', ...args, '--no-open', '--redirect-uri', REDIRECT_URI], { env });
    const [, url] = await login.waitForStderr(URL_LINE);
    await signInInBrowser(browser, url as string);
    expect((await login.done).code).toBe(0);
    // Two-second tokens: due for refresh now.
    await sleep(2_000);

    // The refresh reads the keyring (the token, then again under its lock, then to compare) and
    // writes it: the fourth keyring call. Stopped right there, its write half done.
    const log = join(home, 'keyring-children.log');
    const refresh = startCli(['token', ...args], {
      env: { ...env, NODE_OPTIONS: `-r ${CHILD_LOGGER}`, KEYTURN_CHILD_LOG: log },
    });
    const refreshPid = refresh.child.pid as number;
    await nthChild(log, 4, refresh.done);
    process.kill(refreshPid, 'SIGSTOP');
    let replaced: CliResult | undefined;
    try {
      // Meanwhile the user signs the profile in anew (an API key): it must wait for the refresh's
      // write to end, not slip in between the secret and its marker.
      const apiKey = startCli(['login', '--api-key', ...args], { env, input: API_KEY });
      replaced = await exitWithin(apiKey.done, 8_000);
      process.kill(refreshPid, 'SIGCONT');
      const refreshed = await refresh.done;
      expect(refreshed.code, refreshed.stderr).toBe(0);
      replaced ??= await apiKey.done;
    } finally {
      resume(refreshPid);
    }
    expect(replaced.code, replaced.stderr).toBe(0);

    // The sign-in that came last is the one kept, and auth.json describes that one.
    const doc = JSON.parse(await readFile(join(home, 'auth.json'), 'utf8')) as {
      profiles: Record<string, { store?: string; kind?: string }>;
    };
    expect(doc.profiles.default).toMatchObject({ store: 'keyring', kind: 'api_key' });
    const token = await runCli(['token', ...args], { env });
    expect(token.stdout).toBe(`${API_KEY}\n`);
    const status = await runCli(['status', '--json', ...args], { env });
    expect(JSON.parse(status.stdout)).toMatchObject({ kind: 'api_key' });
  });
});
