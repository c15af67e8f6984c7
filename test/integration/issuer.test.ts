import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import * as client from 'openid-client';
import type { Browser } from 'playwright-core';
import { Agent, fetch as undiciFetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_CLIENT_ID, startIssuer } from '../../src/issuer/index.js';
import type { RunningIssuer } from '../../src/issuer/index.js';
import { approveDeviceInBrowser, launchBrowser, signInInBrowser } from '../helpers/browser.js';
import type { Socket } from 'node:net';

const SCOPE = 'openid profile email offline_access';
const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const NO_DEVICE_CLIENT = 'no-device-client';

interface CallbackServer {
  port: number;
  redirectUri: string;
  hits: string[];
  close(): Promise<void>;
}

/** The loopback redirect target, standing in for the keyturn CLI's callback server. */
async function startCallbackServer(): Promise<CallbackServer> {
  const hits: string[] = [];
  const server = http.createServer((req, res) => {
    hits.push(req.url ?? '');
    res.setHeader('content-type', 'text/html; charset=utf-8');
    res.end('<!DOCTYPE html><title>done</title><body><p>keyturn test callback reached</p></body>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    redirectUri: `http://127.0.0.1:${port}/auth/callback`,
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function configFor(iss: RunningIssuer, clientId = DEMO_CLIENT_ID): Promise<client.Configuration> {
  return client.discovery(new URL(iss.issuer), clientId, undefined, client.None(), {
    execute: [client.allowInsecureRequests],
  });
}

/** A full browser sign-in: authorization code + PKCE, code exchanged by openid-client. */
async function signIn(
  browser: Browser,
  config: client.Configuration,
  redirectUri: string,
): Promise<{ tokens: client.TokenEndpointResponse; finalUrl: string; bodyText: string }> {
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope: SCOPE,
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
  });
  const { finalUrl, bodyText } = await signInInBrowser(browser, url.href);
  const tokens = await client.authorizationCodeGrant(config, new URL(finalUrl), {
    pkceCodeVerifier: verifier,
    expectedState: state,
  });
  return { tokens, finalUrl, bodyText };
}

async function expectOAuthError(promise: Promise<unknown>, error: string): Promise<void> {
  const err: unknown = await promise.then(
    () => new Error('expected an OAuth error, got success'),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(client.ResponseBodyError);
  expect((err as client.ResponseBodyError).error).toBe(error);
}

async function postForm(
  url: string,
  form: Record<string, string>,
): Promise<{ status: number; body: unknown }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams(form),
  });
  return { status: res.status, body: await res.json() };
}

