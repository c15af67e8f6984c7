import { createServer, type IncomingMessage, type Server } from 'node:http';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { signInInBrowser } from '../helpers/browser.js';
import { issuerAndBrowser } from '../helpers/issuer-and-browser.js';
import { runCli, startCli, URL_LINE, type CliResult } from '../helpers/cli.js';

/**
 * SPEC "A sign-in remembers its provider": the built CLI, the embedded issuer, real Chromium.
 * Fixed ports of this file: 18600 (the redirect URI of its sign-ins, one at a time).
 */

const REDIRECT_URI = 'http://127.0.0.1:18600/auth/callback';

const scene = issuerAndBrowser();

function home(): Promise<string> {
  return scene.home();
}

function envOf(dir: string): Record<string, string> {
  return { KEYTURN_HOME: dir, KEYTURN_STORE: 'file' };
}

/** `keyturn login` with these arguments, the user signing in through Chromium. */
async function signIn(dir: string, args: string[]): Promise<CliResult> {
  const running = startCli(['login', ...args, '--no-open'], { env: envOf(dir) });
  const [, url] = await running.waitForStderr(URL_LINE);
  await signInInBrowser(scene.browser, url as string);
  return running.done;
}

/** `keyturn login --issuer X --client-id Y --redirect-uri …`, no config.toml: the README's first sign-in. */
async function signInWithFlags(dir: string): Promise<void> {
  const args = [
    '--issuer',
    scene.issuer.issuer,
    '--client-id',
    scene.issuer.clientId,
    '--redirect-uri',
    REDIRECT_URI,
  ];
  const login = await signIn(dir, args);
  expect(login.code, login.stderr).toBe(0);
}

type Stored = Record<string, unknown> & { access_token: string; refresh_token?: string; expires_at: number };

async function stored(dir: string, profile = 'default'): Promise<Stored> {
  const doc = JSON.parse(await readFile(join(dir, 'auth.json'), 'utf8')) as {
    profiles: Record<string, Stored>;
  };
  return doc.profiles[profile] as Stored;
}

/** An hour later: the access token has expired (the store's clock, not the test's, moves). */
async function expire(dir: string, profile = 'default'): Promise<void> {
  const path = join(dir, 'auth.json');
  const doc = JSON.parse(await readFile(path, 'utf8')) as { profiles: Record<string, Stored> };
  (doc.profiles[profile] as Stored).expires_at = Math.floor(Date.now() / 1000) - 60;
  await writeFile(path, JSON.stringify(doc), { mode: 0o600 });
}

/** A server that records every request it gets and answers 404: where no token must ever go. */
async function collector(): Promise<{ url: string; requests: string[] }> {
  const requests: string[] = [];
  const server: Server = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      requests.push(`${req.method ?? '?'} ${req.url ?? ''} ${body}`);
      res.writeHead(404).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  scene.onCleanup(() => new Promise((resolve) => server.close(() => resolve())));
  const address = server.address() as { port: number };
  return { url: `http://127.0.0.1:${address.port}`, requests };
}

function expectRefusal(result: CliResult, ...named: string[]): void {
  expect(result.code, result.stderr).toBe(2);
  expect(result.stderr).toContain('error[config_invalid]: ');
  for (const name of named) expect(result.stderr).toContain(name);
}

