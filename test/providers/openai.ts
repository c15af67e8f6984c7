import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';

/**
 * A stand-in for OpenAI's sign-in server `https://auth.openai.com`, as the Codex CLI meets it, written
 * from what that CLI's source and its users show (it cannot be reached from tests):
 * - codex-rs/login/src/server.rs (github.com/openai/codex): the CLI POSTs
 *   `grant_type=authorization_code&code&redirect_uri&client_id&code_verifier` (form-encoded) to
 *   `{issuer}/oauth/token` with client `app_EMoamEEZ73f0CkXaXp7hrann` and redirect URI
 *   `http://localhost:1455/auth/callback` (or its fallback 1457: "Keep in sync with the Codex CLI Hydra
 *   redirect URI allow-list"); the authorization endpoint is `{issuer}/oauth/authorize`.
 * - The server is ORY Hydra: an unknown or spent code is refused with RFC 6749 §5.2's `invalid_grant`
 *   and Hydra's description (https://www.ory.sh/docs/hydra/reference/api, "oAuth2TokenExchange";
 *   https://github.com/ory/fosite errors.go `ErrInvalidGrant`), a GET on the token endpoint with 405.
 * - openai/codex#16052 ("codex login fails: Cloudflare challenge blocks CLI token exchange"):
 *   `HTTP/2 403`, `cf-mitigated: challenge`, `server: cloudflare`, an HTML "Just a moment..." page —
 *   Cloudflare's challenge pages always carry `cf-mitigated: challenge`
 *   (https://developers.cloudflare.com/cloudflare-challenges/challenge-types/challenge-pages/detect-response/).
 * - OpenAI's region block, a 403 with its API error shape and code `unsupported_country_region_territory`
 *   ("Country, region, or territory not supported", https://platform.openai.com/docs/guides/error-codes;
 *   e.g. continuedev/continue#11449, home-assistant/core#120072).
 */

export const CODEX_CLIENT_ID = 'app_EMoamEEZ73f0CkXaXp7hrann';
const REDIRECT_URIS = ['http://localhost:1455/auth/callback', 'http://localhost:1457/auth/callback'];

export interface OpenAiStandInOptions {
  /** Serve HTTPS with this certificate (e.g. one signed by an "inspection" CA). */
  tls?: { key: string; cert: string };
  port?: number;
  host?: string;
  /**
   * `cloudflare`: every request meets Cloudflare's challenge; `cloudflare-token`: only the token
   * endpoint does (the browser part works, the CLI's exchange fails, as in the seeds);
   * `region`: the token endpoint answers OpenAI's region block.
   */
  block?: 'cloudflare' | 'cloudflare-token' | 'region';
}

export interface SeenRequest {
  method: string;
  path: string;
  body: string;
}

export interface OpenAiStandIn {
  url: string;
  port: number;
  requests: SeenRequest[];
  close(): Promise<void>;
}

/** Hydra's (fosite's) invalid_grant description. */
const INVALID_GRANT =
  'The provided authorization grant (e.g., authorization code, resource owner credentials) or refresh token is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client.';

function challengePage(res: ServerResponse): void {
  const ray = `${Math.floor(Math.random() * 2 ** 48)
    .toString(16)
    .padStart(12, '0')}0000-SYD`;
  res.writeHead(403, {
    'content-type': 'text/html; charset=UTF-8',
    'cf-mitigated': 'challenge',
    server: 'cloudflare',
    'cf-ray': ray,
    'cache-control': 'private, max-age=0, no-store, no-cache, must-revalidate, post-check=0, pre-check=0',
    'x-frame-options': 'SAMEORIGIN',
    'referrer-policy': 'same-origin',
  });
  res.end(
    '<!DOCTYPE html><html lang="en-US"><head><title>Just a moment...</title>' +
      '<meta http-equiv="Content-Type" content="text/html; charset=UTF-8"><meta name="robots" content="noindex,nofollow">' +
      '</head><body><div class="main-wrapper" role="main"><div class="main-content">' +
      '<h1 class="zone-name-title h1">auth.openai.com</h1><h2 class="h2">Verifying you are human. This may take a few seconds.</h2>' +
      '<noscript><div class="h2">Enable JavaScript and cookies to continue</div></noscript></div></div>' +
      `<script>(function(){window._cf_chl_opt={cvId:'3',cZone:'auth.openai.com',cType:'managed',cRay:'${ray}'};})();</script>` +
      '</body></html>',
  );
}

