import { readFile, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startIssuer, type RunningIssuer } from '../../src/issuer/index.js';
import { launchBrowser, signInInBrowser } from '../helpers/browser.js';
import { startCli, tempHome, URL_LINE, type CliResult, type RunningCli } from '../helpers/cli.js';
import { userinfoStatus } from '../helpers/userinfo.js';

/**
 * The built CLI as a child process, real Chromium filling in the embedded server's login form.
 * Fixed ports of this file: 18455 (sign-ins, one at a time) and 18456 (demo).
 */

const PORT = 18455;
const REDIRECT_URI = `http://127.0.0.1:${PORT}/auth/callback`;
const DEMO_PORT = 18456;

let issuer: RunningIssuer;
let browser: Browser;
let home: string;
let cleanup: () => Promise<void>;
/** Every CLI run of this file, for the closing check that no secret reached stderr. */
const runs: CliResult[] = [];
/** Every token value the store held during this file. */
const secrets = new Set<string>();

beforeAll(async () => {
  [issuer, browser, { home, cleanup }] = await Promise.all([
    startIssuer({ port: 0 }),
    launchBrowser(),
    tempHome(),
  ]);
});

afterAll(async () => {
  await browser?.close();
  await issuer?.close();
  await cleanup?.();
});

function providerArgs(): string[] {
  return ['--issuer', issuer.issuer, '--client-id', issuer.clientId];
}

function cli(args: string[], options: { home?: string; input?: string } = {}): RunningCli {
  const running = startCli(args, {
    env: { KEYTURN_HOME: options.home ?? home, KEYTURN_STORE: 'file' },
    ...(options.input === undefined ? {} : { input: options.input }),
  });
  void running.done.then((result) => runs.push(result));
  return running;
}

const run = (args: string[], options: { home?: string; input?: string } = {}) => cli(args, options).done;

function login(extra: string[] = [], options: { home?: string } = {}): RunningCli {
  return cli(['login', ...providerArgs(), '--no-open', '--redirect-uri', REDIRECT_URI, ...extra], options);
}

/** Resolves with the result, or fails when the process does not exit within `ms`. */
function exitWithin(running: RunningCli, ms: number): Promise<CliResult> {
  return Promise.race([
    running.done,
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`the CLI did not exit; stderr:\n${running.stderr()}`)), ms),
    ),
  ]);
}

async function storedCredentials(dir = home): Promise<Record<string, string>> {
  const doc = JSON.parse(await readFile(join(dir, 'auth.json'), 'utf8')) as {
    profiles: Record<string, Record<string, string>>;
  };
  const credentials = doc.profiles.default as Record<string, string>;
  for (const key of ['access_token', 'refresh_token', 'id_token']) {
    if (credentials[key] !== undefined) secrets.add(credentials[key]);
  }
  return credentials;
}

/** A request to the callback server; resolves with its status, page and headers. */
async function hitCallback(
  pathAndQuery: string,
  method = 'GET',
): Promise<{ status: number; html: string; csp: string | null }> {
  const response = await fetch(`http://127.0.0.1:${PORT}${pathAndQuery}`, { method });
  return {
    status: response.status,
    html: await response.text(),
    csp: response.headers.get('content-security-policy'),
  };
}

