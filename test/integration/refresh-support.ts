/**
 * Shared steps of the refresh tests: a real sign-in (built CLI + Chromium) into a fresh KEYTURN_HOME,
 * reading and ageing the stored token set, asking the provider whether a token works.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { expect } from 'vitest';
import type { OAuthCredentials } from '../../src/core/credentials.js';
import { signInInBrowser } from '../helpers/browser.js';
import { startCli, tempHome, URL_LINE } from '../helpers/cli.js';

export interface SignedIn {
  home: string;
  /** `--issuer X --client-id Y`: the flags every command of the test passes. */
  args: string[];
  env: Record<string, string>;
  cleanup(): Promise<void>;
}

/** Signs a fresh KEYTURN_HOME in through the browser: its own grant, its own refresh token. */
export async function signIn(
  browser: Browser,
  issuer: { issuer: string; clientId: string },
  redirectPort: number,
  /** Sign in again into this KEYTURN_HOME instead of a fresh one. */
  into?: SignedIn,
): Promise<SignedIn> {
  const { home, cleanup } = into ?? (await tempHome());
  const args = ['--issuer', issuer.issuer, '--client-id', issuer.clientId];
  const env = { KEYTURN_HOME: home };
  const login = startCli(
    ['login', ...args, '--no-open', '--redirect-uri', `http://127.0.0.1:${redirectPort}/auth/callback`],
    { env },
  );
  const [, url] = await login.waitForStderr(URL_LINE);
  await signInInBrowser(browser, url as string);
  const result = await login.done;
  expect(result.code, result.stderr).toBe(0);
  const stored = await readStored(home);
  expect(stored.refresh_token, 'the sign-in holds a refresh token').toBeTypeOf('string');
  return { home, args, env, cleanup };
}

export function authFile(home: string): string {
  return join(home, 'auth.json');
}

/** The stored credentials of the default profile (throws when auth.json does not parse). */
export async function readStored(home: string): Promise<OAuthCredentials> {
  const doc = JSON.parse(await readFile(authFile(home), 'utf8')) as {
    version: number;
    profiles: Record<string, OAuthCredentials>;
  };
  expect(doc.version).toBe(1);
  const credentials = doc.profiles.default;
  if (credentials === undefined) throw new Error('auth.json holds no "default" profile');
  return credentials;
}

/**
 * Makes the stored access token expire `inSeconds` from now, as the client sees it: the state of a
 * sign-in whose token is about to run out, without waiting for it.
 */
export async function expireStoredToken(home: string, inSeconds: number): Promise<OAuthCredentials> {
  const doc = JSON.parse(await readFile(authFile(home), 'utf8')) as {
    version: number;
    profiles: Record<string, OAuthCredentials>;
  };
  const credentials = doc.profiles.default as OAuthCredentials;
  const now = Math.floor(Date.now() / 1000);
  credentials.expires_at = now + inSeconds;
  credentials.obtained_at = now - 3600;
  await writeFile(authFile(home), `${JSON.stringify(doc, null, 2)}\n`, { mode: 0o600 });
  return credentials;
}

export { userinfoStatus } from '../helpers/userinfo.js';
