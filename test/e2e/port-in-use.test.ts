/**
 * The redirect port is busy. The ONLY test file allowed to bind port 1455 (keyturn's default
 * redirect port), so that test files running in parallel never collide on it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startIssuer, type RunningIssuer } from '../../src/issuer/index.js';
import { launchBrowser, signInInBrowser } from '../helpers/browser.js';
import {
  CLI,
  runCli,
  startCli as startCliProcess,
  tempHome,
  URL_LINE,
  type RunningCli,
} from '../helpers/cli.js';

const PORT = 1455;

let issuer: RunningIssuer;
let browser: Browser;
let holder: ChildProcess | undefined;
const homes: (() => Promise<void>)[] = [];

beforeAll(async () => {
  issuer = await startIssuer({ port: 0 });
  browser = await launchBrowser();
});

// A failed test must not leave a login holding the port for the next one.
const running: RunningCli[] = [];
function startCli(...args: Parameters<typeof startCliProcess>): RunningCli {
  const cli = startCliProcess(...args);
  running.push(cli);
  return cli;
}

afterEach(async () => {
  await Promise.all(
    running.splice(0).map(async (cli) => {
      if (cli.child.exitCode === null) cli.child.kill('SIGKILL');
      await cli.done;
    }),
  );
  await stopHolder();
  await Promise.all(homes.splice(0).map((cleanup) => cleanup()));
});

afterAll(async () => {
  await browser?.close();
  await issuer?.close();
});

const listening = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

async function until(condition: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting until ${what}`);
}

/** Another program takes the port first, the way WSL's relay or a dev server does. */
async function holdPortWithPython(): Promise<number> {
  holder = spawn('python3', ['-m', 'http.server', String(PORT), '--bind', '127.0.0.1'], {
    stdio: 'ignore',
  });
  await until(() => listening(PORT), `python3 listens on ${PORT}`);
  return holder.pid as number;
}

async function stopHolder(): Promise<void> {
  if (holder === undefined || holder.exitCode !== null) return;
  const exited = new Promise((resolve) => holder?.once('exit', resolve));
  holder.kill();
  await exited;
  holder = undefined;
}

async function home(config?: string): Promise<string> {
  const { home, cleanup } = await tempHome();
  homes.push(cleanup);
  if (config !== undefined) await writeFile(join(home, 'config.toml'), config);
  return home;
}

/**
 * Runs the CLI on a real pseudo-terminal (`script`), answering `answer` once `prompt` shows. Resolves
 * with everything the terminal showed, once `until` shows.
 */
function inTerminal(
  args: string[],
  env: Record<string, string>,
  prompt: string,
  answer: string,
  until: RegExp,
): { shown: Promise<string>; stop: () => Promise<void> } {
  const child = spawn('script', ['-qec', [process.execPath, CLI, ...args].join(' '), '/dev/null'], {
    env: { ...process.env, NO_COLOR: '1', BROWSER: 'none', ...env },
    stdio: ['pipe', 'pipe', 'ignore'],
  });
  let terminal = '';
  let answered = false;
  const shown = new Promise<string>((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      terminal += chunk;
      if (!answered && terminal.includes(prompt)) {
        answered = true;
        child.stdin.write(`${answer}\r`);
      }
      if (until.test(terminal)) resolve(terminal);
    });
    child.once('close', () => reject(new Error(`terminal closed before ${until}; it showed:\n${terminal}`)));
  });
  shown.catch(() => undefined);
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  return {
    shown,
    stop: () => {
      child.kill();
      return closed;
    },
  };
}

/** The default redirect URI (http://localhost:1455/auth/callback): no --redirect-uri here. */
const cliArgs = () => ['--issuer', issuer.issuer, '--client-id', issuer.clientId];