function portIsClosed(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

function expectCleanFailure(result: CliResult, code: string, exitCode: number): void {
  expect(result.code, result.stderr).toBe(exitCode);
  expect(result.stderr).toContain(`error[${code}]: `);
  expect(result.stderr).toMatch(/^fix: \S/m);
  // No stack trace unless KEYTURN_DEBUG=1.
  expect(result.stderr).not.toMatch(/^\s+at /m);
}

describe('browser sign-in with the built CLI and real Chromium', () => {
  it('answers junk on the callback with 4xx and self-contained pages, then still signs in', async () => {
    const running = login();
    const [, url] = await running.waitForStderr(URL_LINE);
    const state = new URL(url as string).searchParams.get('state') as string;
    const answers = {
      'wrong path': await hitCallback(`/favicon.ico`),
      'wrong state': await hitCallback(`/auth/callback?code=stolen&state=not-this-one`),
      'missing code': await hitCallback(`/auth/callback?state=${state}`),
      'duplicated params': await hitCallback(`/auth/callback?code=a&code=b&state=${state}`),
      oversized: await hitCallback(`/auth/callback?code=a&state=${state}&pad=${'x'.repeat(9000)}`),
      'not GET': await hitCallback(`/auth/callback?code=a&state=${state}`, 'POST'),
    };
    expect(Object.fromEntries(Object.entries(answers).map(([k, v]) => [k, v.status]))).toEqual({
      'wrong path': 404,
      'wrong state': 400,
      'missing code': 400,
      'duplicated params': 400,
      oversized: 414,
      'not GET': 405,
    });
    for (const answer of Object.values(answers)) {
      expect(answer.html).toContain('<!doctype html>');
      // Self-contained: nothing on the page loads from anywhere, and the CSP forbids it anyway.
      expect(answer.html).not.toMatch(/https?:\/\/|\bsrc=|\bhref=|url\(|@import/i);
      expect(answer.csp).toContain("default-src 'none'");
    }

    const page = await signInInBrowser(browser, url as string);
    expect(page.bodyText).toContain('Signed in');
    const result = await running.done;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('Signed in to');
    // The callback server is gone right after the sign-in.
    expect(await portIsClosed(PORT)).toBe(true);
  });

  it('`keyturn token` prints the stored token, which the userinfo endpoint accepts', async () => {
    const stored = await storedCredentials();
    const token = await run(['token', ...providerArgs()]);
    expect(token.code, token.stderr).toBe(0);
    expect(token.stdout).toBe(`${stored.access_token}\n`);
    expect(await userinfoStatus(issuer.issuer, token.stdout.trim())).toBe(200);
    expect(await userinfoStatus(issuer.issuer, 'not-a-token')).toBe(401);
  });

  it('`keyturn token --json` prints {access_token, token_type, expires_at, scope}', async () => {
    const stored = await storedCredentials();
    const result = await run(['token', ...providerArgs(), '--json']);
    expect(result.code, result.stderr).toBe(0);
    const doc = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(Object.keys(doc).sort()).toEqual(['access_token', 'expires_at', 'scope', 'token_type']);
    expect(doc).toMatchObject({
      access_token: stored.access_token,
      token_type: expect.stringMatching(/^bearer$/i),
      expires_at: expect.any(Number),
      scope: expect.stringContaining('openid'),
    });
  });

  it('`keyturn status` tells who is signed in; `--json` gives the report without a secret', async () => {
    const human = await run(['status', ...providerArgs()]);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toContain('Signed in as Demo User <demo@keyturn.invalid> (sub demo-user-1)');
    expect(human.stdout).toContain('Refresh token held');

    const result = await run(['status', ...providerArgs(), '--json']);
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(report).toMatchObject({
      profile: 'default',
      signed_in: true,
      state: 'ok',
      kind: 'oauth',
      issuer: issuer.issuer,
      client_id: issuer.clientId,
      subject: 'demo-user-1',
      email: 'demo@keyturn.invalid',
      name: 'Demo User',
      expires_at: expect.any(Number),
      expires_in: expect.any(Number),
      has_refresh_token: true,
      api_key: null,
      store: { kind: 'file', location: join(home, 'auth.json') },
      problem: null,
    });
    for (const secret of secrets) expect(result.stdout).not.toContain(secret);
  });

  it('`keyturn logout` revokes the tokens at the server, then forgets them', async () => {
    const stored = await storedCredentials();
    const before = issuer.stats.revocations;
    const result = await run(['logout', ...providerArgs()]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain('revoked refresh_token and access_token');
    expect(issuer.stats.revocations - before).toBe(2);
    // The revoked refresh token no longer works at the token endpoint.
    const refresh = await fetch(`${issuer.issuer}/token`, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: stored.refresh_token as string,
        client_id: issuer.clientId,
      }),
    });
    expect(refresh.status).toBe(400);
    expect(((await refresh.json()) as { error: string }).error).toBe('invalid_grant');
    expect(await userinfoStatus(issuer.issuer, stored.access_token as string)).toBe(401);

    expectCleanFailure(await run(['token', ...providerArgs()]), 'not_signed_in', 3);
  });
});

