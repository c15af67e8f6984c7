/**
 * The embedded authorization server behind `keyturn demo`, `keyturn dev-issuer` and the tests:
 * oidc-provider on loopback, with its own interaction pages, per-run keys and in-memory storage.
 *
 * Loaded by dynamic import only; nothing else in keyturn depends on oidc-provider.
 */
import { EventEmitter } from 'node:events';
import { randomBytes } from 'node:crypto';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';
import type Provider from 'oidc-provider';
import type * as OidcProviderModule from 'oidc-provider';
import type { Account, ClientMetadata, Configuration, UnknownObject } from 'oidc-provider';
import { isLoopbackHost } from '../core/config.js';
import { MemoryStore, memoryAdapterFactory } from './adapter.js';
import {
  PAGE_CSP,
  consentPage,
  deviceConfirmPage,
  deviceInputPage,
  deviceSuccessPage,
  errorPage,
  loginPage,
} from './pages.js';

export const DEMO_CLIENT_ID = 'keyturn-demo';

/**
 * oidc-provider 9 says at import that Node 20 is not a runtime it supports; it works on 20 (the
 * tests prove it), and to someone running `keyturn demo` the line is only noise. Only that line is
 * dropped, only while the module loads.
 */
let oidcProvider: Promise<typeof OidcProviderModule> | undefined;
function loadOidcProvider(): Promise<typeof OidcProviderModule> {
  return (oidcProvider ??= (async () => {
    const warn = console.warn;
    console.warn = (...args: unknown[]) => {
      if (typeof args[0] === 'string' && args[0].includes('Unsupported runtime')) return;
      warn(...args);
    };
    try {
      return await import('oidc-provider');
    } finally {
      console.warn = warn;
    }
  })());
}

export interface IssuerOptions {
  /** default 0 = ephemeral */
  port?: number;
  /** bind address, default '127.0.0.1'; only loopback addresses are accepted */
  host?: string;
  /** serve over TLS; the issuer URL is then https://localhost:PORT */
  https?: { key: string | Buffer; cert: string | Buffer };
  /** seconds, default 3600 */
  accessTokenTtl?: number;
  /** seconds, default 14 days */
  refreshTokenTtl?: number;
  /** seconds, default 600 */
  deviceCodeTtl?: number;
  /** default true */
  rotateRefreshTokens?: boolean;
  /** extra clients, in addition to the default keyturn-demo */
  clients?: ClientMetadata[];
  /** optional one-line request log (method, path without query, status, duration) */
  log?: (line: string) => void;
  /**
   * The issuer URL to publish instead of this server's own address: for tests that put a proxy of
   * their own in front of it, so that every endpoint in discovery goes through that proxy.
   */
  publicUrl?: string;
  /** Open dynamic client registration (RFC 7591) at /reg, for MCP sign-ins. */
  registration?: boolean;
  /**
   * Protected resources (RFC 8707 resource indicators): access tokens for these are JWTs with the
   * resource as audience, carrying the listed scopes. For MCP servers in tests.
   */
  resources?: Record<string, { scope: string; accessTokenTtl?: number }>;
}

export interface IssuerStats {
  /** every POST that reached the token endpoint */
  tokenRequests: number;
  /** every refresh_token grant request, successful or not */
  refreshRequests: number;
  /** refresh_token grant requests that did not get tokens */
  refreshFailures: number;
  /** successful authorization_code grants */
  authorizationCodeGrants: number;
  /** successful device_code grants (pending polls are not counted) */
  deviceCodeGrants: number;
  /** revocation requests answered 200 */
  revocations: number;
  /** every request to the userinfo endpoint */
  userinfoRequests: number;
}

export interface RunningIssuer {
  /** e.g. "http://127.0.0.1:40123" (no trailing slash), exactly the `issuer` of discovery */
  issuer: string;
  port: number;
  clientId: 'keyturn-demo';
  demoUser: { username: string; password: string };
  /** live counters, updated as requests arrive */
  stats: IssuerStats;
  /**
   * emits 'token' {grantType, ok, error?}, 'revocation' {tokenTypeHint?, ok}, 'userinfo' {ok}
   * (after the response is decided)
   */
  events: EventEmitter;
  /** drop every grant, token, session and interaction it holds: the next refresh gets invalid_grant */
  forgetGrants(): Promise<void>;
  resetStats(): void;
  /** closes the server and every socket */
  close(): Promise<void>;
}