describe('the redirect port is held by another process', () => {
  it('`login` fails at once with error[port_in_use] naming the holder’s pid and name', async () => {
    const pid = await holdPortWithPython();
    const result = await runCli(['login', ...cliArgs(), '--json'], { env: { KEYTURN_HOME: await home() } });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /error\[port_in_use\]: Port 1455 on 127\.0\.0\.1 is already in use by python3/,
    );
    expect(result.stderr).toContain(`pid ${pid}`);
    expect(result.stderr).toContain(`fix: Stop python3 (pid ${pid}): \`kill ${pid}\``);
    // Never started waiting: no URL was offered for a sign-in that cannot complete.
    expect(result.stderr).not.toMatch(URL_LINE);
    const json = JSON.parse(result.stdout) as { error: { code: string; message: string } };
    expect(json.error.code).toBe('port_in_use');
    expect(json.error.message).toContain(`pid ${pid}`);
  });

  it('with redirect_port_fallback = true, `login` takes another free port and signs in there', async () => {
    await holdPortWithPython();
    const keyturnHome = await home(
      [
        '[profiles.default]',
        `issuer = "${issuer.issuer}"`,
        `client_id = "${issuer.clientId}"`,
        'redirect_port_fallback = true',
        '',
      ].join('\n'),
    );
    const login = startCli(['login'], { env: { KEYTURN_HOME: keyturnHome } });
    const [, url] = await login.waitForStderr(URL_LINE);
    const redirectUri = new URL(new URL(url as string).searchParams.get('redirect_uri') as string);
    expect(redirectUri.hostname).toBe('localhost');
    expect(redirectUri.port).not.toBe(String(PORT));
    expect(Number(redirectUri.port)).toBeGreaterThan(0);

    const page = await signInInBrowser(browser, url as string);
    expect(new URL(page.finalUrl).port).toBe(redirectUri.port);
    expect(page.bodyText).toContain('Signed in');
    const result = await login.done;
    expect(result.code, result.stderr).toBe(0);
    expect((await runCli(['token'], { env: { KEYTURN_HOME: keyturnHome } })).code).toBe(0);
  });
});

describe('the redirect port is held by another keyturn login', () => {
  it('without a terminal to ask on, `login` names it and says how to cancel it', async () => {
    const first = startCli(['login', ...cliArgs()], { env: { KEYTURN_HOME: await home() } });
    await first.waitForStderr(URL_LINE);
    const second = await runCli(['login', ...cliArgs()], { env: { KEYTURN_HOME: await home() } });
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`error[port_in_use]`);
    expect(second.stderr).toContain(`(pid ${first.child.pid})`);
    expect(second.stderr).toMatch(/fix: Another keyturn login is waiting on this port.*--cancel-other/);
    // The first one is untouched and still waiting.
    expect(first.child.exitCode).toBeNull();
    first.child.kill('SIGINT');
    expect((await first.done).code).toBe(130);
  });

  it('`login --cancel-other` cancels the first login, takes the port and signs in', async () => {
    const first = startCli(['login', ...cliArgs()], { env: { KEYTURN_HOME: await home() } });
    const [, firstUrl] = await first.waitForStderr(URL_LINE);

    const secondHome = await home();
    const second = startCli(['login', ...cliArgs(), '--cancel-other'], { env: { KEYTURN_HOME: secondHome } });
    const firstResult = await first.done;
    expect(firstResult.code).toBe(1);
    expect(firstResult.stderr).toMatch(/error\[login_cancelled\]: .*cancelled by another keyturn login/);
    expect(firstResult.stderr).toContain(`pid ${second.child.pid}`);

    const [, url] = await second.waitForStderr(URL_LINE);
    expect(url).not.toBe(firstUrl);
    expect(second.stderr()).toMatch(
      /Another keyturn login \(pid \d+\) is waiting on port 1455: cancelling it/,
    );
    const page = await signInInBrowser(browser, url as string);
    expect(page.bodyText).toContain('Signed in');
    const result = await second.done;
    expect(result.code, result.stderr).toBe(0);
    expect((await runCli(['token', ...cliArgs()], { env: { KEYTURN_HOME: secondHome } })).code).toBe(0);
  });

  it('on a terminal, `login` asks "Cancel it? [y/N]"; yes cancels the first and waits for its own sign-in', async () => {
    const first = startCli(['login', ...cliArgs()], { env: { KEYTURN_HOME: await home() } });
    await first.waitForStderr(URL_LINE);
    const second = inTerminal(
      ['login', ...cliArgs()],
      { KEYTURN_HOME: await home() },
      'Cancel it? [y/N] ',
      'y',
      /Open this URL to sign in: /,
    );
    try {
      const shown = await second.shown;
      expect(shown).toContain(
        `Another keyturn login (pid ${first.child.pid}) is waiting on port 1455. Cancel it? [y/N]`,
      );
      const firstResult = await first.done;
      expect(firstResult.code).toBe(1);
      expect(firstResult.stderr).toMatch(/error\[login_cancelled\]/);
    } finally {
      await second.stop();
    }
  });

  it('on a terminal, answering no leaves the first login waiting and fails with error[port_in_use]', async () => {
    const first = startCli(['login', ...cliArgs()], { env: { KEYTURN_HOME: await home() } });
    await first.waitForStderr(URL_LINE);
    const second = inTerminal(
      ['login', ...cliArgs()],
      { KEYTURN_HOME: await home() },
      'Cancel it? [y/N] ',
      'n',
      /fix: [^\n]*\n/,
    );
    try {
      expect(await second.shown).toMatch(/error\[port_in_use\]/);
      expect(first.child.exitCode).toBeNull();
    } finally {
      await second.stop();
      first.child.kill('SIGINT');
      await first.done;
    }
  });
});
