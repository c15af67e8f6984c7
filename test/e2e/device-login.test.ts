import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startIssuer, type RunningIssuer } from '../../src/issuer/index.js';
import { approveDeviceInBrowser, launchBrowser, signInInBrowser } from '../helpers/browser.js';
import { runCli, startCli, tempHome, URL_LINE, type RunningCli } from '../helpers/cli.js';
import { userinfoStatus } from '../helpers/userinfo.js';

/** The instructions `login --device` prints on stderr. */
const VERIFICATION_URI = /open this page in a browser on any device:\s*\n\s*\n\s+(\S+)/;
const USER_CODE = /and enter this code:\s*\n\s*\n\s+(\S+)/;
const COMPLETE_URI = /Or open this link, which fills the code in: (\S+)/;
const NO_DEVICE_CLIENT = 'browser-only';

let issuer: RunningIssuer;
let browser: Browser;

beforeAll(async () => {
  issuer = await startIssuer({
    port: 0,
    clients: [
      {
        client_id: NO_DEVICE_CLIENT,
        application_type: 'native',
        token_endpoint_auth_method: 'none',
        redirect_uris: ['http://127.0.0.1:18460/auth/callback'],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
      },
    ],
  });
  browser = await launchBrowser();
});

// A failed test must not leave its CLI polling into the next one.
const running: RunningCli[] = [];
afterEach(() => {
  for (const cli of running.splice(0)) if (cli.child.exitCode === null) cli.child.kill('SIGKILL');
});

afterAll(async () => {
  await browser?.close();
  await issuer?.close();
});

function cliArgs(clientId: string = issuer.clientId): string[] {
  return ['--issuer', issuer.issuer, '--client-id', clientId];
}

/** Starts `login --device` and reads the verification URI and user code it prints. */
async function startDeviceLogin(home: string, extra: string[] = []) {
  const login = startCli(['login', '--device', ...cliArgs(), ...extra], { env: { KEYTURN_HOME: home } });
  running.push(login);
  const [, verificationUri] = await login.waitForStderr(VERIFICATION_URI);
  const [, userCode] = await login.waitForStderr(USER_CODE);
  return { login, verificationUri: verificationUri as string, userCode: userCode as string };
}

