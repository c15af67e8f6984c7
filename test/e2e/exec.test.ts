import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startIssuer, type RunningIssuer } from '../../src/issuer/index.js';
import { launchBrowser } from '../helpers/browser.js';
import { runCli, startCli, tempHome } from '../helpers/cli.js';
import { fingerprint, restore, signedIn, stored, type Session } from '../helpers/signed-in.js';

/**
 * `keyturn exec -- CMD`: the built CLI runs real child processes with the token in their environment.
 * Fixed port of this file: 18700 (the sign-in's loopback redirect).
 */

let issuer: RunningIssuer;
let browser: Browser;
let session: Session;

beforeAll(async () => {
  [issuer, browser] = await Promise.all([startIssuer({ port: 0 }), launchBrowser()]);
  session = await signedIn(browser, issuer, 18700);
});

afterAll(async () => {
  await browser?.close();
  await issuer?.close();
  await session?.cleanup();
});

/** A child that calls the provider's userinfo endpoint (a protected API) with the token it was given. */
const CALL_API = `
const token = process.env[process.argv[1]];
const discovery = await (await fetch(process.argv[2] + '/.well-known/openid-configuration')).json();
const response = await fetch(discovery.userinfo_endpoint, { headers: { authorization: 'Bearer ' + token } });
const { sub } = await response.json();
console.log(JSON.stringify({ status: response.status, sub, argv: process.argv.slice(1) }));
`;

/** `keyturn exec -- node CALL_API`: the child's answer on stdout. */
function callApi(env: Record<string, string>) {
  const script = [
    process.execPath,
    '--input-type=module',
    '-e',
    CALL_API,
    'KEYTURN_ACCESS_TOKEN',
    issuer.issuer,
  ];
  return runCli(['exec', '--', ...script], { env });
}

describe('keyturn exec', () => {
  it('gives CMD a working access token in KEYTURN_ACCESS_TOKEN, and in nothing printed', async () => {
    const run = await callApi({ ...session.env, KEYTURN_DEBUG: '1' });
    expect(run.code, run.stderr).toBe(0);
    const answer = JSON.parse(run.stdout) as { status: number; sub: string; argv: string[] };
    expect(answer.status).toBe(200);
    expect(answer.sub).toBe('demo-user-1');
    const { access_token: accessToken } = await stored(session.home);
    expect(answer.argv.join(' ')).not.toContain(accessToken);
    expect(run.stdout + run.stderr).not.toContain(accessToken);
  });

  it('--env NAME --id-token: the id token in the variable named', async () => {
    const script = `const { createHash } = require('node:crypto');
      console.log(createHash('sha256').update(process.env.CLUSTER_TOKEN ?? '').digest('hex'),
        process.env.KEYTURN_ACCESS_TOKEN === undefined);`;
    const run = await runCli(
      ['exec', '--env', 'CLUSTER_TOKEN', '--id-token', '--', process.execPath, '-e', script],
      {
        env: session.env,
      },
    );
    expect(run.code, run.stderr).toBe(0);
    const { id_token: idToken } = await stored(session.home);
    expect(run.stdout).toBe(`${fingerprint(idToken as string)} true\n`);
  });

  it('options after CMD are CMD’s, without `--`', async () => {
    const run = await runCli(
      ['exec', process.execPath, '-e', 'console.log(process.argv.slice(1).join(" "))', '--', '--json', '-x'],
      {
        env: session.env,
      },
    );
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe('--json -x\n');
  });

  it('exits with CMD’s exit code', async () => {
    const run = await runCli(['exec', '--', process.execPath, '-e', 'process.exit(7)'], { env: session.env });
    expect(run.code).toBe(7);
    expect(run.stderr).toBe('');
  });

  it('exits 128+signal when CMD is killed by a signal', async () => {
    const run = await runCli(['exec', '--', process.execPath, '-e', 'process.kill(process.pid, "SIGKILL")'], {
      env: session.env,
    });
    expect(run.code).toBe(128 + 9);
  });

  it('forwards SIGTERM and SIGINT to CMD and waits for it to finish', async () => {
    const script = `for (const s of ['SIGTERM', 'SIGINT']) process.on(s, () => { console.log('CMD got ' + s); setTimeout(() => process.exit(s === 'SIGTERM' ? 3 : 4), 200); });
      setInterval(() => {}, 1000); console.log('ready');`;
    for (const [signal, code] of [
      ['SIGTERM', 3],
      ['SIGINT', 4],
    ] as const) {
      const running = startCli(['exec', '--', process.execPath, '-e', script], { env: session.env });
      await waitFor(() => running.stdout().includes('ready'));
      running.child.kill(signal);
      const result = await running.done;
      expect(result.stdout).toBe(`ready\nCMD got ${signal}\n`);
      expect(result.code).toBe(code);
    }
  });

  it('a CMD that does not handle SIGTERM dies of it, and keyturn exits 143', async () => {
    const running = startCli(
      ['exec', '--', process.execPath, '-e', 'setInterval(() => {}, 1000); console.log("ready")'],
      {
        env: session.env,
      },
    );
    await waitFor(() => running.stdout().includes('ready'));
    running.child.kill('SIGTERM');
    expect((await running.done).code).toBe(128 + 15);
  });

  it('refreshes an expiring token before CMD starts', async () => {
    const before = await stored(session.home);
    await restore(session.home, (c) => {
      // Obtained an hour ago, expiring in 5 s: due for refresh.
      c.obtained_at = Math.floor(Date.now() / 1000) - 3600;
      c.expires_at = Math.floor(Date.now() / 1000) + 5;
    });
    const run = await callApi(session.env);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ status: 200 });
    expect((await stored(session.home)).access_token).not.toBe(before.access_token);
  });

  it('fails before CMD starts when there is no sign-in: the usual error and exit code 3', async () => {
    const { home, cleanup } = await tempHome();
    try {
      const marker = join(home, 'cmd-ran');
      const run = await runCli(
        [
          'exec',
          '--issuer',
          issuer.issuer,
          '--client-id',
          issuer.clientId,
          '--',
          process.execPath,
          '-e',
          `require('fs').writeFileSync(${JSON.stringify(marker)}, '')`,
        ],
        { env: { KEYTURN_HOME: home, KEYTURN_STORE: 'file' } },
      );
      expect(run.code).toBe(3);
      expect(run.stderr).toMatch(/^error\[not_signed_in\]: .*\nfix: .*keyturn login/m);
      expect(existsSync(marker)).toBe(false);
    } finally {
      await cleanup();
    }
  });

  it('says so and exits 127 when CMD does not exist', async () => {
    const run = await runCli(['exec', '--', 'keyturn-no-such-command', 'arg'], { env: session.env });
    expect(run.code).toBe(127);
    expect(run.stderr).toMatch(
      /^error\[command_not_found\]: Command not found: keyturn-no-such-command\nfix: /,
    );
    expect(run.stdout).toBe('');
  });

  it('refuses an --env that is not a variable name (exit 2)', async () => {
    const run = await runCli(['exec', '--env', 'A=B', '--', 'true'], { env: session.env });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^error\[usage\]: --env takes an environment variable name/);
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 25));
  }
}
