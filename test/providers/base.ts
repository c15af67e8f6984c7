/**
 * The machinery the provider stand-ins share: a loopback HTTP(S) server, an RS256 signing key and its
 * JWKS, request parsing, one-time codes and device codes. What each provider ANSWERS — paths, field
 * names, statuses, encodings, error bodies — is written in that provider's own file, from its public
 * documentation, and cited there. Nothing here knows keyturn.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { SignJWT, exportJWK, generateKeyPair, type JWK, type JWTPayload } from 'jose';

export interface StandInUser {
  sub: string;
  email: string;
  name: string;
  login: string;
}

export const ALICE: StandInUser = {
  sub: '248289761001',
  email: 'alice@example.test',
  name: 'Alice Example',
  login: 'alice',
};

export interface ClientRegistration {
  clientId: string;
  clientSecret?: string;
  /** Registered redirect URIs (exact), or loopback ones where the provider lets any port through. */
  redirectUris: string[];
}

/** One request as the handler sees it: the form or query parameters already parsed. */
export interface StandInRequest {
  method: string;
  url: URL;
  headers: IncomingMessage['headers'];
  /** Body parameters (form-encoded), or the query for GET. */
  params: URLSearchParams;
  /** client_id / client_secret from the body or from HTTP Basic (RFC 6749 §2.3.1). */
  client: { id?: string; secret?: string };
}

export interface StandInAnswer {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

export type Handler = (request: StandInRequest) => StandInAnswer | Promise<StandInAnswer>;

export function json(status: number, body: unknown, headers: Record<string, string> = {}): StandInAnswer {
  return {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers },
    body: JSON.stringify(body),
  };
}

export function form(status: number, body: Record<string, string | number>): StandInAnswer {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(body)) params.set(key, String(value));
  return {
    status,
    headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
    body: params.toString(),
  };
}

export function html(status: number, page: string): StandInAnswer {
  return { status, headers: { 'content-type': 'text/html; charset=utf-8' }, body: page };
}

