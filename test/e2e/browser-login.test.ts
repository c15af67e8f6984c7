import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startIssuer, type RunningIssuer } from '../../src/issuer/index.js';
import { launchBrowser, signInInBrowser } from '../helpers/browser.js';
import { runCli, startCli, tempHome, URL_LINE } from '../helpers/cli.js';

let issuer: RunningIssuer;
let browser: Browser;

beforeAll(async () => {
  issuer = await startIssuer({ port: 0 });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await issuer?.close();
});

async function userinfoStatus(accessToken: string): Promise<number> {
  const discovery = (await (await fetch(`${issuer.issuer}/.well-known/openid-configuration`)).json()) as {
    userinfo_endpoint: string;
  };
  const response = await fetch(discovery.userinfo_endpoint, {
    headers: { authorization: `Bearer ${accessToken}` },
  });
  return response.status;
}

describe('browser sign-in with the built CLI and real Chromium', () => {
  it('signs in, then `keyturn token` prints a token the userinfo endpoint accepts', async () => {
    const { home, cleanup } = await tempHome();
    try {
      const args = ['--issuer', issuer.issuer, '--client-id', issuer.clientId];
      // Another port than 1455, so parallel test files do not collide.
      const login = startCli(
        ['login', ...args, '--no-open', '--redirect-uri', 'http://127.0.0.1:18455/auth/callback'],
        {
          env: { KEYTURN_HOME: home },
        },
      );
      const [, url] = await login.waitForStderr(URL_LINE);
      const page = await signInInBrowser(browser, url as string);
      expect(page.bodyText).toContain('Signed in');
      const result = await login.done;
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toBe('');

      const token = await runCli(['token', ...args], { env: { KEYTURN_HOME: home } });
      expect(token.code, token.stderr).toBe(0);
      const accessToken = token.stdout.trim();
      expect(accessToken.length).toBeGreaterThan(20);
      expect(token.stdout).toBe(`${accessToken}\n`);
      expect(await userinfoStatus(accessToken)).toBe(200);
      expect(await userinfoStatus('not-a-token')).toBe(401);
    } finally {
      await cleanup();
    }
  });
});
