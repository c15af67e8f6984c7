/**
 * examples/acme: a CLI built only on keyturn's public API (`import … from 'keyturn'`, the package as
 * published), run as its users run it, against the built-in authorization server, real Chromium and
 * a resource server that checks every token with the provider. Its users must never see the word
 * "keyturn": not on stdout, stderr, the callback page, nor in the folders it creates.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startIssuer, type RunningIssuer } from '../../src/issuer/index.js';
import { approveDeviceInBrowser, launchBrowser, signInInBrowser } from '../helpers/browser.js';
import { startProtectedApi, type ProtectedApi } from '../helpers/protected-api.js';

const ACME = resolve(import.meta.dirname, '../../examples/acme/acme.mjs');
/** acme's registered redirect URI (the library range: 18740-18759). */
const REDIRECT_URI = 'http://127.0.0.1:18740/callback';
const API_KEY = 'acme_live_Zq8v3KkT1mYw9xLpR2cN7bHdE4fU';

let issuer: RunningIssuer;
let browser: Browser;
let api: ProtectedApi;
let home: string;
let keyturnHome: string;
/** Everything acme showed its user. */
const shown: string[] = [];

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function acme(
  args: string[],
  options: { input?: string; env?: Record<string, string>; onStderr?: (text: string) => void } = {},
): Promise<Run> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    // The user's own settings: nothing of keyturn's test setup, nor XDG folders.
    if (value !== undefined && !key.startsWith('KEYTURN_') && !key.startsWith('XDG_')) env[key] = value;
  }
  Object.assign(env, {
    HOME: home,
    // A desktop session whose browser this test drives: acme prints the URL instead of opening one.
    DISPLAY: ':99',
    BROWSER: 'none',
    NO_COLOR: '1',
    ACME_ISSUER: issuer.issuer,
    ACME_CLIENT_ID: 'acme-cli',
    ACME_API_URL: api.url,
    ACME_STORE: 'file',
    // A keyturn user's own setting: acme must not read it.
    KEYTURN_HOME: keyturnHome,
    ...options.env,
  });
  for (const name of ['SSH_CONNECTION', 'SSH_CLIENT', 'SSH_TTY'])
    if (!(options.env && name in options.env)) delete env[name];
  const child = spawn(process.execPath, [ACME, ...args], { env, cwd: home, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
    options.onStderr?.(stderr);
  });
  child.stdin.end(options.input ?? '');
  return new Promise((done) =>
    child.on('close', (code) => {
      shown.push(stdout, stderr);
      done({ code, stdout, stderr });
    }),
  );
}

/** Runs acme until `pattern` shows on its stderr; resolves with the match and the finished run. */
function acmeUntil(args: string[], pattern: RegExp, env?: Record<string, string>) {
  let found: (match: RegExpMatchArray) => void;
  const match = new Promise<RegExpMatchArray>((resolveMatch) => (found = resolveMatch));
  const run = acme(args, {
    ...(env === undefined ? {} : { env }),
    onStderr: (text) => {
      const m = text.match(pattern);
      if (m) found(m);
    },
  });
  void run.then((r) => found(r.stderr.match(pattern) ?? ([] as unknown as RegExpMatchArray)));
  return { match, run };
}

async function filesUnder(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { recursive: true });
  return entries.map((entry) => relative(folder, join(folder, entry)));
}

beforeAll(async () => {
  [issuer, browser] = await Promise.all([
    startIssuer({
      port: 0,
      rotateRefreshTokens: true,
      clients: [
        {
          client_id: 'acme-cli',
          client_name: 'Acme',
          application_type: 'native',
          token_endpoint_auth_method: 'none',
          redirect_uris: [REDIRECT_URI],
          grant_types: [
            'authorization_code',
            'refresh_token',
            'urn:ietf:params:oauth:grant-type:device_code',
          ],
          response_types: ['code'],
        },
      ],
    }),
    launchBrowser(),
  ]);
  api = await startProtectedApi(issuer.issuer);
  home = await mkdtemp(join(tmpdir(), 'acme-user-'));
  keyturnHome = await mkdtemp(join(tmpdir(), 'acme-other-tool-'));
});

afterAll(async () => {
  await browser?.close();
  await api?.close();
  await issuer?.close();
  for (const folder of [home, keyturnHome])
    if (folder !== undefined) await rm(folder, { recursive: true, force: true });
});