export function redirect(location: string): StandInAnswer {
  return { status: 302, headers: { location } };
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * A consent page as a signed-in user sees it: a form that posts the authorization request back with
 * `approve`. The test's "browser" (test/providers/browser.ts) submits it, as a user clicking Allow.
 */
export function consentPage(action: string, params: URLSearchParams, title: string): StandInAnswer {
  const hidden = [...params]
    .map(([k, v]) => `<input type="hidden" name="${escapeHtml(k)}" value="${escapeHtml(v)}">`)
    .join('');
  return html(
    200,
    `<!doctype html><html><head><title>${escapeHtml(title)}</title></head><body><h1>${escapeHtml(title)}</h1>` +
      `<form method="post" action="${escapeHtml(action)}">${hidden}<button name="approve" value="yes">Allow</button></form></body></html>`,
  );
}

export function randomToken(prefix = ''): string {
  return `${prefix}${randomBytes(24).toString('base64url')}`;
}

export interface PendingCode {
  clientId: string;
  redirectUri: string;
  scope: string;
  codeChallenge?: string;
  nonce?: string;
  extra: Record<string, string>;
}

export interface DeviceGrant {
  deviceCode: string;
  userCode: string;
  clientId: string;
  scope: string;
  expiresAt: number;
  interval: number;
  lastPoll?: number;
  status: 'pending' | 'approved' | 'denied';
}

/** The server under a stand-in: routes, key, and the state a provider keeps. */
export class StandInServer {
  readonly routes = new Map<string, Handler>();
  readonly codes = new Map<string, PendingCode>();
  readonly devices = new Map<string, DeviceGrant>();
  readonly refreshTokens = new Map<string, { clientId: string; scope: string; expiresAt?: number }>();
  readonly accessTokens = new Map<string, { clientId: string; scope: string; expiresAt?: number }>();
  /** Requests per "METHOD path", for assertions on what keyturn sent. */
  readonly hits = new Map<string, number>();
  /** The parameters of each token request, secrets included: tests only, never printed. */
  readonly tokenRequests: URLSearchParams[] = [];
  readonly requestHeaders: IncomingMessage['headers'][] = [];
  url = '';
  private server: Server | undefined;
  private privateKey: CryptoKey | undefined;
  jwk: JWK | undefined;
  readonly kid = randomUUID();

  route(method: string, path: string, handler: Handler): void {
    this.routes.set(`${method} ${path}`, handler);
  }

  async start(options: { port?: number; tls?: { key: string; cert: string } } = {}): Promise<string> {
    const pair = await generateKeyPair('RS256', { extractable: true });
    this.privateKey = pair.privateKey as CryptoKey;
    this.jwk = { ...(await exportJWK(pair.publicKey)), kid: this.kid, alg: 'RS256', use: 'sig' };
    const listener = (req: IncomingMessage, res: ServerResponse) => void this.handle(req, res);
    this.server =
      options.tls === undefined ? createHttpServer(listener) : createHttpsServer(options.tls, listener);
    await new Promise<void>((resolve) => this.server?.listen(options.port ?? 0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    this.url = `${options.tls === undefined ? 'http' : 'https'}://127.0.0.1:${port}`;
    return this.url;
  }

  get port(): number {
    return (this.server?.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) =>
      this.server === undefined ? resolve() : this.server.close(() => resolve()),
    );
  }

  signJwt(payload: JWTPayload, lifetime = 3600): Promise<string> {
    if (this.privateKey === undefined) throw new Error('stand-in not started');
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT(payload)
      .setProtectedHeader({ alg: 'RS256', kid: this.kid, typ: 'JWT' })
      .setIssuedAt(now)
      .setExpirationTime(now + lifetime)
      .sign(this.privateKey);
  }

  jwks(): StandInAnswer {
    return json(200, { keys: [this.jwk] });
  }

  /** The user approves (or denies) the device code on the verification page. */
  decideDevice(userCode: string, decision: 'approved' | 'denied'): void {
    for (const grant of this.devices.values()) {
      if (grant.userCode === userCode) {
        grant.status = decision;
        return;
      }
    }
    throw new Error(`no device grant with user code ${userCode}`);
  }

  /** A new device authorization (RFC 8628 §3.2): user codes of `groups` letters, e.g. [4, 4] → WDJB-MJHT. */
  newDeviceGrant(
    clientId: string,
    scope: string,
    lifetimeSeconds: number,
    interval: number,
    groups = [4, 4],
  ): DeviceGrant {
    const letters = 'BCDFGHJKLMNPQRSTVWXZ';
    const bytes = randomBytes(groups.reduce((a, b) => a + b, 0));
    let at = 0;
    const userCode = groups
      .map((n) => Array.from({ length: n }, () => letters[(bytes[at++] ?? 0) % letters.length]).join(''))
      .join('-');
    const grant: DeviceGrant = {
      deviceCode: randomToken(),
      userCode,
      clientId,
      scope,
      expiresAt: Date.now() + lifetimeSeconds * 1000,
      interval,
      status: 'pending',
    };
    this.devices.set(grant.deviceCode, grant);
    return grant;
  }

  /** Issues a code for the authorization request the consent form posted back (the user's Allow). */
  approve(p: URLSearchParams, extra: Record<string, string> = {}): { code: string; redirectUri: string } {
    const redirectUri = p.get('redirect_uri') ?? '';
    const code = this.issueCode({
      clientId: p.get('client_id') ?? '',
      redirectUri,
      scope: p.get('scope') ?? '',
      ...(p.get('code_challenge') === null ? {} : { codeChallenge: p.get('code_challenge') as string }),
      ...(p.get('nonce') === null ? {} : { nonce: p.get('nonce') as string }),
      extra,
    });
    return { code, redirectUri };
  }

  /** Issues a code for an approved authorization request (the consent page's Allow). */
  issueCode(pending: PendingCode): string {
    const code = randomToken();
    this.codes.set(code, pending);
    return code;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const key = `${req.method ?? 'GET'} ${url.pathname}`;
    this.hits.set(key, (this.hits.get(key) ?? 0) + 1);
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const params = req.method === 'GET' ? url.searchParams : new URLSearchParams(text);
    const client: StandInRequest['client'] = {};
    const basic = /^Basic\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    if (basic !== undefined) {
      const [id, secret] = Buffer.from(basic, 'base64').toString('utf8').split(':');
      if (id !== undefined) client.id = decodeURIComponent(id);
      if (secret !== undefined) client.secret = decodeURIComponent(secret);
    }
    client.id ??= params.get('client_id') ?? undefined;
    client.secret ??= params.get('client_secret') ?? undefined;
    const handler = this.routes.get(key);
    let answer: StandInAnswer;
    try {
      answer =
        handler === undefined
          ? html(404, '<h1>Not Found</h1>')
          : await handler({ method: req.method ?? 'GET', url, headers: req.headers, params, client });
    } catch (error) {
      answer = html(500, `<h1>stand-in failure</h1><pre>${escapeHtml(String(error))}</pre>`);
    }
    res.writeHead(answer.status, { date: new Date().toUTCString(), ...answer.headers });
    res.end(answer.body ?? '');
  }
}

/** RFC 7636 §4.6: the verifier's S256 challenge matches the one sent to the authorization endpoint. */
export async function pkceMatches(verifier: string | null, challenge: string | undefined): Promise<boolean> {
  if (challenge === undefined) return true;
  if (verifier === null) return false;
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
  return Buffer.from(digest).toString('base64url') === challenge;
}

/** RFC 8252 §7.3: a loopback redirect URI matches whatever its port, where the provider allows that. */
export function loopbackRedirectMatches(registered: string[], given: string, anyPort: boolean): boolean {
  if (registered.includes(given)) return true;
  if (!anyPort) return false;
  let url: URL;
  try {
    url = new URL(given);
  } catch {
    return false;
  }
  return registered.some((r) => {
    const reg = new URL(r);
    return reg.protocol === url.protocol && reg.hostname === url.hostname && reg.pathname === url.pathname;
  });
}
