import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startIssuer, type RunningIssuer } from '../../src/issuer/index.js';
import { launchBrowser, signInInBrowser } from '../helpers/browser.js';
import { runCli, startCli, tempHome, URL_LINE } from '../helpers/cli.js';
import { isTokenRequest, startFaultProxy, type FaultProxy } from '../helpers/fault-proxy.js';
import {
  expireStoredToken,
  readStored,
  signIn,
  userinfoStatus,
  type SignedIn,
} from '../integration/refresh-support.js';

/**
 * The seeds' "token exchange failed: 403 forbidden": a WAF in front of the provider answers the token
 * endpoint with an HTML 403. login, token and logout name it exactly as `keyturn doctor` does
 * (`endpoint_blocked`, with the status and the server), through the one classifier.
 */

const REDIRECT_PORT = 18457;
const WAF_PAGE = {
  status: 403,
  headers: { 'content-type': 'text/html; charset=utf-8', server: 'AkamaiGHost' },
  body: '<html><head><title>Access Denied</title></head><body><h1>Access Denied</h1>You don\'t have permission to access "/token" on this server.<p>Reference #18.5c3e1002</p></body></html>',
};

let proxy: FaultProxy;
let issuer: RunningIssuer;
let browser: Browser;
let session: SignedIn | undefined;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  proxy = await startFaultProxy();
  [issuer, browser] = await Promise.all([startIssuer({ port: 0, publicUrl: proxy.url }), launchBrowser()]);
  proxy.setTarget(`http://127.0.0.1:${issuer.port}`);
});

afterAll(async () => {
  await Promise.all(cleanups.map((cleanup) => cleanup()));
  await session?.cleanup();
  await browser?.close();
  await issuer?.close();
  await proxy?.close();
});

beforeEach(() => proxy.clearRules());

function expectBlocked(stderr: string): void {
  expect(stderr).toMatch(/^error\[endpoint_blocked\]: .*403.*AkamaiGHost/m);
  expect(stderr).toMatch(/^fix: .*(firewall|WAF)/m);
}

describe('an HTML 403 from a WAF in front of the token endpoint', () => {
  it('ends `keyturn login` with endpoint_blocked, on the terminal and on the browser page', async () => {
    proxy.addRule({ match: isTokenRequest('authorization_code'), respond: WAF_PAGE });
    const { home, cleanup } = await tempHome();
    cleanups.push(cleanup);
    const login = startCli(
      [
        'login',
        '--issuer',
        issuer.issuer,
        '--client-id',
        issuer.clientId,
        '--no-open',
        '--json',
        '--redirect-uri',
        `http://127.0.0.1:${REDIRECT_PORT}/auth/callback`,
      ],
      { env: { KEYTURN_HOME: home } },
    );
    const [, url] = await login.waitForStderr(URL_LINE);
    const page = await signInInBrowser(browser, url as string);
    const result = await login.done;
    expect(result.code).toBe(1);
    expectBlocked(result.stderr);
    expect(JSON.parse(result.stdout)).toMatchObject({
      error: { code: 'endpoint_blocked', http_status: 403, transient: false },
    });
    expect(page.bodyText).toContain('403');
  });

  it('makes `keyturn token` fail with endpoint_blocked and keeps the sign-in for when the block lifts', async () => {
    session = await signIn(browser, issuer, REDIRECT_PORT);
    const before = await expireStoredToken(session.home, 5);
    proxy.addRule({ match: isTokenRequest('refresh_token'), respond: WAF_PAGE });

    const blocked = await runCli(['token', ...session.args], { env: session.env });
    expect(blocked.code).toBe(1);
    expectBlocked(blocked.stderr);
    expect(blocked.stdout).toBe('');
    // Not a dead refresh token: nothing is marked, the same refresh token is kept.
    const kept = await readStored(session.home);
    expect(kept.refresh_token).toBe(before.refresh_token);
    expect(kept.refresh_dead).toBeUndefined();

    proxy.clearRules();
    const recovered = await runCli(['token', ...session.args], { env: session.env });
    expect(recovered.code, recovered.stderr).toBe(0);
    expect(await userinfoStatus(issuer.issuer, recovered.stdout.trim())).toBe(200);
  });

  it('lets `keyturn logout` remove the credentials and say why the revocation failed', async () => {
    session ??= await signIn(browser, issuer, REDIRECT_PORT);
    proxy.addRule({
      match: (req) => req.method === 'POST' && req.path.startsWith('/token/revocation'),
      respond: WAF_PAGE,
    });
    const result = await runCli(['logout', ...session.args], { env: session.env });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/Could not revoke .*error\[endpoint_blocked\]/);
    const status = await runCli(['status', ...session.args], { env: session.env });
    expect(status.code).toBe(3);
    expect(status.stderr).toContain('error[not_signed_in]');
  });
});