describe('acme, a CLI built on keyturn’s library', () => {
  it('signs in through the browser, calls its API, survives a refused token, signs out', async () => {
    const before = await acme(['whoami']);
    expect(before.code).toBe(3);
    expect(before.stderr).toContain('Not signed in. Run `acme login`');

    const login = acmeUntil(['login'], /Sign in to Acme at: (\S+)/);
    const [, url] = await login.match;
    expect(url).toBeDefined();
    const page = await signInInBrowser(browser, url as string);
    shown.push(page.bodyText);
    expect(page.bodyText).toContain('You are signed in to Acme. You can close this tab.');
    const loggedIn = await login.run;
    expect(loggedIn.code, loggedIn.stderr).toBe(0);
    expect(loggedIn.stderr).toContain('Signed in as Demo User.');

    const whoami = await acme(['whoami']);
    expect(whoami).toMatchObject({ code: 0, stdout: 'Demo User\n' });

    const get = await acme(['get', '/orders']);
    expect(get.code, get.stderr).toBe(0);
    expect(JSON.parse(get.stdout)).toMatchObject({ sub: 'demo-user-1', method: 'GET' });

    // The API stops accepting the token acme holds: acme refreshes and sends the order once more.
    const held = api.requests.at(-1)?.token as string;
    api.refuse(held);
    api.requests.length = 0;
    issuer.resetStats();
    const post = await acme(['post', '/orders', '{"item":"anvil"}']);
    expect(post.code, post.stderr).toBe(0);
    expect(JSON.parse(post.stdout)).toMatchObject({ method: 'POST', echo: '{"item":"anvil"}' });
    expect(api.requests.map((r) => r.status)).toEqual([401, 200]);
    expect(issuer.stats.refreshRequests).toBe(1);

    const doctor = await acme(['doctor']);
    expect(doctor.code, doctor.stdout).toBe(0);
    expect(doctor.stdout).toContain('✓');
    const doctorJson = await acme(['doctor', '--json']);
    const report = JSON.parse(doctorJson.stdout) as { ok: boolean; findings: { code: string }[] };
    expect(report.ok).toBe(true);
    expect(report.findings.map((f) => f.code)).toEqual(
      expect.arrayContaining(['discovery', 'token_endpoint']),
    );

    const logout = await acme(['logout']);
    expect(logout).toMatchObject({ code: 0 });
    expect(logout.stderr).toContain('Signed out.');
    expect((await acme(['whoami'])).code).toBe(3);
  });

  it('a refused sign-in ends on acme’s failure page with acme’s fix', async () => {
    const login = acmeUntil(['login'], /Sign in to Acme at: (\S+)/);
    const [, url] = await login.match;
    const page = await signInInBrowser(browser, url as string, { deny: true });
    shown.push(page.bodyText);
    expect(page.bodyText).toContain('Acme could not sign you in.');
    const denied = await login.run;
    expect(denied.code).toBe(1);
    expect(denied.stderr).toMatch(/^fix: .*/m);
  });

  it('over SSH it signs in with the device flow by itself, and takes an API key from stdin', async () => {
    const ssh = { SSH_CONNECTION: '203.0.113.7 52000 10.0.0.2 22' };
    const login = acmeUntil(['login'], /Go to (\S+) and enter the code (\S+)/, { ...ssh, DISPLAY: '' });
    const [, verificationUri, userCode] = await login.match;
    // The provider's own pages (which the built-in server brands as its own) are not acme's.
    await approveDeviceInBrowser(browser, verificationUri as string, userCode as string);
    const device = await login.run;
    expect(device.code, device.stderr).toBe(0);
    expect(device.stderr).toContain('This is an SSH session');
    expect(device.stderr).toContain('Signed in as Demo User.');

    const key = await acme(['login', '--api-key'], { input: `${API_KEY}\n` });
    expect(key.code, key.stderr).toBe(0);
    expect(key.stderr).not.toContain(API_KEY);
    const whoami = await acme(['whoami']);
    expect(whoami.stdout).toMatch(/^API key \S*…\S*\n$/);
    expect(whoami.stdout).not.toContain(API_KEY);
  });

  it('never shows the word keyturn: output, pages, folders', async () => {
    expect(shown.length).toBeGreaterThan(20);
    // The built-in server's demo user is demo@keyturn.invalid: the provider's data, which acme shows
    // as any CLI shows who signed in. Anything else naming keyturn would come from the library.
    const demoUser = /demo@keyturn\.invalid/g;
    for (const text of shown) expect(text.replace(demoUser, 'demo@provider.invalid')).not.toMatch(/keyturn/i);
    const files = await filesUnder(home);
    expect(files).toContain(join('.local', 'share', 'acme', 'auth.json'));
    for (const file of files) expect(file).not.toMatch(/keyturn/i);
    // A keyturn user's KEYTURN_HOME is not acme's.
    expect(await readdir(keyturnHome)).toEqual([]);
  });
});