describe('device sign-in (RFC 8628) with the built CLI and real Chromium', () => {
  it('prints the page and the code; approving them in a browser signs in, and `token` works after', async () => {
    const { home, cleanup } = await tempHome();
    try {
      const { login, verificationUri, userCode } = await startDeviceLogin(home, ['--json']);
      expect(verificationUri).toBe(`${issuer.issuer}/device`);
      expect(userCode).toMatch(/^[A-Z]{4}-[A-Z]{4}$/);
      await login.waitForStderr(/Waiting for approval/);
      expect(login.stderr()).toMatch(/Only enter this code on a page you opened yourself/);
      expect(login.stderr()).toMatch(/phishing/);

      const page = await approveDeviceInBrowser(browser, verificationUri, userCode);
      expect(page.bodyText).toMatch(/signed in|success|complete|done/i);
      const result = await login.done;
      expect(result.code, result.stderr).toBe(0);
      // --json: the result only, on stdout.
      const outcome = JSON.parse(result.stdout) as Record<string, unknown>;
      expect(outcome).toMatchObject({ ok: true, issuer: issuer.issuer, subject: expect.any(String) });
      expect(issuer.stats.deviceCodeGrants).toBeGreaterThanOrEqual(1);

      const token = await runCli(['token', ...cliArgs()], { env: { KEYTURN_HOME: home } });
      expect(token.code, token.stderr).toBe(0);
      const accessToken = token.stdout.trim();
      expect(await userinfoStatus(issuer.issuer, accessToken)).toBe(200);
      expect(result.stderr).not.toContain(accessToken);
      expect(result.stdout).not.toContain(accessToken);
    } finally {
      await cleanup();
    }
  });

  it('ends with error[access_denied] and exit 1 when the user denies in the browser', async () => {
    const { home, cleanup } = await tempHome();
    try {
      const { login, userCode } = await startDeviceLogin(home);
      // This time through the link that carries the code (verification_uri_complete).
      const [, completeUri] = await login.waitForStderr(COMPLETE_URI);
      expect(completeUri).toContain(`user_code=${userCode}`);
      await approveDeviceInBrowser(browser, completeUri as string, userCode, { deny: true });
      const result = await login.done;
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/error\[access_denied\]/);
      expect(result.stderr).toMatch(/^fix: /m);
      const status = await runCli(['status', ...cliArgs()], { env: { KEYTURN_HOME: home } });
      expect(status.code).toBe(3);
    } finally {
      await cleanup();
    }
  });

  it('a client registered without the device grant ends with error[unauthorized_client], exit 1', async () => {
    const { home, cleanup } = await tempHome();
    try {
      const result = await runCli(['login', '--device', ...cliArgs(NO_DEVICE_CLIENT), '--json'], {
        env: { KEYTURN_HOME: home },
      });
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/error\[unauthorized_client\]/);
      expect(result.stderr).toMatch(/^fix: Enable the device authorization grant .*keyturn login/m);
      expect(result.stderr).not.toMatch(/enter this code/);
      // oidc-provider says invalid_request "… is not allowed for this client", not RFC 6749's code.
      const { error } = JSON.parse(result.stdout) as { error: Record<string, unknown> };
      expect(error).toMatchObject({ code: 'unauthorized_client', oauth_error: 'invalid_request' });
      expect(error.oauth_error_description).toMatch(/device_code is not allowed for this client/);
    } finally {
      await cleanup();
    }
  });

  it('gives up with error[login_timeout] when nobody approves within --timeout', async () => {
    const { home, cleanup } = await tempHome();
    try {
      const { login } = await startDeviceLogin(home, ['--timeout', '1']);
      const result = await login.done;
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/error\[login_timeout\]/);
      expect(result.stderr).toMatch(/fix: Run `keyturn login --device` again/);
    } finally {
      await cleanup();
    }
  });

  it('Ctrl-C stops polling', async () => {
    const { home, cleanup } = await tempHome();
    try {
      const { login } = await startDeviceLogin(home);
      const pollsBefore = issuer.stats.tokenRequests;

      login.child.kill('SIGINT');
      const result = await login.done;
      expect(result.code).toBe(130);
      expect(result.stderr).toMatch(/Interrupted/);
      expect(issuer.stats.tokenRequests).toBe(pollsBefore);
    } finally {
      await cleanup();
    }
  });
});

describe('browser sign-in where no browser can reach this machine', () => {
  it('over SSH, `login` says so, suggests --device and the ssh -L forward for its port, and still waits', async () => {
    const { home, cleanup } = await tempHome();
    try {
      const login = startCli(
        ['login', ...cliArgs(), '--redirect-uri', 'http://127.0.0.1:18463/auth/callback'],
        { env: { KEYTURN_HOME: home, SSH_CONNECTION: '192.0.2.10 50000 192.0.2.20 22', DISPLAY: '' } },
      );
      running.push(login);
      const [, url] = await login.waitForStderr(URL_LINE);
      await login.waitForStderr(/ssh -L/);
      expect(login.stderr()).toMatch(/warning: This is an SSH session \(SSH_CONNECTION\)/);
      expect(login.stderr()).toContain('keyturn login --device');
      expect(login.stderr()).toContain('ssh -L 18463:localhost:18463 HOST');
      // It still waits: the URL opened through a forwarded port completes the sign-in.
      const page = await signInInBrowser(browser, url as string);
      expect(page.bodyText).toContain('Signed in');
      const result = await login.done;
      expect(result.code, result.stderr).toBe(0);
    } finally {
      await cleanup();
    }
  });
});