describe('sign-ins that do not complete', () => {
  it('Deny on the consent page ends the sign-in with error[access_denied], exit 1', async () => {
    const { home: deniedHome, cleanup: clean } = await tempHome();
    try {
      const running = login([], { home: deniedHome });
      const [, url] = await running.waitForStderr(URL_LINE);
      const page = await signInInBrowser(browser, url as string, { deny: true });
      expect(page.bodyText).toContain('Sign-in failed');
      const result = await running.done;
      expectCleanFailure(result, 'access_denied', 1);
      expect(result.stdout).toBe('');
      expect(await portIsClosed(PORT)).toBe(true);
    } finally {
      await clean();
    }
  });

  it('Ctrl-C stops a waiting sign-in at once and frees the port for the next one, which gets fresh PKCE, state and nonce', async () => {
    const { home: retryHome, cleanup: clean } = await tempHome();
    try {
      const first = login([], { home: retryHome });
      const [, firstUrl] = await first.waitForStderr(URL_LINE);
      first.child.kill('SIGINT');
      const interrupted = await exitWithin(first, 15_000);
      expect(interrupted.code).not.toBe(0);
      expect(interrupted.code).not.toBeNull();

      const second = login([], { home: retryHome });
      const [, secondUrl] = await second.waitForStderr(URL_LINE);
      const page = await signInInBrowser(browser, secondUrl as string);
      expect(page.bodyText).toContain('Signed in');
      const result = await second.done;
      expect(result.code, result.stderr).toBe(0);
      await storedCredentials(retryHome);

      const a = new URL(firstUrl as string).searchParams;
      const b = new URL(secondUrl as string).searchParams;
      for (const name of ['state', 'nonce', 'code_challenge'])
        expect(b.get(name), name).not.toBe(a.get(name));
      expect(b.get('code_challenge_method')).toBe('S256');
    } finally {
      await clean();
    }
  });

  it('`--timeout 2` with no browser ends with error[login_timeout], exit 1, and frees the port', async () => {
    const result = await exitWithin(login(['--timeout', '2']), 30_000);
    expectCleanFailure(result, 'login_timeout', 1);
    expect(await portIsClosed(PORT)).toBe(true);
  });
});

describe('usage and store errors', () => {
  it('bad usage exits 2 with error[usage]', async () => {
    const cases = [
      ['lgoin'],
      ['login', '--timeout', 'soon'],
      ['login', '--timeout', '0'],
      ['token', '--min-ttl', 'x'],
      ['login', '--no-such-option'],
      ['login', ...providerArgs(), '--device', '--api-key'],
    ];
    for (const args of cases) {
      const result = await run(args);
      expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(2);
      expect(result.stderr, args.join(' ')).toContain('error[usage]: ');
      expect(result.stderr).not.toMatch(/^\s+at /m);
    }
  });

  it('a corrupt auth.json gives error[store_unreadable] and a fix, never a stack trace', async () => {
    const { home: corruptHome, cleanup: clean } = await tempHome();
    try {
      await writeFile(join(corruptHome, 'auth.json'), '{"version": 1, "profiles": {"default": {"kind": "oau');
      for (const command of ['token', 'status', 'logout']) {
        const result = await run([command, ...providerArgs()], { home: corruptHome });
        expectCleanFailure(result, 'store_unreadable', 1);
        expect(result.stderr).toContain(join(corruptHome, 'auth.json'));
      }
      const json = await run(['status', ...providerArgs(), '--json'], { home: corruptHome });
      expect(JSON.parse(json.stdout)).toMatchObject({
        error: { code: 'store_unreadable', fix: expect.any(String), transient: false },
      });
    } finally {
      await clean();
    }
  });
});

describe('keyturn demo', () => {
  it('signs in through the browser against its own server, narrates each step, shows status, and leaves nothing listening', async () => {
    const demoRedirect = `http://127.0.0.1:${DEMO_PORT}/auth/callback`;
    const running = cli(['demo', '--no-open', '--redirect-uri', demoRedirect]);
    const [, url] = await running.waitForStderr(URL_LINE);
    const [, demoIssuer] = await running.waitForStderr(/provider at (http:\/\/127\.0\.0\.1:\d+)/);
    expect(new URL(url as string).origin).toBe(demoIssuer);
    const page = await signInInBrowser(browser, url as string);
    expect(page.bodyText).toContain('Signed in');
    const result = await exitWithin(running, 30_000);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('');
    const steps = [...result.stderr.matchAll(/^\[\d+\] ([^:]+):/gm)].map((m) => m[1]);
    expect(steps).toEqual(['Authorization server', 'Discovery', 'PKCE', 'Callback', 'Exchange', 'Store']);
    expect(result.stderr).toContain('Signed in as Demo User');
    expect(await portIsClosed(Number(new URL(demoIssuer as string).port))).toBe(true);
    expect(await portIsClosed(DEMO_PORT)).toBe(true);
  });
});

describe('secrets', () => {
  it('no command of this file printed a token value on stderr', () => {
    expect(secrets.size).toBeGreaterThan(3);
    expect(runs.length).toBeGreaterThan(10);
    for (const result of runs) {
      for (const secret of secrets) expect(result.stderr).not.toContain(secret);
      // Nor anything shaped like a JWT (the demo's tokens are gone with its scratch folder).
      expect(result.stderr).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/);
    }
  });
});