describe('a sign-in made with flags alone is a complete profile from then on', () => {
  it('`token` after expiry refreshes with no flags and no config; status, doctor and logout need none either', async () => {
    const dir = await home();
    await signInWithFlags(dir);
    const before = await stored(dir);
    expect(before.provider).toMatchObject({ issuer: scene.issuer.issuer, client_id: scene.issuer.clientId });
    await expire(dir);

    const refreshes = scene.issuer.stats.refreshRequests;
    const token = await runCli(['token'], { env: envOf(dir) });
    expect(token.code, token.stderr).toBe(0);
    expect(scene.issuer.stats.refreshRequests).toBe(refreshes + 1);
    const after = await stored(dir);
    expect(token.stdout).toBe(`${after.access_token}\n`);
    expect(after.access_token).not.toBe(before.access_token);
    // The refresh keeps the record of the provider.
    expect(after.provider).toEqual(before.provider);

    const status = await runCli(['status', '--json'], { env: envOf(dir) });
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ issuer: scene.issuer.issuer, state: 'ok' });

    const doctor = await runCli(['doctor', '--json', '--timeout', '5'], { env: envOf(dir) });
    const report = JSON.parse(doctor.stdout) as { findings: { code: string; severity: string }[] };
    expect(report.findings.filter((f) => f.code === 'config_invalid')).toEqual([]);
    expect(report.findings).toContainEqual(expect.objectContaining({ code: 'discovery', severity: 'ok' }));

    const revocations = scene.issuer.stats.revocations;
    const logout = await runCli(['logout', '--json'], { env: envOf(dir) });
    expect(logout.code, logout.stderr).toBe(0);
    expect(JSON.parse(logout.stdout)).toMatchObject({ revocation: 'done', removed: true });
    expect(scene.issuer.stats.revocations).toBeGreaterThan(revocations);
  });

  it('`login --api-key --profile ci` works with no config.toml, and `token --profile ci` hands the key over', async () => {
    const dir = await home();
    const key = 'ci-key-Zq8v3KkT1mYw9xLpR2cN7bHd';
    const login = await runCli(['login', '--api-key', '--profile', 'ci'], { env: envOf(dir), input: key });
    expect(login.code, login.stderr).toBe(0);
    const token = await runCli(['token', '--profile', 'ci'], { env: envOf(dir) });
    expect(token.code, token.stderr).toBe(0);
    expect(token.stdout).toBe(`${key}\n`);
    // A profile name that names nothing is still a mistake worth naming.
    const typo = await runCli(['token', '--profile', 'cj'], { env: envOf(dir) });
    expectRefusal(typo, 'No profile "cj"');
  });
});

describe('stored tokens go only to the provider they were issued by', () => {
  it('`logout --issuer <another>` is refused with config_invalid naming both, and nothing is posted', async () => {
    const dir = await home();
    await signInWithFlags(dir);
    const other = await collector();
    const logout = await runCli(['logout', '--issuer', other.url], { env: envOf(dir) });
    expectRefusal(logout, scene.issuer.issuer, other.url);
    expect(other.requests).toEqual([]);
    // Still signed in: nothing was removed either.
    expect((await stored(dir)).access_token).toEqual(expect.any(String));
    const token = await runCli(['token', '--issuer', other.url], { env: envOf(dir) });
    expectRefusal(token, scene.issuer.issuer, other.url);
    expect(other.requests).toEqual([]);
  });

  it('a profile of explicit endpoints refuses a token_endpoint edited after the sign-in; the refresh token stays home', async () => {
    const dir = await home();
    const table = (tokenEndpoint: string) =>
      [
        '[profiles.default]',
        `authorization_endpoint = "${scene.issuer.issuer}/auth"`,
        `token_endpoint = "${tokenEndpoint}"`,
        `revocation_endpoint = "${scene.issuer.issuer}/token/revocation"`,
        `client_id = "${scene.issuer.clientId}"`,
        `redirect_uri = "${REDIRECT_URI}"`,
        'scopes = ["openid", "offline_access"]',
        '',
      ].join('\n');
    await writeFile(join(dir, 'config.toml'), table(`${scene.issuer.issuer}/token`));
    const login = await signIn(dir, []);
    expect(login.code, login.stderr).toBe(0);
    const signedIn = await stored(dir);
    expect(signedIn.refresh_token).toEqual(expect.any(String));

    const elsewhere = await collector();
    await writeFile(join(dir, 'config.toml'), table(`${elsewhere.url}/token`));
    await expire(dir);
    const token = await runCli(['token'], { env: envOf(dir) });
    expectRefusal(token, `${scene.issuer.issuer}/token`, `${elsewhere.url}/token`);
    expect(elsewhere.requests).toEqual([]);
    expect(JSON.stringify(token)).not.toContain(signedIn.refresh_token as string);
  });
});

describe('explicit endpoints beside an issuer', () => {
  it('a profile with issuer and token_endpoint signs in through the browser, its requests at the explicit endpoint', async () => {
    const dir = await home();
    await writeFile(
      join(dir, 'config.toml'),
      [
        '[profiles.default]',
        `issuer = "${scene.issuer.issuer}"`,
        `token_endpoint = "${scene.issuer.issuer}/token"`,
        `client_id = "${scene.issuer.clientId}"`,
        `redirect_uri = "${REDIRECT_URI}"`,
        '',
      ].join('\n'),
    );
    const grants = scene.issuer.stats.authorizationCodeGrants;
    const login = await signIn(dir, []);
    expect(login.code, login.stderr).toBe(0);
    expect(scene.issuer.stats.authorizationCodeGrants).toBe(grants + 1);
    expect((await stored(dir)).provider).toMatchObject({
      issuer: scene.issuer.issuer,
      token_endpoint: `${scene.issuer.issuer}/token`,
    });
  });
});