const DEMO_USER = { username: 'demo', password: 'keyturn' } as const;
const DEMO_ACCOUNT = {
  sub: 'demo-user-1',
  email: 'demo@keyturn.invalid',
  email_verified: true,
  name: 'Demo User',
} as const;

const MAX_FORM_BYTES = 16 * 1024;
const DAY = 24 * 60 * 60;

const ROUTES = {
  authorization: '/auth',
  token: '/token',
  userinfo: '/me',
  revocation: '/token/revocation',
  introspection: '/token/introspection',
  device_authorization: '/device/auth',
  code_verification: '/device',
  jwks: '/jwks',
  end_session: '/session/end',
  pushed_authorization_request: '/request',
  registration: '/reg',
  backchannel_authentication: '/backchannel',
  challenge: '/challenge',
} as const;

function zeroStats(): IssuerStats {
  return {
    tokenRequests: 0,
    refreshRequests: 0,
    refreshFailures: 0,
    authorizationCodeGrants: 0,
    deviceCodeGrants: 0,
    revocations: 0,
    userinfoRequests: 0,
  };
}

function defaultClient(): ClientMetadata {
  return {
    client_id: DEMO_CLIENT_ID,
    client_name: 'keyturn demo',
    application_type: 'native',
    token_endpoint_auth_method: 'none',
    redirect_uris: ['http://localhost:1455/auth/callback', 'http://127.0.0.1:1455/auth/callback'],
    grant_types: ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code'],
    response_types: ['code'],
  };
}

function findDemoAccount(sub: string): Account | undefined {
  if (sub !== DEMO_ACCOUNT.sub) return undefined;
  return {
    accountId: DEMO_ACCOUNT.sub,
    claims: () => ({ ...DEMO_ACCOUNT }),
  };
}

function sendHtml(res: http.ServerResponse, status: number, html: string): void {
  res.statusCode = status;
  res.setHeader('content-type', 'text/html; charset=utf-8');
  res.setHeader('cache-control', 'no-store');
  res.setHeader('content-security-policy', PAGE_CSP);
  res.setHeader('x-frame-options', 'DENY');
  res.setHeader('referrer-policy', 'no-referrer');
  res.end(html);
}

class BodyError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Reads an application/x-www-form-urlencoded body, capped at MAX_FORM_BYTES. */
async function readForm(req: http.IncomingMessage): Promise<URLSearchParams> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') {
    throw new BodyError(415, 'expected an application/x-www-form-urlencoded form');
  }
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > MAX_FORM_BYTES) throw new BodyError(413, 'form too large');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > MAX_FORM_BYTES) throw new BodyError(413, 'form too large');
    chunks.push(buf);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

function scopesOf(value: unknown): string[] {
  return typeof value === 'string' ? value.split(' ').filter(Boolean) : [];
}

function bodyField(ctx: object, name: string): string | undefined {
  // ctx.oidc exists only when the request was routed to one of the provider's endpoints
  const oidc = (ctx as { oidc?: { body?: UnknownObject } }).oidc;
  const value = oidc?.body?.[name];
  return typeof value === 'string' ? value : undefined;
}

function errorCode(ctx: { body?: unknown }): string | undefined {
  const body = ctx.body;
  if (body && typeof body === 'object' && 'error' in body && typeof body.error === 'string')
    return body.error;
  return undefined;
}

