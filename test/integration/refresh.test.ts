import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startIssuer, type RunningIssuer } from '../../src/issuer/index.js';
import { launchBrowser } from '../helpers/browser.js';
import { runCli } from '../helpers/cli.js';
import { traceProcesses } from '../helpers/module-trace.js';
import { expireStoredToken, readStored, signIn, userinfoStatus, type SignedIn } from './refresh-support.js';

/** This file's loopback redirect port (its range: 18500-18509). */
const REDIRECT_PORT = 18500;

let issuer: RunningIssuer;
/** Access tokens that really expire while the test watches. */
let shortIssuer: RunningIssuer;
let browser: Browser;
const homes: SignedIn[] = [];

beforeAll(async () => {
  [issuer, shortIssuer, browser] = await Promise.all([
    startIssuer({ port: 0, accessTokenTtl: 120, rotateRefreshTokens: true }),
    startIssuer({ port: 0, accessTokenTtl: 5, rotateRefreshTokens: true }),
    launchBrowser(),
  ]);
});

afterAll(async () => {
  await Promise.all(homes.map((h) => h.cleanup()));
  await browser?.close();
  await Promise.all([issuer?.close(), shortIssuer?.close()]);
});

async function signedIn(to: RunningIssuer): Promise<SignedIn> {
  const session = await signIn(browser, to, REDIRECT_PORT);
  homes.push(session);
  return session;
}

describe('refresh on an expired access token', () => {
  it('refreshes exactly once, and the provider accepts the new token', async () => {
    const session = await signedIn(shortIssuer);
    const before = await readStored(session.home);
    // Wait for the provider itself to stop accepting the token.
    for (let i = 0; i < 60 && (await userinfoStatus(shortIssuer.issuer, before.access_token)) === 200; i++) {
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(await userinfoStatus(shortIssuer.issuer, before.access_token)).toBe(401);
    shortIssuer.resetStats();

    const first = await runCli(['token', ...session.args, '--min-ttl', '1'], { env: session.env });
    expect(first.code, first.stderr).toBe(0);
    const accessToken = first.stdout.trim();
    expect(first.stdout).toBe(`${accessToken}\n`);
    expect(accessToken).not.toBe(before.access_token);
    expect(await userinfoStatus(shortIssuer.issuer, accessToken)).toBe(200);
    expect(shortIssuer.stats.refreshRequests).toBe(1);

    // The rotated refresh token was stored with the new access token.
    const after = await readStored(session.home);
    expect(after.access_token).toBe(accessToken);
    expect(after.refresh_token).not.toBe(before.refresh_token);
    expect(after.expires_at).toBeGreaterThan(Math.floor(Date.now() / 1000));

    // The fresh token is served from the store: no second refresh.
    const second = await runCli(['token', ...session.args, '--min-ttl', '1'], { env: session.env });
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout.trim()).toBe(accessToken);
    expect(shortIssuer.stats.refreshRequests).toBe(1);
  });
});

describe('32 processes asking at once', () => {
  it('make one refresh request, all print the same valid token, and the sign-in survives', async () => {
    const session = await signedIn(issuer);
    const before = await expireStoredToken(session.home, 5);
    issuer.resetStats();

    // Which processes loaded the full CLI (Node's ESM loader): only the one that refreshes. The others
    // wait on the refresh lock in the CommonJS launcher and serve what the refresher stored.
    const trace = await traceProcesses(session.env);
    const results = await Promise.all(
      Array.from({ length: 32 }, () => runCli(['token', ...session.args], { env: trace.env })),
    );

    for (const result of results) expect(result.code, result.stderr).toBe(0);
    const traces = await trace.loaded();
    expect(traces.length).toBe(32);
    const refreshers = traces.filter((t) => t.fullCli);
    expect(refreshers.length, 'processes that loaded the full CLI').toBe(1);
    // Straight to a plain-http provider, the refresh goes through Node's own fetch: undici (about
    // 80 ms of CPU to load) is for a proxy or more CAs only (adapters/http.ts).
    expect(refreshers[0]?.files.some((f) => f.includes('/node_modules/undici/'))).toBe(false);
    const printed = new Set(results.map((r) => r.stdout));
    expect(printed.size, 'every process printed the same token').toBe(1);
    const accessToken = results[0]?.stdout.trim() as string;
    expect(accessToken).not.toBe(before.access_token);
    expect(issuer.stats.refreshRequests, 'refresh requests seen by the provider').toBe(1);
    expect(issuer.stats.refreshFailures).toBe(0);
    expect(await userinfoStatus(issuer.issuer, accessToken)).toBe(200);

    // The refresh token stored by the one refresher still works: the grant was not revoked.
    await expireStoredToken(session.home, 5);
    const later = await runCli(['token', ...session.args], { env: session.env });
    expect(later.code, later.stderr).toBe(0);
    expect(later.stdout.trim()).not.toBe(accessToken);
    expect(issuer.stats.refreshRequests).toBe(2);
    expect(issuer.stats.refreshFailures).toBe(0);
    expect(await userinfoStatus(issuer.issuer, later.stdout.trim())).toBe(200);
  });
});

describe('a refresh token the provider no longer knows', () => {
  it('ends with exit 3 and refresh_rejected, keeps the credentials, and fails again without a request', async () => {
    const session = await signedIn(issuer);
    const before = await expireStoredToken(session.home, 5);
    await issuer.forgetGrants();
    issuer.resetStats();

    const first = await runCli(['token', ...session.args], { env: session.env });
    expect(first.code, first.stderr).toBe(3);
    expect(first.stdout).toBe('');
    expect(first.stderr).toMatch(/^error\[refresh_rejected\]: .*sign in again/im);
    expect(first.stderr).toMatch(/^fix: .*keyturn login/m);
    expect(issuer.stats.refreshRequests).toBe(1);

    // Kept: the same tokens, marked dead; status still says who was signed in.
    const kept = await readStored(session.home);
    expect(kept.refresh_token).toBe(before.refresh_token);
    expect(kept.access_token).toBe(before.access_token);
    expect(kept.refresh_dead?.code).toBe('refresh_rejected');
    const status = await runCli(['status', ...session.args, '--json'], { env: session.env });
    expect(status.code).toBe(3);
    const report = JSON.parse(status.stdout) as { subject: string; state: string; problem: { code: string } };
    expect(report).toMatchObject({
      subject: 'demo-user-1',
      state: 'sign_in_required',
      problem: { code: 'refresh_rejected' },
    });
    const human = await runCli(['status', ...session.args], { env: session.env });
    expect(human.code).toBe(3);
    expect(human.stdout).toContain('Was signed in as Demo User');
    expect(human.stdout).toContain('✗ Refresh token rejected by the provider');
    expect(human.stdout).not.toContain('✓ Refresh token held');

    // The second call fails at once with the same message, and the provider sees nothing.
    const requestsBefore = issuer.stats.tokenRequests;
    const second = await runCli(['token', ...session.args], { env: session.env });
    expect(second.code).toBe(3);
    expect(second.stderr).toBe(first.stderr);
    expect(issuer.stats.tokenRequests).toBe(requestsBefore);
    expect(issuer.stats.refreshRequests).toBe(1);

    // The next login replaces it all.
    await signIn(browser, issuer, REDIRECT_PORT, session);
    const fresh = await readStored(session.home);
    expect(fresh.refresh_dead).toBeUndefined();
    expect(fresh.refresh_token).not.toBe(before.refresh_token);
    const token = await runCli(['token', ...session.args], { env: session.env });
    expect(token.code, token.stderr).toBe(0);
    expect(token.stdout.trim()).toBe(fresh.access_token);
  });
});