function json(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(JSON.stringify(body));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => resolve(body));
    req.on('error', reject);
  });
}

export async function startOpenAiStandIn(options: OpenAiStandInOptions = {}): Promise<OpenAiStandIn> {
  const requests: SeenRequest[] = [];
  let base = '';
  const handler = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', base);
    const body = await readBody(req);
    requests.push({ method: req.method ?? 'GET', path: url.pathname, body });
    if (options.block === 'cloudflare') return challengePage(res);
    switch (url.pathname) {
      case '/.well-known/openid-configuration':
        return json(res, 200, {
          issuer: base,
          authorization_endpoint: `${base}/oauth/authorize`,
          token_endpoint: `${base}/oauth/token`,
          jwks_uri: `${base}/.well-known/jwks.json`,
          revocation_endpoint: `${base}/oauth/revoke`,
          userinfo_endpoint: `${base}/userinfo`,
          response_types_supported: ['code'],
          grant_types_supported: ['authorization_code', 'refresh_token'],
          subject_types_supported: ['public'],
          id_token_signing_alg_values_supported: ['RS256'],
          token_endpoint_auth_methods_supported: ['none', 'client_secret_post', 'client_secret_basic'],
          code_challenge_methods_supported: ['S256'],
          scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
        });
      case '/.well-known/jwks.json':
        return json(res, 200, { keys: [] });
      case '/oauth/authorize': {
        const client = url.searchParams.get('client_id');
        const redirect = url.searchParams.get('redirect_uri') ?? '';
        if (client !== CODEX_CLIENT_ID) {
          return json(res, 401, {
            error: 'invalid_client',
            error_description:
              'Client authentication failed (e.g., unknown client, no client authentication included, or unsupported authentication method).',
          });
        }
        if (!REDIRECT_URIS.includes(redirect)) {
          return json(res, 400, {
            error: 'invalid_request',
            error_description:
              "The request is missing a required parameter, includes an invalid parameter value, includes a parameter more than once, or is otherwise malformed. The 'redirect_uri' parameter does not match any of the OAuth 2.0 Client's pre-registered redirect urls.",
          });
        }
        res.writeHead(302, { location: `${base}/log-in?state=${encodeURIComponent('login-challenge')}` });
        return void res.end();
      }
      case '/log-in':
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        return void res.end(
          '<!DOCTYPE html><html><head><title>Log in - OpenAI</title></head><body>Welcome back</body></html>',
        );
      case '/oauth/token': {
        if (options.block === 'cloudflare-token') return challengePage(res);
        if (options.block === 'region') {
          return json(res, 403, {
            error: {
              code: 'unsupported_country_region_territory',
              message: 'Country, region, or territory not supported',
              param: null,
              type: 'request_forbidden',
            },
          });
        }
        if (req.method !== 'POST') {
          res.writeHead(405, { allow: 'POST', 'content-type': 'application/json' });
          return void res.end(
            JSON.stringify({
              error: 'invalid_request',
              error_description: 'HTTP method is "GET", expected "POST".',
            }),
          );
        }
        const form = new URLSearchParams(body);
        if (form.get('client_id') !== CODEX_CLIENT_ID) {
          return json(res, 401, {
            error: 'invalid_client',
            error_description:
              'Client authentication failed (e.g., unknown client, no client authentication included, or unsupported authentication method).',
          });
        }
        const grant = form.get('grant_type');
        if (grant === 'authorization_code' || grant === 'refresh_token') {
          // No code or refresh token of this stand-in is ever valid: it issues none.
          return json(res, 400, { error: 'invalid_grant', error_description: INVALID_GRANT });
        }
        return json(res, 400, {
          error: 'unsupported_grant_type',
          error_description: 'The authorization grant type is not supported by the authorization server.',
        });
      }
      default:
        return json(res, 404, { error: 'not_found' });
    }
  };
  const listener = (req: IncomingMessage, res: ServerResponse) => {
    handler(req, res).catch(() => {
      res.statusCode = 500;
      res.end();
    });
  };
  const server =
    options.tls === undefined
      ? createHttpServer(listener)
      : createHttpsServer({ key: options.tls.key, cert: options.tls.cert }, listener);
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, resolve);
  });
  const port = (server.address() as AddressInfo).port;
  const name = options.tls === undefined ? host : 'localhost';
  base = `${options.tls === undefined ? 'http' : 'https'}://${name}:${port}`;
  return {
    url: base,
    port,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