/** A throwaway self-signed certificate for localhost (openssl CLI). */
function selfSignedLocalhost(): { key: string; cert: string } {
  const dir = mkdtempSync(join(tmpdir(), 'keyturn-issuer-tls-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=DNS:localhost,IP:127.0.0.1',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    return {
      key: readFileSync(join(dir, 'key.pem'), 'utf8'),
      cert: readFileSync(join(dir, 'cert.pem'), 'utf8'),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function authUrl(iss: RunningIssuer, params: Record<string, string>): string {
  const url = new URL(`${iss.issuer}/auth`);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  return url.href;
}

let browser: Browser;
let iss: RunningIssuer;
let callback: CallbackServer;
let config: client.Configuration;

beforeAll(async () => {
  [browser, iss, callback] = await Promise.all([
    launchBrowser(),
    startIssuer({
      clients: [
        {
          client_id: NO_DEVICE_CLIENT,
          application_type: 'native',
          token_endpoint_auth_method: 'none',
          redirect_uris: ['http://127.0.0.1:1455/auth/callback'],
          grant_types: ['authorization_code', 'refresh_token'],
          response_types: ['code'],
        },
      ],
    }),
    startCallbackServer(),
  ]);
  config = await configFor(iss);
});

afterAll(async () => {
  await Promise.all([browser?.close(), iss?.close(), callback?.close()]);
});

describe('startIssuer', () => {
  it('refuses to bind anything but loopback', async () => {
    await expect(startIssuer({ host: '0.0.0.0' })).rejects.toThrow(/loopback/);
    await expect(startIssuer({ host: '192.168.1.1' })).rejects.toThrow(/loopback/);
  });

  it('serves a discovery document that matches the issuer', async () => {
    expect(iss.issuer).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(iss.issuer).toBe(`http://127.0.0.1:${iss.port}`);
    expect(iss.clientId).toBe('keyturn-demo');
    expect(iss.demoUser).toEqual({ username: 'demo', password: 'keyturn' });

    const res = await fetch(`${iss.issuer}/.well-known/openid-configuration`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as Record<string, unknown>;
    expect(doc.issuer).toBe(iss.issuer);
    expect(doc.authorization_endpoint).toBe(`${iss.issuer}/auth`);
    expect(doc.token_endpoint).toBe(`${iss.issuer}/token`);
    expect(doc.userinfo_endpoint).toBe(`${iss.issuer}/me`);
    expect(doc.device_authorization_endpoint).toBe(`${iss.issuer}/device/auth`);
    expect(doc.revocation_endpoint).toBe(`${iss.issuer}/token/revocation`);
    expect(doc.introspection_endpoint).toBe(`${iss.issuer}/token/introspection`);
    expect(doc.jwks_uri).toBe(`${iss.issuer}/jwks`);
    expect(doc.code_challenge_methods_supported).toContain('S256');
    expect(doc.code_challenge_methods_supported).not.toContain('plain');
    expect(doc.authorization_response_iss_parameter_supported).toBe(true);
    expect(doc.grant_types_supported).toEqual(
      expect.arrayContaining(['authorization_code', 'refresh_token', DEVICE_GRANT]),
    );
    expect(doc.scopes_supported).toEqual(
      expect.arrayContaining(['openid', 'profile', 'email', 'offline_access']),
    );
    expect(doc).not.toHaveProperty('end_session_endpoint');

    // per-run RSA key, not oidc-provider's development keys
    const jwks = (await (await fetch(`${iss.issuer}/jwks`)).json()) as {
      keys: Array<Record<string, unknown>>;
    };
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig' });
    expect(jwks.keys[0]).not.toHaveProperty('d');
    const other = await startIssuer();
    try {
      const otherJwks = (await (await fetch(`${other.issuer}/jwks`)).json()) as {
        keys: Array<{ n: string }>;
      };
      expect(otherJwks.keys[0]?.n).not.toBe((jwks.keys[0] as { n: string }).n);
    } finally {
      await other.close();
    }
  });

  it('accepts any loopback port for the native client, but nothing else', async () => {
    const base = {
      client_id: DEMO_CLIENT_ID,
      response_type: 'code',
      scope: 'openid',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
    };
    for (const redirect of [
      'http://127.0.0.1:1456/auth/callback',
      'http://localhost:1456/auth/callback',
      'http://127.0.0.1:1455/auth/callback',
    ]) {
      const res = await fetch(authUrl(iss, { ...base, redirect_uri: redirect }), { redirect: 'manual' });
      expect(res.status, redirect).toBe(303);
      expect(res.headers.get('location'), redirect).toMatch(/^\/interaction\/[\w-]+$/);
    }
    for (const redirect of [
      'http://127.0.0.1:1456/other/path',
      'http://example.com:1455/auth/callback',
      'https://127.0.0.1:1455/auth/callback',
    ]) {
      const res = await fetch(authUrl(iss, { ...base, redirect_uri: redirect }), { redirect: 'manual' });
      expect(res.status, redirect).toBe(400);
      expect(await res.text()).toMatch(/redirect_uri/);
    }
  });

  it('rejects an authorization request without PKCE, or with plain PKCE', async () => {
    const redirect = 'http://127.0.0.1:1455/auth/callback';
    const base = {
      client_id: DEMO_CLIENT_ID,
      response_type: 'code',
      scope: 'openid',
      redirect_uri: redirect,
    };
    const res = await fetch(authUrl(iss, { ...base, state: 's1' }), { redirect: 'manual' });
    expect(res.status).toBe(303);
    const location = new URL(res.headers.get('location') ?? '');
    expect(location.origin + location.pathname).toBe(redirect);
    expect(location.searchParams.get('error')).toBe('invalid_request');
    expect(location.searchParams.get('error_description')).toMatch(/PKCE/);
    expect(location.searchParams.get('state')).toBe('s1');
    expect(location.searchParams.get('iss')).toBe(iss.issuer);

    const plain = await fetch(
      authUrl(iss, { ...base, code_challenge: 'x'.repeat(43), code_challenge_method: 'plain' }),
      { redirect: 'manual' },
    );
    expect(plain.status).toBe(303);
    expect(new URL(plain.headers.get('location') ?? '').searchParams.get('error')).toBe('invalid_request');
  });

  it('signs in through a real browser: code + PKCE → access, refresh and id tokens', async () => {
    iss.resetStats();
    const tokenEvents: unknown[] = [];
    const onToken = (e: unknown): void => void tokenEvents.push(e);
    iss.events.on('token', onToken);
    try {
      const { tokens, finalUrl, bodyText } = await signIn(browser, config, callback.redirectUri);
      // redirected to the ephemeral loopback port (RFC 8252 §7.3), with the RFC 9207 iss parameter
      const final = new URL(finalUrl);
      expect(final.origin).toBe(`http://127.0.0.1:${callback.port}`);
      expect(final.searchParams.get('iss')).toBe(iss.issuer);
      expect(final.searchParams.get('code')).toBeTruthy();
      expect(bodyText).toContain('keyturn test callback reached');
      expect(callback.hits.some((h) => h.startsWith('/auth/callback?code='))).toBe(true);

      expect(tokens.token_type?.toLowerCase()).toBe('bearer');
      expect(tokens.access_token).toBeTruthy();
      expect(tokens.refresh_token).toBeTruthy();
      expect(tokens.id_token).toBeTruthy();
      expect(tokens.expires_in).toBe(3600);
      expect((tokens.scope ?? '').split(' ').sort()).toEqual([
        'email',
        'offline_access',
        'openid',
        'profile',
      ]);
      const claims = (tokens as client.TokenEndpointResponse & client.TokenEndpointResponseHelpers).claims();
      expect(claims).toMatchObject({
        iss: iss.issuer,
        aud: DEMO_CLIENT_ID,
        sub: 'demo-user-1',
        email: 'demo@keyturn.invalid',
        email_verified: true,
        name: 'Demo User',
      });

      expect(iss.stats.tokenRequests).toBe(1);
      expect(iss.stats.authorizationCodeGrants).toBe(1);
      expect(tokenEvents).toEqual([{ grantType: 'authorization_code', ok: true }]);

      // userinfo accepts the access token
      const info = await client.fetchUserInfo(config, tokens.access_token, 'demo-user-1');
      expect(info).toMatchObject({ sub: 'demo-user-1', email: 'demo@keyturn.invalid', name: 'Demo User' });
      expect(iss.stats.userinfoRequests).toBe(1);
      const bad = await fetch(`${iss.issuer}/me`, { headers: { authorization: 'Bearer not-a-token' } });
      expect(bad.status).toBe(401);
      expect(iss.stats.userinfoRequests).toBe(2);

      // introspection works for the issuing client
      const intro = await client.tokenIntrospection(config, tokens.access_token);
      expect(intro.active).toBe(true);
      expect(intro.sub).toBe('demo-user-1');
    } finally {
      iss.events.off('token', onToken);
    }
  });

  it('rotates refresh tokens; a reused one gets invalid_grant and is counted', async () => {
    const { tokens } = await signIn(browser, config, callback.redirectUri);
    iss.resetStats();
    const first = tokens.refresh_token ?? '';
    const refreshed = await client.refreshTokenGrant(config, first);
    expect(refreshed.access_token).toBeTruthy();
    expect(refreshed.access_token).not.toBe(tokens.access_token);
    expect(refreshed.refresh_token).toBeTruthy();
    expect(refreshed.refresh_token).not.toBe(first);
    expect(refreshed.expires_in).toBe(3600);
    expect(iss.stats).toMatchObject({ tokenRequests: 1, refreshRequests: 1, refreshFailures: 0 });

    await expectOAuthError(client.refreshTokenGrant(config, first), 'invalid_grant');
    expect(iss.stats).toMatchObject({ tokenRequests: 2, refreshRequests: 2, refreshFailures: 1 });
    // reuse detection: presenting a rotated-out token revokes the whole grant, the new token too
    await expectOAuthError(client.refreshTokenGrant(config, refreshed.refresh_token ?? ''), 'invalid_grant');
    expect(iss.stats.refreshRequests).toBe(3);
    expect(iss.stats.refreshFailures).toBe(3 - 1);
  });

  it('keeps the refresh token when rotation is off', async () => {
    const noRotate = await startIssuer({ rotateRefreshTokens: false });
    try {
      const cfg = await configFor(noRotate);
      const { tokens } = await signIn(browser, cfg, callback.redirectUri);
      const refreshed = await client.refreshTokenGrant(cfg, tokens.refresh_token ?? '');
      expect(refreshed.refresh_token ?? tokens.refresh_token).toBe(tokens.refresh_token);
      const again = await client.refreshTokenGrant(cfg, tokens.refresh_token ?? '');
      expect(again.access_token).toBeTruthy();
      expect(noRotate.stats).toMatchObject({ refreshRequests: 2, refreshFailures: 0 });
    } finally {
      await noRotate.close();
    }
  });

  it('expires access tokens after accessTokenTtl; refresh gets a working one', async () => {
    const short = await startIssuer({ accessTokenTtl: 2 });
    try {
      const cfg = await configFor(short);
      const { tokens } = await signIn(browser, cfg, callback.redirectUri);
      expect(tokens.expires_in).toBe(2);
      await expect(client.fetchUserInfo(cfg, tokens.access_token, 'demo-user-1')).resolves.toMatchObject({
        sub: 'demo-user-1',
      });
      await new Promise((r) => setTimeout(r, 3_000));
      const expired = await fetch(`${short.issuer}/me`, {
        headers: { authorization: `Bearer ${tokens.access_token}` },
      });
      expect(expired.status).toBe(401);
      expect(expired.headers.get('www-authenticate')).toMatch(/invalid_token/);
      expect(short.stats.userinfoRequests).toBe(2);

      const refreshed = await client.refreshTokenGrant(cfg, tokens.refresh_token ?? '');
      expect(refreshed.expires_in).toBe(2);
      await expect(client.fetchUserInfo(cfg, refreshed.access_token, 'demo-user-1')).resolves.toMatchObject({
        sub: 'demo-user-1',
      });
    } finally {
      await short.close();
    }
  });

  it('forgetGrants() makes the next refresh fail with invalid_grant', async () => {
    const { tokens } = await signIn(browser, config, callback.redirectUri);
    iss.resetStats();
    await iss.forgetGrants();
    const events: unknown[] = [];
    const onToken = (e: unknown): void => void events.push(e);
    iss.events.on('token', onToken);
    try {
      await expectOAuthError(client.refreshTokenGrant(config, tokens.refresh_token ?? ''), 'invalid_grant');
    } finally {
      iss.events.off('token', onToken);
    }
    expect(iss.stats).toMatchObject({ tokenRequests: 1, refreshRequests: 1, refreshFailures: 1 });
    expect(events).toEqual([{ grantType: 'refresh_token', ok: false, error: 'invalid_grant' }]);
    // the access token is gone too
    const res = await fetch(`${iss.issuer}/me`, {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    expect(res.status).toBe(401);
  });

  it('revokes a refresh token, counts it, and the token is dead afterwards', async () => {
    const { tokens } = await signIn(browser, config, callback.redirectUri);
    iss.resetStats();
    const events: unknown[] = [];
    const onRevocation = (e: unknown): void => void events.push(e);
    iss.events.on('revocation', onRevocation);
    try {
      await client.tokenRevocation(config, tokens.refresh_token ?? '', { token_type_hint: 'refresh_token' });
    } finally {
      iss.events.off('revocation', onRevocation);
    }
    expect(iss.stats.revocations).toBe(1);
    expect(events).toEqual([{ tokenTypeHint: 'refresh_token', ok: true }]);
    await expectOAuthError(client.refreshTokenGrant(config, tokens.refresh_token ?? ''), 'invalid_grant');
    // revoking the refresh token revokes the grant, its access tokens included
    const res = await fetch(`${iss.issuer}/me`, {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    expect(res.status).toBe(401);
  });

  it('re-renders the login page on a wrong password', async () => {
    const verifier = client.randomPKCECodeVerifier();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: callback.redirectUri,
      scope: SCOPE,
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    });
    await expect(signInInBrowser(browser, url.href, { password: 'wrong' })).rejects.toThrow(
      /Wrong username or password/,
    );
    // the page shows the demo credentials
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      await page.goto(url.href);
      const text = await page.locator('body').innerText();
      expect(text).toContain('Demo account: demo / keyturn');
      expect(await page.locator('input[name="username"]').count()).toBe(1);
      expect(await page.locator('input[name="password"]').count()).toBe(1);
      expect(await page.getByRole('button', { name: 'Sign in' }).count()).toBe(1);
    } finally {
      await context.close();
    }
  });

  it('ends with access_denied at the redirect URI when the user clicks Deny', async () => {
    iss.resetStats();
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: callback.redirectUri,
      scope: SCOPE,
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
    });
    const { finalUrl, bodyText } = await signInInBrowser(browser, url.href, { deny: true });
    const final = new URL(finalUrl);
    expect(final.origin + final.pathname).toBe(callback.redirectUri);
    expect(final.searchParams.get('error')).toBe('access_denied');
    expect(final.searchParams.get('state')).toBe(state);
    expect(final.searchParams.get('iss')).toBe(iss.issuer);
    expect(final.searchParams.has('code')).toBe(false);
    expect(bodyText).toContain('keyturn test callback reached');
    const err: unknown = await client
      .authorizationCodeGrant(config, final, { pkceCodeVerifier: verifier, expectedState: state })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(client.AuthorizationResponseError);
    expect((err as client.AuthorizationResponseError).error).toBe('access_denied');
    expect(iss.stats.tokenRequests).toBe(0);
  });

  it('rejects a code exchange with the wrong PKCE verifier', async () => {
    const verifier = client.randomPKCECodeVerifier();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: callback.redirectUri,
      scope: SCOPE,
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    });
    const { finalUrl } = await signInInBrowser(browser, url.href);
    await expectOAuthError(
      client.authorizationCodeGrant(config, new URL(finalUrl), {
        pkceCodeVerifier: client.randomPKCECodeVerifier(),
        expectedState: client.skipStateCheck,
      }),
      'invalid_grant',
    );
  });

  it('completes the device flow approved in a real browser', async () => {
    iss.resetStats();
    const device = await client.initiateDeviceAuthorization(config, { scope: SCOPE });
    expect(device.verification_uri).toBe(`${iss.issuer}/device`);
    expect(device.user_code).toMatch(/^[A-Z]{4}-[A-Z]{4}$/);
    expect(device.verification_uri_complete).toBeTruthy();

    // before approval: authorization_pending
    const pending = await postForm(`${iss.issuer}/token`, {
      grant_type: DEVICE_GRANT,
      device_code: device.device_code,
      client_id: DEMO_CLIENT_ID,
    });
    expect(pending).toMatchObject({ status: 400, body: { error: 'authorization_pending' } });

    const { bodyText } = await approveDeviceInBrowser(browser, device.verification_uri, device.user_code);
    expect(bodyText).toContain('Sign-in complete');

    const tokens = await client.pollDeviceAuthorizationGrant(config, { ...device, interval: 0 });
    expect(tokens.access_token).toBeTruthy();
    expect(tokens.refresh_token).toBeTruthy();
    expect(tokens.id_token).toBeTruthy();
    expect(tokens.claims()?.sub).toBe('demo-user-1');
    expect((tokens.scope ?? '').split(' ').sort()).toEqual(['email', 'offline_access', 'openid', 'profile']);
    expect(iss.stats.deviceCodeGrants).toBe(1);
    expect(iss.stats.tokenRequests).toBe(2);

    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token ?? '');
    expect(refreshed.access_token).toBeTruthy();

    // the device code is single-use; replaying it revokes the grant it produced
    const reused = await postForm(`${iss.issuer}/token`, {
      grant_type: DEVICE_GRANT,
      device_code: device.device_code,
      client_id: DEMO_CLIENT_ID,
    });
    expect(reused).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    await expectOAuthError(client.refreshTokenGrant(config, refreshed.refresh_token ?? ''), 'invalid_grant');
  });

  it('device flow: verification_uri_complete, and Deny ends it with access_denied', async () => {
    const device = await client.initiateDeviceAuthorization(config, { scope: SCOPE });
    const { bodyText } = await approveDeviceInBrowser(
      browser,
      device.verification_uri_complete ?? '',
      device.user_code,
      { deny: true },
    );
    expect(bodyText).toMatch(/denied/i);
    const res = await postForm(`${iss.issuer}/token`, {
      grant_type: DEVICE_GRANT,
      device_code: device.device_code,
      client_id: DEMO_CLIENT_ID,
    });
    expect(res).toMatchObject({ status: 400, body: { error: 'access_denied' } });
  });

  it('rejects a device authorization request from a client without the device grant', async () => {
    const res = await postForm(`${iss.issuer}/device/auth`, { client_id: NO_DEVICE_CLIENT, scope: 'openid' });
    // oidc-provider answers invalid_request here (not RFC 6749's unauthorized_client)
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      error: 'invalid_request',
      error_description: `${DEVICE_GRANT} is not allowed for this client`,
    });
    // the token endpoint answers the same way for a grant type the client may not use
    const token = await postForm(`${iss.issuer}/token`, {
      grant_type: DEVICE_GRANT,
      device_code: 'made-up',
      client_id: NO_DEVICE_CLIENT,
    });
    expect(token).toEqual({
      status: 400,
      body: {
        error: 'invalid_request',
        error_description: 'requested grant type is not allowed for this client',
      },
    });
    // and the same request from the demo client is fine
    const ok = await postForm(`${iss.issuer}/device/auth`, { client_id: DEMO_CLIENT_ID, scope: 'openid' });
    expect(ok.status).toBe(200);
    expect(ok.body).toHaveProperty('device_code');
    expect(ok.body).toHaveProperty('expires_in', 600);
  });

  it('serves over TLS with the given certificate, issuer https://localhost:PORT', async () => {
    const tls = selfSignedLocalhost();
    const secure = await startIssuer({ https: tls });
    const dispatcher = new Agent({ connect: { ca: tls.cert } });
    try {
      expect(secure.issuer).toBe(`https://localhost:${secure.port}`);
      const tlsFetch: client.CustomFetch = (url, options) =>
        undiciFetch(url, { ...options, dispatcher } as Parameters<
          typeof undiciFetch
        >[1]) as unknown as Promise<Response>;
      const cfg = await client.discovery(new URL(secure.issuer), DEMO_CLIENT_ID, undefined, client.None(), {
        [client.customFetch]: tlsFetch,
      });
      expect(cfg.serverMetadata().issuer).toBe(secure.issuer);
      expect(cfg.serverMetadata().token_endpoint).toBe(`${secure.issuer}/token`);
      // the whole browser sign-in works over https (secure cookies included)
      const { tokens, finalUrl } = await signIn(browser, cfg, callback.redirectUri);
      expect(new URL(finalUrl).searchParams.get('iss')).toBe(secure.issuer);
      expect(tokens.refresh_token).toBeTruthy();
      // and plain http is not spoken on that port
      await expect(fetch(`http://127.0.0.1:${secure.port}/jwks`)).rejects.toThrow();
    } finally {
      await Promise.all([secure.close(), dispatcher.close()]);
    }
  });

  it('closes its keep-alive connections when it closes, instead of waiting for them to idle out', async () => {
    const lines: string[] = [];
    const lonely = await startIssuer({ port: 0, log: (line) => lines.push(line) });
    const agent = new http.Agent({ keepAlive: true });
    const kept = await new Promise<Socket>((resolve, reject) => {
      http
        .get(`${lonely.issuer}/.well-known/openid-configuration`, { agent }, (res) => {
          const socket = res.socket;
          res.resume();
          res.on('end', () => resolve(socket));
        })
        .on('error', reject);
    });
    const keptClosed = new Promise<void>((resolve) => kept.once('close', () => resolve()));
    await fetch(`${lonely.issuer}/auth?client_id=${DEMO_CLIENT_ID}&state=secret-state`, {
      redirect: 'manual',
    });
    expect(lines[0]).toMatch(/^GET \/\.well-known\/openid-configuration 200 \d+ms$/);
    expect(lines[1]).toMatch(/^GET \/auth \d{3} \d+ms$/);
    expect(lines.join('\n')).not.toContain('secret-state');
    // The socket is idle in the agent's pool: only the server can end it now (its keep-alive
    // timeout is 5 s, the test's own timeout catches a server that leaves it open).
    expect(kept.destroyed).toBe(false);
    await lonely.close();
    await keptClosed;
    expect(kept.destroyed).toBe(true);
    agent.destroy();
    await expect(fetch(`${lonely.issuer}/jwks`)).rejects.toThrow();
  });
});