export async function startIssuer(opts: IssuerOptions = {}): Promise<RunningIssuer> {
  const host = opts.host ?? '127.0.0.1';
  if (!isLoopbackHost(host)) {
    throw new Error(
      `the demo issuer only binds to loopback addresses (127.0.0.1, ::1, localhost), not ${host}`,
    );
  }
  const accessTokenTtl = opts.accessTokenTtl ?? 3600;
  const refreshTokenTtl = opts.refreshTokenTtl ?? 14 * DAY;
  const deviceCodeTtl = opts.deviceCodeTtl ?? 600;
  const rotate = opts.rotateRefreshTokens ?? true;
  const log = opts.log;

  const stats = zeroStats();
  const events = new EventEmitter();
  const store = new MemoryStore();

  // Signing key generated per run; never oidc-provider's development keys.
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = await exportJWK(privateKey);
  jwk.kid = await calculateJwkThumbprint(jwk);
  jwk.alg = 'RS256';
  jwk.use = 'sig';

  // Behind a proxy of the caller's own, every endpoint is published under the proxy's address.
  const publicHost = opts.publicUrl === undefined ? undefined : new URL(opts.publicUrl).host;

  // Filled in once the port (and so the issuer URL) is known.
  const mounted: { provider?: Provider; callback?: ReturnType<Provider['callback']> } = {};

  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const started = Date.now();
    const method = req.method ?? 'GET';
    let pathname = '/';
    try {
      pathname = new URL(req.url ?? '/', 'http://issuer.invalid').pathname;
    } catch {
      // keep '/'
    }
    if (log) {
      res.once('finish', () => log(`${method} ${pathname} ${res.statusCode} ${Date.now() - started}ms`));
    }
    const { provider, callback } = mounted;
    if (!provider || !callback) {
      sendHtml(res, 503, errorPage('Starting', 'The issuer is still starting.'));
      return;
    }
    if (pathname === '/interaction' || pathname.startsWith('/interaction/')) {
      void handleInteraction(provider, req, res, pathname);
      return;
    }
    if (method === 'GET' && pathname === ROUTES.authorization) addConsentPromptForOfflineAccess(req);
    if (publicHost !== undefined) req.headers.host = publicHost;
    void callback(req, res);
  };

  const server = opts.https
    ? https.createServer({ key: opts.https.key, cert: opts.https.cert }, onRequest)
    : http.createServer(onRequest);
  server.keepAliveTimeout = 5_000;

  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = opts.https ? 'localhost' : host.includes(':') ? `[${host.replace(/^\[|\]$/g, '')}]` : host;
  const issuer =
    opts.publicUrl?.replace(/\/+$/, '') ?? `${opts.https ? 'https' : 'http'}://${urlHost}:${port}`;

  const configuration: Configuration = {
    adapter: memoryAdapterFactory(store),
    clients: [defaultClient(), ...(opts.clients ?? [])],
    jwks: { keys: [jwk] },
    cookies: {
      keys: [randomBytes(32).toString('base64url')],
      long: { httpOnly: true, sameSite: 'lax' },
      short: { httpOnly: true, sameSite: 'lax' },
    },
    findAccount: (_ctx, sub) => findDemoAccount(sub),
    claims: {
      openid: ['sub'],
      profile: ['name'],
      email: ['email', 'email_verified'],
    },
    scopes: ['openid', 'offline_access', 'profile', 'email'],
    responseTypes: ['code'],
    // End-User claims go into the id_token too, so `keyturn status` can show who is signed in.
    conformIdTokenClaims: false,
    pkce: { required: () => true },
    routes: ROUTES,
    features: {
      devInteractions: { enabled: false },
      deviceFlow: {
        enabled: true,
        charset: 'base-20',
        mask: '****-****',
        userCodeInputSource: (ctx, form, _out, err) => {
          let message = 'Enter the code shown in your terminal.';
          let isError = false;
          if (err && ('userCode' in err || err.name === 'NoCodeError')) {
            message = 'That code is not valid or has expired. Check it and try again.';
            isError = true;
          } else if (err && err.name === 'AbortedError') {
            message = 'The sign-in request was denied. You can close this window.';
            isError = true;
          } else if (err) {
            message = 'This sign-in could not be completed. Start again from your terminal.';
            isError = true;
          }
          ctx.type = 'html';
          ctx.set('content-security-policy', PAGE_CSP);
          ctx.body = deviceInputPage(form, message, isError);
        },
        userCodeConfirmSource: (ctx, form, client, _deviceInfo, userCode) => {
          ctx.type = 'html';
          ctx.set('content-security-policy', PAGE_CSP);
          ctx.body = deviceConfirmPage(form, client.clientName ?? client.clientId, userCode);
        },
        successSource: (ctx) => {
          ctx.type = 'html';
          ctx.set('content-security-policy', PAGE_CSP);
          const client = ctx.oidc.client;
          ctx.body = deviceSuccessPage(client?.clientName ?? client?.clientId ?? 'the client');
        },
      },
      revocation: {
        enabled: true,
        allowedPolicy: (_ctx, client, token) => token.clientId === client.clientId,
      },
      introspection: {
        enabled: true,
        allowedPolicy: (ctx, client, token) =>
          !(client.clientAuthMethod === 'none' && token.clientId !== ctx.oidc.client?.clientId),
      },
      userinfo: { enabled: true },
      rpInitiatedLogout: { enabled: false },
      registration: { enabled: opts.registration === true },
      resourceIndicators: {
        enabled: opts.resources !== undefined,
        // A refresh or code exchange without `resource` still gets the resource of the grant.
        useGrantedResource: () => true,
        getResourceServerInfo: async (_ctx, indicator) => {
          const info = opts.resources?.[indicator];
          if (info === undefined) throw new (await loadOidcProvider()).errors.InvalidTarget();
          return {
            scope: info.scope,
            audience: indicator,
            accessTokenTTL: info.accessTokenTtl ?? accessTokenTtl,
            accessTokenFormat: 'jwt',
          };
        },
      },
    },
    interactions: {
      url: (_ctx, interaction) => `/interaction/${interaction.uid}`,
    },
    // Public native clients get a refresh token whenever they may use the refresh_token grant.
    issueRefreshToken: (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    rotateRefreshToken: () => rotate,
    // Refresh tokens outlive the browser session that created them.
    expiresWithSession: () => false,
    ttl: {
      AccessToken: accessTokenTtl,
      IdToken: accessTokenTtl,
      AuthorizationCode: 60,
      RefreshToken: refreshTokenTtl,
      DeviceCode: deviceCodeTtl,
      Interaction: 60 * 60,
      Session: 14 * DAY,
      Grant: Math.max(refreshTokenTtl, 365 * DAY),
    },
    renderError: (ctx, out) => {
      ctx.type = 'html';
      ctx.set('content-security-policy', PAGE_CSP);
      ctx.body = errorPage('Sign-in failed', 'The authorization server could not handle this request.', {
        ...out,
      });
    },
  };

  let provider: Provider;
  try {
    const { default: ProviderClass } = await loadOidcProvider();
    provider = new ProviderClass(issuer, configuration);
  } catch (err) {
    await closeServer(server);
    throw err;
  }
  provider.proxy = false;

  // Counts and events, from the outermost middleware, after the endpoint has answered.
  provider.use(async (ctx, next) => {
    await next();
    const path = ctx.path;
    if (ctx.method === 'POST' && path === ROUTES.token) {
      const grantType = bodyField(ctx, 'grant_type');
      const ok = ctx.status === 200;
      const error = ok ? undefined : (errorCode(ctx) ?? `http_${ctx.status}`);
      stats.tokenRequests += 1;
      if (grantType === 'refresh_token') {
        stats.refreshRequests += 1;
        if (!ok) stats.refreshFailures += 1;
      } else if (ok && grantType === 'authorization_code') {
        stats.authorizationCodeGrants += 1;
      } else if (ok && grantType === 'urn:ietf:params:oauth:grant-type:device_code') {
        stats.deviceCodeGrants += 1;
      }
      events.emit('token', error === undefined ? { grantType, ok } : { grantType, ok, error });
    } else if (ctx.method === 'POST' && path === ROUTES.revocation) {
      const ok = ctx.status === 200;
      if (ok) stats.revocations += 1;
      const tokenTypeHint = bodyField(ctx, 'token_type_hint');
      events.emit('revocation', tokenTypeHint === undefined ? { ok } : { tokenTypeHint, ok });
    } else if ((ctx.method === 'GET' || ctx.method === 'POST') && path === ROUTES.userinfo) {
      stats.userinfoRequests += 1;
      events.emit('userinfo', { ok: ctx.status === 200 });
    }
  });

  mounted.callback = provider.callback();
  mounted.provider = provider;

  return {
    issuer,
    port,
    clientId: DEMO_CLIENT_ID,
    demoUser: { ...DEMO_USER },
    stats,
    events,
    async forgetGrants() {
      store.clear();
    },
    resetStats() {
      Object.assign(stats, zeroStats());
    },
    close: () => closeServer(server),
  };
}

