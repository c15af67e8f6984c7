import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import type { RunningIssuer } from '../../src/issuer/index.js';
import { approveDeviceInBrowser, launchBrowser } from '../helpers/browser.js';
import { runCli, startCli, tempHome, type RunningCli } from '../helpers/cli.js';
import {
  isTokenRequest,
  startIssuerBehindFaultProxy,
  type FaultProxy,
  type ProxiedRequest,
} from '../helpers/fault-proxy.js';
import { expireStoredToken, readStored, signIn, type SignedIn } from './refresh-support.js';

/**
 * SPEC "Errors": transient failures are retried within a bound by every command, not only by
 * `token`. A reverse proxy of our own in front of the embedded issuer answers one request of each
 * exchange with 503, and the real CLI must get through it: the sign-in's discovery and code
 * exchange, the device authorization request and its polling, and the revocation at logout. And an
 * answer that is no OAuth answer at all is named for what it is, once, without retries.
 */

// This file's fixed ports (range 18620-18639).
const LOGIN_PORT = 18620;
const LOGOUT_PORT = 18621;
const MISREAD_PORT = 18622;

const VERIFICATION_URI = /open this page in a browser on any device:\s*\n\s*\n\s+(\S+)/;
const USER_CODE = /and enter this code:\s*\n\s*\n\s+(\S+)/;
const RETRYING = /Retrying in \d+\.\d s…/;
const retries = (stderr: string) => stderr.match(new RegExp(RETRYING, 'g'))?.length ?? 0;

let proxy: FaultProxy;
let issuer: RunningIssuer;
let closeIssuer: (() => Promise<void>) | undefined;
let browser: Browser;
const homes: SignedIn[] = [];
const running: RunningCli[] = [];

beforeAll(async () => {
  let behind: Awaited<ReturnType<typeof startIssuerBehindFaultProxy>>;
  [behind, browser] = await Promise.all([
    startIssuerBehindFaultProxy({ accessTokenTtl: 120 }),
    launchBrowser(),
  ]);
  ({ proxy, issuer, close: closeIssuer } = behind);
});

afterAll(async () => {
  for (const cli of running) if (cli.child.exitCode === null) cli.child.kill('SIGKILL');
  await Promise.all(homes.map((h) => h.cleanup()));
  await browser?.close();
  await closeIssuer?.();
});

beforeEach(() => {
  proxy.clearRules();
});

const discovery = (req: ProxiedRequest) =>
  req.method === 'GET' && req.path.startsWith('/.well-known/openid-configuration');
const deviceAuthorization = (req: ProxiedRequest) => req.method === 'POST' && req.path === '/device/auth';
const revocation = (req: ProxiedRequest) => req.method === 'POST' && req.path === '/token/revocation';
const outage = { status: 503, headers: { 'retry-after': '1' }, body: '<h1>503 Service Unavailable</h1>' };

/** What the proxy answered to the requests `match` picks, from request number `from` on. */
function answered(from: number, match: (req: ProxiedRequest) => boolean): number[] {
  return proxy.requests
    .slice(from)
    .filter(match)
    .map((r) => r.status);
}

