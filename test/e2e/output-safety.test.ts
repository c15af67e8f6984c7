/**
 * keyturn trusts nothing that reaches it from outside, and says nothing that is not so — run with
 * the built CLI against the real embedded issuer:
 * - the loopback callback server serves only loopback Host names (DNS rebinding),
 * - a provider's error_description reaches the terminal inert,
 * - "Opened your browser" only when the opener opened it,
 * - the device login waits as long as it says,
 * - results on stdout, `logout` signed out, `keyturn` alone.
 * Ports 18640-18659 (the "safety" range).
 */
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startIssuer, type RunningIssuer } from '../../src/issuer/index.js';
import { runCli, startCli, tempHome, URL_LINE, type RunningCli } from '../helpers/cli.js';
import { hasActiveControl } from '../helpers/control-characters.js';

const ESC = '\u001b';
/** A title change, a screen clear and a line overwrite: what a hostile provider would send. */
const TERMINAL_ATTACK = `${ESC}]0;pwned\u0007${ESC}[2J\rfake`;

let issuer: RunningIssuer;
let shortDeviceIssuer: RunningIssuer;
const cleanups: (() => Promise<void>)[] = [];
const running: RunningCli[] = [];

beforeAll(async () => {
  issuer = await startIssuer({ port: 0 });
  shortDeviceIssuer = await startIssuer({ port: 0, deviceCodeTtl: 3 });
});

afterEach(async () => {
  for (const cli of running.splice(0)) if (cli.child.exitCode === null) cli.child.kill('SIGKILL');
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

afterAll(async () => {
  await issuer?.close();
  await shortDeviceIssuer?.close();
});

async function home(): Promise<string> {
  const { home, cleanup } = await tempHome();
  cleanups.push(cleanup);
  return home;
}

function start(args: string[], env: Record<string, string>): RunningCli {
  const cli = startCli(args, { env });
  running.push(cli);
  return cli;
}

/** One request to the callback server with the Host header a browser on `host` would send. */
function send(
  port: number,
  options: { method: string; path: string; host: string; headers?: Record<string, string> },
): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: options.method,
        path: options.path,
        headers: { host: options.host, 'content-length': 0, ...options.headers },
      },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

const loginArgs = (port: number) => [
  'login',
  '--issuer',
  issuer.issuer,
  '--client-id',
  issuer.clientId,
  '--redirect-uri',
  `http://localhost:${port}/auth/callback`,
];

describe('the loopback callback server and DNS rebinding', () => {
  it('a rebound name cannot cancel a waiting sign-in; `localhost` can', async () => {
    const port = 18640;
    const login = start(loginArgs(port), { KEYTURN_HOME: await home() });
    await login.waitForStderr(URL_LINE);

    const cancel = { method: 'POST', path: '/cancel', headers: { 'x-keyturn-cancel': '4242' } };
    expect(await send(port, { ...cancel, host: `evil.example:${port}` })).toBe(421);
    expect(await send(port, { ...cancel, host: `127.0.0.1.evil.example:${port}` })).toBe(421);
    expect(await send(port, { ...cancel, host: `localhost:${port + 1}` })).toBe(421);
    expect(login.child.exitCode).toBeNull();

    // The same request from a loopback name does end it: the refusals above were the Host's doing.
    expect(await send(port, { ...cancel, host: `localhost:${port}` })).toBe(200);
    const result = await login.done;
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/error\[login_cancelled\].*\(pid 4242\)/);
  });

  it('a rebound name cannot deliver an answer; the same answer on 127.0.0.1 ends the sign-in, its description inert', async () => {
    const port = 18641;
    const login = start(loginArgs(port), { KEYTURN_HOME: await home() });
    const [, url] = await login.waitForStderr(URL_LINE);
    const state = new URL(url as string).searchParams.get('state') as string;
    const answer = new URLSearchParams({
      state,
      error: 'access_denied',
      error_description: `The user said no ${TERMINAL_ATTACK}`,
    });
    const path = `/auth/callback?${answer.toString()}`;

    expect(await send(port, { method: 'GET', path, host: `rebound.example:${port}` })).toBe(421);
    expect(login.child.exitCode).toBeNull();

    expect(await send(port, { method: 'GET', path, host: `127.0.0.1:${port}` })).toBe(400);
    const result = await login.done;
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('The user said no');
    expect(result.stderr).not.toContain(ESC);
    expect(hasActiveControl(result.stderr)).toBe(false);
  });
});