function closeServer(server: http.Server | https.Server): Promise<void> {
  return new Promise<void>((resolve) => {
    if (!server.listening) {
      resolve();
      return;
    }
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/**
 * oidc-provider drops `offline_access` from an authorization request unless `prompt` includes `consent`
 * (OIDC Core §11). This issuer always asks native clients for consent anyway, so a request for
 * `offline_access` is made to carry `prompt=consent`, and the granted scope keeps `offline_access`.
 */
function addConsentPromptForOfflineAccess(req: http.IncomingMessage): void {
  const url = new URL(req.url ?? '/', 'http://issuer.invalid');
  if (!scopesOf(url.searchParams.get('scope')).includes('offline_access')) return;
  const prompt = scopesOf(url.searchParams.get('prompt') ?? '');
  if (prompt.includes('consent') || prompt.includes('none')) return;
  prompt.push('consent');
  url.searchParams.set('prompt', prompt.join(' '));
  req.url = `${url.pathname}${url.search}`;
}

async function handleInteraction(
  provider: Provider,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  pathname: string,
): Promise<void> {
  const match = /^\/interaction\/([A-Za-z0-9_-]+)(?:\/(login|confirm|abort))?$/.exec(pathname);
  if (!match) {
    sendHtml(res, 404, errorPage('Not found', 'There is no such page.'));
    return;
  }
  const uid = match[1] ?? '';
  const action = match[2];
  const method = req.method ?? 'GET';
  try {
    const details = await provider.interactionDetails(req, res);
    if (details.uid !== uid) {
      sendHtml(res, 400, errorPage('Sign-in expired', 'This page belongs to another sign-in. Start again.'));
      return;
    }
    const clientId = typeof details.params.client_id === 'string' ? details.params.client_id : 'unknown';
    const promptName = details.prompt.name;
    const base = `/interaction/${uid}`;

    if (method === 'GET' && action === undefined) {
      if (promptName === 'login') {
        sendHtml(res, 200, loginPage({ action: `${base}/login`, clientId, ...DEMO_USER }));
      } else {
        sendHtml(
          res,
          200,
          consentPage({
            allowAction: `${base}/confirm`,
            denyAction: `${base}/abort`,
            clientId,
            scopes: scopesOf(details.params.scope),
          }),
        );
      }
      return;
    }
    if (method !== 'POST' || action === undefined) {
      res.setHeader('allow', action === undefined ? 'GET' : 'POST');
      sendHtml(res, 405, errorPage('Method not allowed', 'This page does not accept that request.'));
      return;
    }

    const form = await readForm(req);
    if (action === 'abort') {
      await provider.interactionFinished(
        req,
        res,
        { error: 'access_denied', error_description: 'The user denied the authorization request.' },
        { mergeWithLastSubmission: false },
      );
      return;
    }
    if (action === 'login') {
      if (promptName !== 'login') {
        sendHtml(res, 400, errorPage('Already signed in', 'This sign-in has moved on. Go back and reload.'));
        return;
      }
      const username = form.get('username') ?? '';
      const password = form.get('password') ?? '';
      if (username !== DEMO_USER.username || password !== DEMO_USER.password) {
        sendHtml(
          res,
          401,
          loginPage({
            action: `${base}/login`,
            clientId,
            ...DEMO_USER,
            usernameValue: username,
            error: 'Wrong username or password.',
          }),
        );
        return;
      }
      await provider.interactionFinished(
        req,
        res,
        { login: { accountId: DEMO_ACCOUNT.sub } },
        { mergeWithLastSubmission: false },
      );
      return;
    }

    // action === 'confirm'
    if (promptName !== 'consent') {
      sendHtml(res, 400, errorPage('Sign in first', 'This sign-in has not reached the consent step.'));
      return;
    }
    const accountId = details.session?.accountId;
    if (!accountId) {
      sendHtml(res, 400, errorPage('Sign in first', 'There is no signed-in user for this request.'));
      return;
    }
    const grant =
      (details.grantId ? await provider.Grant.find(details.grantId) : undefined) ??
      new provider.Grant({ accountId, clientId });
    const promptDetails = details.prompt.details;
    const missingScope = promptDetails.missingOIDCScope;
    if (Array.isArray(missingScope)) grant.addOIDCScope(missingScope.join(' '));
    const missingClaims = promptDetails.missingOIDCClaims;
    if (Array.isArray(missingClaims)) grant.addOIDCClaims(missingClaims as string[]);
    const missingResourceScopes = promptDetails.missingResourceScopes;
    if (missingResourceScopes && typeof missingResourceScopes === 'object') {
      for (const [indicator, scopes] of Object.entries(missingResourceScopes as Record<string, string[]>)) {
        grant.addResourceScope(indicator, scopes.join(' '));
      }
    }
    const grantId = await grant.save();
    await provider.interactionFinished(
      req,
      res,
      { consent: details.grantId ? {} : { grantId } },
      { mergeWithLastSubmission: true },
    );
  } catch (err) {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (err instanceof BodyError) {
      sendHtml(res, err.status, errorPage('Bad request', err.message));
    } else if (err instanceof (await loadOidcProvider()).errors.SessionNotFound) {
      sendHtml(
        res,
        400,
        errorPage(
          'Sign-in expired',
          'This sign-in session has expired or was not found. Start again from your terminal.',
        ),
      );
    } else {
      sendHtml(res, 500, errorPage('Something went wrong', 'The sign-in could not continue.'));
    }
  }
}
