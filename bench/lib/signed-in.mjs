// A real signed-in store for benchmarks: the built-in server as `keyturn dev-issuer` runs it, and a
// real browser sign-in through the built CLI and Debian's Chromium.
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { KEYTURN } from './measure.mjs';
import chromiumConfig from '../../test/helpers/chromium.json' with { type: 'json' };

/** Runs `node ...args`; resolves with its exit code and output. */
export function run(args, env, onStderr) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, {
      env: { ...process.env, NO_COLOR: '1', BROWSER: 'none', KEYTURN_STORE: 'file', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d) => {
      stderr += d;
      onStderr?.(stderr);
    });
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** `keyturn dev-issuer` on an ephemeral port; its counters are read from a stats file in `dir`. */
export async function startIssuer(dir, accessTokenTtl) {
  const statsFile = join(dir, 'issuer-stats.json');
  const child = spawn(
    process.execPath,
    [
      KEYTURN,
      'dev-issuer',
      '--port',
      '0',
      '--json',
      '--access-token-ttl',
      String(accessTokenTtl),
      '--stats-file',
      statsFile,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } },
  );
  let stdout = '';
  const facts = await new Promise((resolve, reject) => {
    child.on('exit', (code) => reject(new Error(`dev-issuer exited ${code}`)));
    child.stdout.setEncoding('utf8').on('data', (d) => {
      stdout += d;
      try {
        resolve(JSON.parse(stdout));
      } catch {
        // not complete yet
      }
    });
  });
  return { child, facts, stats: () => JSON.parse(readFileSync(statsFile, 'utf8')) };
}

/** Debian's Chromium with the flags this machine needs (the tests' list: no background traffic). */
export function launchChromium() {
  return chromium.launch({
    executablePath: process.env.KEYTURN_TEST_CHROMIUM ?? chromiumConfig.executablePath,
    headless: true,
    args: chromiumConfig.args,
  });
}

/** A real sign-in, through the CLI and Chromium, into `home`. */
export async function signIn(browser, facts, home, redirectPort) {
  const flags = ['--issuer', facts.issuer, '--client-id', facts.client_id];
  let url;
  const seen = new Promise((resolve) => {
    url = resolve;
  });
  const login = run(
    [
      KEYTURN,
      'login',
      ...flags,
      '--no-open',
      '--redirect-uri',
      `http://127.0.0.1:${redirectPort}/auth/callback`,
    ],
    { KEYTURN_HOME: home },
    (stderr) => {
      const match = /Open this URL to sign in: (\S+)/.exec(stderr);
      if (match) url(match[1]);
    },
  );
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(await Promise.race([seen, login.then((r) => Promise.reject(new Error(r.stderr)))]));
  await page.locator('input[name="username"]').fill(facts.username);
  await page.locator('input[name="password"]').fill(facts.password);
  await Promise.all([
    page.waitForEvent('framenavigated'),
    page.getByRole('button', { name: 'Sign in' }).click(),
  ]);
  await page.getByRole('button', { name: 'Allow' }).click();
  const result = await login;
  await context.close();
  if (result.code !== 0) throw new Error(`login failed: ${result.stderr}`);
  return { home, flags };
}

/** Makes the stored access token expire in 5 s, as the client sees it. */
export function expireSoon(home) {
  const file = join(home, 'auth.json');
  const doc = JSON.parse(readFileSync(file, 'utf8'));
  const now = Math.floor(Date.now() / 1000);
  doc.profiles.default.expires_at = now + 5;
  doc.profiles.default.obtained_at = now - 3600;
  writeFileSync(file, JSON.stringify(doc, null, 2), { mode: 0o600 });
}