describe('every command retries a transient failure (503, then success)', () => {
  it('`login`: discovery and the code exchange', async () => {
    proxy.addRule({ match: discovery, respond: outage, times: 1 });
    proxy.addRule({ match: isTokenRequest('authorization_code'), respond: outage, times: 1 });
    const from = proxy.requests.length;
    const session = await signIn(browser, issuer, LOGIN_PORT);
    homes.push(session);
    expect(answered(from, discovery).slice(0, 2)).toEqual([503, 200]);
    expect(answered(from, isTokenRequest('authorization_code'))).toEqual([503, 200]);
    expect((await readStored(session.home)).refresh_token).toBeTypeOf('string');
  });

  it('`login --device`: the device authorization request and the polling', async () => {
    proxy.addRule({ match: deviceAuthorization, respond: outage, times: 1 });
    // Without Retry-After: openid-client's own polling waits out a 503 that has one.
    proxy.addRule({
      match: isTokenRequest('urn:ietf:params:oauth:grant-type:device_code'),
      respond: { status: 503, body: 'Service Unavailable' },
      times: 1,
    });
    const from = proxy.requests.length;
    const { home, cleanup } = await tempHome();
    try {
      const login = startCli(
        ['login', '--device', '--issuer', issuer.issuer, '--client-id', issuer.clientId],
        {
          env: { KEYTURN_HOME: home },
        },
      );
      running.push(login);
      const [, verificationUri] = await login.waitForStderr(VERIFICATION_URI);
      const [, userCode] = await login.waitForStderr(USER_CODE);
      // Approve only after the first poll met the outage: the retry must go on polling.
      await expect
        .poll(() => answered(from, isTokenRequest('urn:ietf:params:oauth:grant-type:device_code')), {
          timeout: 30_000,
        })
        .toContain(503);
      await approveDeviceInBrowser(browser, verificationUri as string, userCode as string);
      const result = await login.done;
      expect(result.code, result.stderr).toBe(0);
      expect(answered(from, deviceAuthorization)).toEqual([503, 200]);
      const polls = answered(from, isTokenRequest('urn:ietf:params:oauth:grant-type:device_code'));
      expect(polls[0]).toBe(503);
      expect(polls.at(-1)).toBe(200);
      expect(retries(result.stderr), result.stderr).toBe(2);
      expect((await readStored(home)).access_token).toBeTypeOf('string');
    } finally {
      await cleanup();
    }
  });

  it('`logout`: the revocation', async () => {
    const session = await signIn(browser, issuer, LOGOUT_PORT);
    homes.push(session);
    issuer.resetStats();
    proxy.addRule({ match: revocation, respond: outage, times: 1 });
    const from = proxy.requests.length;
    const result = await runCli(['logout', ...session.args], { env: session.env });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).not.toMatch(/Could not revoke/);
    expect(result.stderr).toMatch(RETRYING);
    expect(answered(from, revocation)).toEqual([503, 200, 200]);
    expect(issuer.stats.revocations).toBe(2);
  });
});

describe('an answer that is no OAuth answer is named, not retried', () => {
  let session: SignedIn;
  beforeAll(async () => {
    session = await signIn(browser, issuer, MISREAD_PORT);
    homes.push(session);
  });

  it("a captive portal's 200 HTML page at the token endpoint: endpoint_blocked, one request, sign-in kept", async () => {
    await expireStoredToken(session.home, 5);
    const before = await readStored(session.home);
    proxy.addRule({
      match: isTokenRequest('refresh_token'),
      respond: {
        status: 200,
        headers: { 'content-type': 'text/html' },
        body: '<html><h1>Welcome to Airport Wi-Fi</h1><a href="/accept">Accept the terms</a></html>',
      },
    });
    const from = proxy.requests.length;
    const result = await runCli(['token', ...session.args, '--json'], { env: session.env });
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).toMatch(
      /^error\[endpoint_blocked\]: .*answered 200 with text\/html.*captive portal/m,
    );
    expect(result.stderr).not.toMatch(RETRYING);
    expect(answered(from, isTokenRequest('refresh_token'))).toEqual([200]);
    const { error } = JSON.parse(result.stdout) as { error: Record<string, unknown> };
    expect(error).toMatchObject({ code: 'endpoint_blocked', http_status: 200, transient: false });
    expect(await readStored(session.home)).toEqual(before);
  });

  it('a 404 at the token endpoint names the URL, once', async () => {
    await expireStoredToken(session.home, 5);
    proxy.addRule({
      match: isTokenRequest('refresh_token'),
      respond: { status: 404, body: '<h1>Not Found</h1>' },
    });
    const from = proxy.requests.length;
    const result = await runCli(['token', ...session.args], { env: session.env });
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).toMatch(
      new RegExp(`^error\\[discovery_failed\\]: .*404.*no such endpoint at ${proxy.url}/token`, 'm'),
    );
    expect(answered(from, isTokenRequest('refresh_token'))).toEqual([404]);
  });
});
