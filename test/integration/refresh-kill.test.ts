import { watch } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startIssuer, type RunningIssuer } from '../../src/issuer/index.js';
import { launchBrowser } from '../helpers/browser.js';
import { runCli, startCli } from '../helpers/cli.js';
import { expireStoredToken, readStored, signIn, userinfoStatus, type SignedIn } from './refresh-support.js';

/** Crash safety: `keyturn token` killed with -9 at any instant of a refresh. */

const REDIRECT_PORT = 18502;
const KILLS = 20;

let issuer: RunningIssuer;
let browser: Browser;
let session: SignedIn | undefined;

beforeAll(async () => {
  [issuer, browser] = await Promise.all([
    startIssuer({ port: 0, accessTokenTtl: 120, rotateRefreshTokens: true }),
    launchBrowser(),
  ]);
});

afterAll(async () => {
  await session?.cleanup();
  await browser?.close();
  await issuer?.close();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Starts `keyturn token` and resolves once it has entered the refresh: its lock file has appeared
 * (false if the process ended first).
 */
function startRefresh(session: SignedIn) {
  let watcher: ReturnType<typeof watch> | undefined;
  const entered = new Promise<boolean>((resolve) => {
    watcher = watch(session.home, (_event, name) => {
      // The lock did not exist before: the first event naming it is its creation.
      if (name === 'refresh-default.lock') resolve(true);
    });
  });
  const run = startCli(['token', ...session.args], { env: session.env });
  const refreshing = Promise.race([entered, run.done.then(() => false)]).finally(() => watcher?.close());
  return { run, refreshing };
}
const refreshesGranted = () => issuer.stats.refreshRequests - issuer.stats.refreshFailures;

describe('a refresh killed with SIGKILL', () => {
  it('leaves a store that parses and holds the old or the new token set, every time', async () => {
    session = await signIn(browser, issuer, REDIRECT_PORT);
    const { home, args, env } = session;

    // How long a refresh holds its lock here, until the process exits: the kills land in that span.
    await expireStoredToken(home, 5);
    const probe = startRefresh(session);
    expect(await probe.refreshing).toBe(true);
    const started = Date.now();
    const probed = await probe.run.done;
    const span = Math.max(20, Date.now() - started);
    expect(probed.code, probed.stderr).toBe(0);

    // Kill times are spread evenly over a little more than that span, slice by slice, so some land
    // after the store write. The window follows the machine: a run that finishes before its kill
    // shrinks it (the kills stay inside refreshes), a killed one widens it (some still reach the end).
    const slices = 24;
    let window = 1.25 * span;
    const outcomes = { old: 0, new: 0, lostToRotation: 0 };
    let kills = 0;
    let finished = 0;
    let grantedMark = refreshesGranted();
    for (let i = 0; (kills < KILLS || i < slices) && i < 6 * slices; i++) {
      if (refreshesGranted() !== grantedMark) {
        // The provider finished the previous victim's refresh only after we looked: the stored
        // (old) refresh token is spent.
        outcomes.lostToRotation++;
        await signIn(browser, issuer, REDIRECT_PORT, session);
      }
      const before = await expireStoredToken(home, 5);
      grantedMark = refreshesGranted();
      const { run, refreshing } = startRefresh(session);
      await refreshing;
      await sleep((window * ((i % slices) + Math.random())) / slices);
      run.child.kill('SIGKILL');
      const result = await run.done;
      if (result.signal === 'SIGKILL') {
        kills++;
        window = Math.min(1.6 * span, window * 1.03);
      } else {
        finished++;
        window = Math.max(0.6 * span, window * 0.9);
      }
      // Let the provider finish whatever the dead process had sent.
      await sleep(100);
      const granted = refreshesGranted() - grantedMark;
      grantedMark = refreshesGranted();

      const stored = await readStored(home);
      if (stored.access_token === before.access_token) {
        expect(stored, 'the old token set, untouched').toEqual(before);
        if (granted === 0) {
          outcomes.old++;
        } else {
          // The provider rotated the refresh token, and the process died before it could store the
          // answer: with rotation, no client can keep that sign-in. Sign in again and go on.
          outcomes.lostToRotation++;
          await signIn(browser, issuer, REDIRECT_PORT, session);
        }
      } else {
        expect(granted, 'the new token set is the one the provider just issued').toBe(1);
        expect(stored.refresh_token).not.toBe(before.refresh_token);
        expect(stored.refresh_dead).toBeUndefined();
        expect(await userinfoStatus(issuer.issuer, stored.access_token)).toBe(200);
        outcomes.new++;
      }
    }

    expect(kills).toBeGreaterThanOrEqual(KILLS);
    // Sanity: some runs were cut before the refresh, and some got through to the new token set.
    expect(outcomes.old).toBeGreaterThan(0);
    expect(outcomes.new).toBeGreaterThan(0);

    // The lock the last victim may have left does not hold up the next run.
    if (refreshesGranted() !== grantedMark) await signIn(browser, issuer, REDIRECT_PORT, session);
    await expireStoredToken(home, 5);
    const after = await runCli(['token', ...args], { env });
    expect(after.code, after.stderr).toBe(0);
    expect(after.stderr).not.toMatch(/waiting for pid/);
    expect(await userinfoStatus(issuer.issuer, after.stdout.trim())).toBe(200);
    expect((await readdir(home)).filter((name) => name.endsWith('.lock'))).toEqual([]);
    console.info(
      `SIGKILL outcomes: ${JSON.stringify({ kills, finished, ...outcomes, spanMs: span, windowMs: Math.round(window) })}`,
    );
  }, 240_000);
});
