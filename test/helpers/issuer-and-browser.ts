import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { startIssuer, type RunningIssuer } from '../../src/issuer/index.js';
import { launchBrowser } from './browser.js';
import { tempHome } from './cli.js';

/**
 * The set-up of an end-to-end file that signs in through Chromium: the embedded issuer and the browser
 * for the whole file, and keyturn homes made per test and removed after it. Call at the top of the
 * file; `issuer` and `browser` are there from `beforeAll` on.
 */
export function issuerAndBrowser(): {
  readonly issuer: RunningIssuer;
  readonly browser: Browser;
  /** A fresh KEYTURN_HOME, removed after the test. */
  home(): Promise<string>;
  /** Runs `cleanup` after the test. */
  onCleanup(cleanup: () => Promise<void>): void;
} {
  let issuer: RunningIssuer | undefined;
  let browser: Browser | undefined;
  const cleanups: (() => Promise<void>)[] = [];
  beforeAll(async () => {
    [issuer, browser] = await Promise.all([startIssuer({ port: 0 }), launchBrowser()]);
  });
  afterAll(async () => {
    await browser?.close();
    await issuer?.close();
  });
  afterEach(async () => {
    await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
  });
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('issuerAndBrowser: used before beforeAll');
    return value;
  };
  return {
    get issuer() {
      return started(issuer);
    },
    get browser() {
      return started(browser);
    },
    async home() {
      const { home, cleanup } = await tempHome();
      cleanups.push(cleanup);
      return home;
    },
    onCleanup(cleanup) {
      cleanups.push(cleanup);
    },
  };
}