describe('a provider’s text reaches the terminal inert', () => {
  it('--json keeps the description’s meaning but no raw control character reaches stdout', async () => {
    const port = 18642;
    const login = start([...loginArgs(port), '--json'], { KEYTURN_HOME: await home() });
    const [, url] = await login.waitForStderr(URL_LINE);
    const state = new URL(url as string).searchParams.get('state') as string;
    const description = `No ${TERMINAL_ATTACK}\u009b2J`;
    const answer = new URLSearchParams({ state, error: 'access_denied', error_description: description });
    await send(port, {
      method: 'GET',
      path: `/auth/callback?${answer.toString()}`,
      host: `localhost:${port}`,
    });
    const result = await login.done;
    expect(hasActiveControl(result.stdout)).toBe(false);
    expect(hasActiveControl(result.stderr)).toBe(false);
    const document = JSON.parse(result.stdout) as { error: { message: string } };
    expect(document.error.message).toContain('No ');
  });
});

describe('no small lies', () => {
  async function opener(exitCode: number): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'keyturn-opener-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const file = join(dir, 'opener');
    await writeFile(file, `#!/bin/sh\nexit ${exitCode}\n`);
    await chmod(file, 0o755);
    return file;
  }

  const OPEN_VERDICT = /(Opened your browser|Could not open a browser)/;

  it('`login` does not say "Opened your browser" when the opener failed (xdg-open exits 3: no browser)', async () => {
    const login = start(loginArgs(18643), { KEYTURN_HOME: await home(), BROWSER: await opener(3) });
    const [verdict] = await login.waitForStderr(OPEN_VERDICT);
    expect(verdict).toBe('Could not open a browser');
  });

  it('…and says it when the opener succeeded', async () => {
    const login = start(loginArgs(18644), { KEYTURN_HOME: await home(), BROWSER: await opener(0) });
    const [verdict] = await login.waitForStderr(OPEN_VERDICT);
    expect(verdict).toBe('Opened your browser');
  });

  it('`login --device` waits exactly as long as the code lives, and says so', async () => {
    const args = ['login', '--device', '--issuer', shortDeviceIssuer.issuer, '--client-id'];
    const result = await runCli([...args, shortDeviceIssuer.clientId], {
      env: { KEYTURN_HOME: await home() },
    });
    expect(result.stderr).toContain('Waiting for approval (the code expires in 3 s; Ctrl-C to stop)');
    expect(result.stderr).toMatch(/error\[login_timeout\]: .* within 3 s, when it expired/);
  });

  it('`login --device --timeout` shorter than the code says both, and gives up at the timeout', async () => {
    const args = ['login', '--device', '--issuer', shortDeviceIssuer.issuer, '--client-id'];
    const result = await runCli([...args, shortDeviceIssuer.clientId, '--timeout', '1'], {
      env: { KEYTURN_HOME: await home() },
    });
    expect(result.stderr).toContain('(the code expires in 3 s; waiting 1 s (--timeout); Ctrl-C to stop)');
    expect(result.stderr).toMatch(/error\[login_timeout\]: .* within 1 s\./);
  });

  it('`status` prints its report on stdout, so `keyturn status | grep` works', async () => {
    const keyturnHome = await home();
    const stored = await runCli(['login', '--api-key', '--issuer', issuer.issuer, '--client-id', 'x'], {
      env: { KEYTURN_HOME: keyturnHome },
      input: 'sk-live-0123456789abcdefghij\n',
    });
    expect(stored.code, stored.stderr).toBe(0);
    const status = await runCli(['status'], { env: { KEYTURN_HOME: keyturnHome } });
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/✓ API key sk-…ghij/);
    expect(status.stdout).toContain(`Store: file ${join(keyturnHome, 'auth.json')}`);
    expect(status.stderr).toBe('');
  });

  it('`logout` when already signed out exits 0 with a note', async () => {
    const result = await runCli(['logout', '--issuer', issuer.issuer, '--client-id', issuer.clientId], {
      env: { KEYTURN_HOME: await home() },
    });
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('Profile "default" is not signed in: nothing to sign out of.');
  });

  it('`keyturn` alone prints its help on stderr and exits 2 (a usage error)', async () => {
    const result = await runCli([]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/Usage: keyturn/);
    // Asked for, help is a result: stdout and exit 0.
    const asked = await runCli(['--help']);
    expect(asked.code).toBe(0);
    expect(asked.stdout).toMatch(/Usage: keyturn/);
  });
});
