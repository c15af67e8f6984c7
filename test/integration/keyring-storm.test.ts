import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startIssuer, type RunningIssuer } from '../../src/issuer/index.js';
import { launchBrowser, signInInBrowser } from '../helpers/browser.js';
import { runCli, startCli, tempHome, URL_LINE } from '../helpers/cli.js';
import { startKeyringSession, type KeyringSession } from '../helpers/keyring-session.js';
import { userinfoStatus } from '../helpers/userinfo.js';
import { traceProcesses } from '../helpers/module-trace.js';

/**
 * A refresh storm on a sign-in kept in the OS keyring (the desktop default): the processes that
 * find the token due wait in the launcher and read the refreshed secret over the session bus; one
 * loads the full CLI and refreshes. Real gnome-keyring on a private bus, the embedded issuer with
 * rotating refresh tokens, Chromium. Fixed port of this file: 18602 (the redirect URI).
 */

const REDIRECT_URI = 'http://127.0.0.1:18602/auth/callback';
/** Access tokens live 120 s; asked for with 112 s to spare, the signed-in token is due after 8 s. */
const TTL = 120;
const MIN_TTL = '112';

let issuer: RunningIssuer;
let keyring: KeyringSession;
let browser: Browser;
let home: string;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  [issuer, keyring, browser, { home, cleanup }] = await Promise.all([
    startIssuer({ port: 0, accessTokenTtl: TTL, rotateRefreshTokens: true }),
    startKeyringSession(),
    launchBrowser(),
    tempHome(),
  ]);
});

afterAll(async () => {
  await browser?.close();
  await keyring?.close();
  await issuer?.close();
  await cleanup?.();
});

describe('8 processes at once on a due token in the keyring', () => {
  it('make one refresh request; only the refresher loads the full CLI; all print the new token', async () => {
    const env = { ...keyring.env, KEYTURN_HOME: home, KEYTURN_STORE: 'keyring' };
    const args = ['--issuer', issuer.issuer, '--client-id', issuer.clientId];
    const login = startCli(['login', ...args, '--no-open', '--redirect-uri', REDIRECT_URI], { env });
    const [, url] = await login.waitForStderr(URL_LINE);
    await signInInBrowser(browser, url as string);
    expect((await login.done).code).toBe(0);
    const auth = JSON.parse(await readFile(join(home, 'auth.json'), 'utf8')) as {
      profiles: { default: { store?: string } };
    };
    expect(auth.profiles.default.store).toBe('keyring');
    const first = await runCli(['token', ...args], { env });
    expect(first.code, first.stderr).toBe(0);
    await new Promise((r) => setTimeout(r, (TTL - Number(MIN_TTL)) * 1000 + 500));
    issuer.resetStats();

    const trace = await traceProcesses(env);
    const results = await Promise.all(
      Array.from({ length: 8 }, () => runCli(['token', '--min-ttl', MIN_TTL, ...args], { env: trace.env })),
    );
    const loaded = await trace.loadedFullCli();

    for (const result of results) expect(result.code, result.stderr).toBe(0);
    expect(new Set(results.map((r) => r.stdout)).size, 'every process printed the same token').toBe(1);
    const token = results[0]?.stdout.trim() as string;
    expect(token).not.toBe(first.stdout.trim());
    expect(issuer.stats.refreshRequests).toBe(1);
    expect(issuer.stats.refreshFailures).toBe(0);
    expect(await userinfoStatus(issuer.issuer, token)).toBe(200);
    expect(loaded.length).toBe(8);
    expect(loaded.filter(Boolean).length, 'processes that loaded the full CLI').toBe(1);
  });
});
