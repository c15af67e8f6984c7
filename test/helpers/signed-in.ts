/**
 * A real sign-in for the tests of the helpers (`exec`, `credential git`, `credential kubectl`): the
 * built CLI's `login` against the embedded issuer, Chromium filling in its form, into a fresh
 * KEYTURN_HOME with the file store.
 */
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { expect } from 'vitest';
import type { OAuthCredentials } from '../../src/core/credentials.js';
import { signInInBrowser } from './browser.js';
import { startCli, tempHome, URL_LINE } from './cli.js';

export interface Session {
  home: string;
  /** The environment every command of the test runs with (KEYTURN_HOME, the file store). */
  env: Record<string, string>;
  cleanup(): Promise<void>;
}

export async function signedIn(
  browser: Browser,
  issuer: { issuer: string; clientId: string },
  redirectPort: number,
): Promise<Session> {
  const { home, cleanup } = await tempHome();
  const env = { KEYTURN_HOME: home, KEYTURN_STORE: 'file' };
  // Flags once, at sign-in: later commands find the provider in config.toml.
  await writeFile(
    join(home, 'config.toml'),
    `[profiles.default]\nissuer = "${issuer.issuer}"\nclient_id = "${issuer.clientId}"\n`,
  );
  const login = startCli(
    ['login', '--no-open', '--redirect-uri', `http://127.0.0.1:${redirectPort}/auth/callback`],
    { env },
  );
  const [, url] = await login.waitForStderr(URL_LINE);
  await signInInBrowser(browser, url as string);
  const result = await login.done;
  expect(result.code, result.stderr).toBe(0);
  return { home, env, cleanup };
}

/** The stored credentials of the default profile. */
export async function stored(home: string): Promise<OAuthCredentials> {
  const doc = JSON.parse(await readFile(join(home, 'auth.json'), 'utf8')) as {
    profiles: Record<string, OAuthCredentials>;
  };
  const credentials = doc.profiles.default;
  if (credentials === undefined) throw new Error('auth.json holds no "default" profile');
  return credentials;
}

/** Rewrites the stored credentials of the default profile. */
export async function restore(home: string, change: (c: OAuthCredentials) => void): Promise<void> {
  const path = join(home, 'auth.json');
  const doc = JSON.parse(await readFile(path, 'utf8')) as { profiles: Record<string, OAuthCredentials> };
  change(doc.profiles.default as OAuthCredentials);
  await writeFile(path, JSON.stringify(doc), { mode: 0o600 });
}

/** A fingerprint of a secret, for comparing without printing it. */
export function fingerprint(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}
