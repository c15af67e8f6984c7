import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGoogle, type GoogleStandIn } from '../providers/google.js';
import { providerSession } from '../providers/session.js';

/**
 * Google as documented (test/providers/google.ts): `verification_url`, polling answers with 428 and
 * 403, `scopes_supported` without `offline_access` (an error page for it), refresh tokens for
 * `access_type=offline`, error pages instead of redirects for an unknown client, an unregistered
 * redirect URI or an invalid scope. The profile names the issuer and the client; nothing else.
 */

const SECRET = 'GOCSPX-google-client-secret';
let google: GoogleStandIn;

beforeAll(async () => {
  google = await startGoogle({
    interval: 1,
    desktop: { clientId: '1234-desktop.apps.googleusercontent.com', clientSecret: SECRET, redirectUris: [] },
    web: {
      clientId: '1234-web.apps.googleusercontent.com',
      clientSecret: SECRET,
      redirectUris: ['http://127.0.0.1:18669/oauth2callback'],
    },
  });
});
afterAll(async () => google?.close());

const desktop = (port: number, extra: Record<string, unknown> = {}) => ({
  issuer: google.issuer,
  client_id: '1234-desktop.apps.googleusercontent.com',
  redirect_uri: `http://127.0.0.1:${port}/callback`,
  ...extra,
});
const withSecret = { KEYTURN_CLIENT_SECRET: SECRET };

describe('Google device flow', () => {
  it('reads verification_url, polls through 428 and a 403 slow_down, and leaves out offline_access', async () => {
    const session = await providerSession('google', desktop(18663), withSecret);
    try {
      const { login, userCode, verificationUri } = await session.startDevice(['--json']);
      expect(verificationUri).toBe(`${google.issuer}/device`);
      expect(login.stderr()).toMatch(/does not list offline_access/);
      // Google finds the first poll too frequent (403 slow_down), then says pending (428) until approved.
      google.slowDown(1);
      const before = google.pollAnswers.length;
      await waitFor(() => google.pollAnswers.length >= before + 2);
      google.server.decideDevice(userCode, 'approved');
      const result = await login.done;
      expect(google.pollAnswers.slice(before)).toEqual(['slow_down', 'authorization_pending', 'tokens']);
      expect(result.code, result.stderr).toBe(0);
      expect(JSON.parse(result.stdout)).toMatchObject({ ok: true, email: 'alice@example.test' });
      const deviceRequest = google.server.hits.get('POST /device/code');
      expect(deviceRequest).toBe(1);

      const status = JSON.parse((await session.run(['status', '--json'])).stdout) as Record<string, unknown>;
      // Google's device flow always gives a refresh token.
      expect(status).toMatchObject({ signed_in: true, has_refresh_token: true, email: 'alice@example.test' });
      const token = await session.run(['token']);
      expect(token.code, token.stderr).toBe(0);
      await session.expireIn(-10);
      const refreshed = await session.run(['token']);
      expect(refreshed.code, refreshed.stderr).toBe(0);
      expect(refreshed.stdout).not.toBe(token.stdout);
      // Google's refresh answer has no refresh_token: the one held is kept.
      const after = JSON.parse((await session.run(['status', '--json'])).stdout) as Record<string, unknown>;
      expect(after).toMatchObject({ has_refresh_token: true });
    } finally {
      await session.cleanup();
    }
  });

  it('the user denies: 403 access_denied is error[access_denied], not a blocked endpoint', async () => {
    const session = await providerSession('google', desktop(18663), withSecret);
    try {
      const { login, userCode } = await session.startDevice(['--json']);
      google.server.decideDevice(userCode, 'denied');
      const result = await login.done;
      expect(result.code).toBe(1);
      const { error } = JSON.parse(result.stdout) as { error: Record<string, unknown> };
      expect(error).toMatchObject({ code: 'access_denied', oauth_error: 'access_denied', http_status: 403 });
    } finally {
      await session.cleanup();
    }
  });
});

describe('Google browser sign-in (desktop app)', () => {
  it('without offline_access the sign-in completes; access_type=offline from authorize_params brings a refresh token', async () => {
    const online = await providerSession('google', desktop(18664), withSecret);
    try {
      const { result, visit } = await online.browserLogin();
      expect(result.code, result.stderr).toBe(0);
      expect(visit?.body).toMatch(/Signed in/);
      expect(result.stderr).toMatch(/does not list offline_access/);
      const status = JSON.parse((await online.run(['status', '--json'])).stdout) as Record<string, unknown>;
      expect(status).toMatchObject({
        signed_in: true,
        has_refresh_token: false,
        email: 'alice@example.test',
      });
      // doctor says so too, as a note: Google lists no offline_access.
      const { report, problems, stdout } = await online.doctor();
      expect(problems, stdout).toEqual([]);
      expect(report.findings.find((f) => f.code === 'refresh_token')).toMatchObject({ severity: 'info' });
    } finally {
      await online.cleanup();
    }
    const offline = await providerSession(
      'google',
      desktop(18664, { authorize_params: { access_type: 'offline', prompt: 'consent' } }),
      withSecret,
    );
    try {
      const { result, visit } = await offline.browserLogin();
      expect(result.code, result.stderr).toBe(0);
      expect(new URL(visit?.trail[0] ?? '').searchParams.get('access_type')).toBe('offline');
      const status = JSON.parse((await offline.run(['status', '--json'])).stdout) as Record<string, unknown>;
      expect(status).toMatchObject({ has_refresh_token: true });

      const { report, problems, stdout } = await offline.doctor();
      expect(problems, stdout).toEqual([]);
      expect(report.findings.find((f) => f.code === 'authorization_endpoint')?.severity).toBe('ok');
      expect(report.findings.find((f) => f.code === 'refresh_token')).toBeUndefined();
    } finally {
      await offline.cleanup();
    }
  });
});

describe('login checks the authorization request before opening the browser', () => {
  it.each([
    ['an unknown client', { client_id: 'nobody.apps.googleusercontent.com' }, 'invalid_client'],
    [
      'a redirect URI the web client did not register',
      { client_id: '1234-web.apps.googleusercontent.com', redirect_uri: 'http://127.0.0.1:18665/elsewhere' },
      'redirect_uri_mismatch',
    ],
    [
      'a scope Google does not know',
      { scopes: ['openid', 'email', 'https://example.test/auth/unknown'] },
      'invalid_scope',
    ],
  ])('%s fails at once with its code and fix, and no URL to open', async (_name, keys, code) => {
    const session = await providerSession('google', desktop(18665, keys), withSecret);
    try {
      const result = await session.run(['login', '--no-open', '--json', '--timeout', '120']);
      expect(result.code).toBe(1);
      const { error } = JSON.parse(result.stdout) as { error: Record<string, unknown> };
      expect(error.code).toBe(code);
      expect(error.fix).toEqual(expect.any(String));
      expect(result.stderr).not.toMatch(/Open this URL to sign in/);
    } finally {
      await session.cleanup();
    }
  });
});

async function waitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 50));
}
