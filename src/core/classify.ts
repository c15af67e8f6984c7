import { KeyturnError } from './errors.js';
import type { ErrorCode } from './catalog.js';
import { matchProviderRule } from './providers.js';

/** Which exchange failed: the same answer means different things at different steps. */
export type ExchangePhase =
  | 'discovery'
  | 'authorization'
  | 'callback'
  | 'token'
  | 'refresh'
  | 'device_authorization'
  | 'device_poll'
  | 'revocation'
  | 'userinfo';

/** What the HTTP layer saw when a network exchange failed before any HTTP answer. */
export interface NetworkFacts {
  /** errno or library code: ECONNREFUSED, ENOTFOUND, CERT_HAS_EXPIRED, UND_ERR_CONNECT_TIMEOUT, … */
  code?: string;
  message?: string;
  /** The proxy in use for this request (credentials stripped). */
  proxy?: string;
  /** Status the proxy answered to CONNECT, when it refused the tunnel. */
  proxyStatus?: number;
  /** The failure was on the connection to the proxy itself. */
  atProxy?: boolean;
}

/** Everything known about one failed exchange: input of the one classifier. */
export interface ExchangeFacts {
  phase: ExchangePhase;
  url?: string;
  status?: number;
  contentType?: string;
  server?: string;
  retryAfter?: number;
  oauthError?: string;
  oauthErrorDescription?: string;
  /** A short, redacted excerpt of a non-OAuth body. */
  bodyExcerpt?: string;
  network?: NetworkFacts;
}

const TLS_UNTRUSTED = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
  'CERT_CHAIN_TOO_LONG',
  'INVALID_CA',
]);
const TLS_EXPIRED = new Set(['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'CRL_HAS_EXPIRED']);
const TLS_HOSTNAME = new Set(['ERR_TLS_CERT_ALTNAME_INVALID', 'HOSTNAME_MISMATCH']);
const DNS = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NONAME', 'EAI_NODATA']);
const CONNECT = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'ECONNABORTED',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'TimeoutError',
  'AbortError',
]);

/** RFC 6749 §5.2 and RFC 8628 §3.5 error codes, and widespread non-standard ones, to catalog codes. */
const OAUTH_ERRORS: Record<string, ErrorCode> = {
  invalid_client: 'invalid_client',
  unauthorized_client: 'unauthorized_client',
  invalid_scope: 'invalid_scope',
  access_denied: 'access_denied',
  invalid_grant: 'invalid_grant',
  redirect_uri_mismatch: 'redirect_uri_mismatch',
  temporarily_unavailable: 'server_error',
  server_error: 'server_error',
  expired_token: 'login_timeout',
  slow_down: 'rate_limited',
  // Vendor codes for a dead refresh token.
  refresh_token_expired: 'refresh_rejected',
  refresh_token_reused: 'refresh_rejected',
  refresh_token_invalidated: 'refresh_rejected',
  refresh_token_revoked: 'refresh_rejected',
};

const PHASE_WORDS: Record<ExchangePhase, string> = {
  discovery: 'fetching the discovery document',
  authorization: 'at the authorization endpoint',
  callback: 'in the authorization response',
  token: 'exchanging the authorization code for tokens',
  refresh: 'refreshing the access token',
  device_authorization: 'starting the device sign-in',
  device_poll: 'waiting for the device sign-in',
  revocation: 'revoking the token',
  userinfo: 'calling the userinfo endpoint',
};

function hostOf(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  try {
    return new URL(url).host;
  } catch {
    return undefined;
  }
}

/**
 * The one classifier: turns a failed exchange into a catalog error. login, refresh, logout and
 * doctor all call it, so every command names the cause the doctor would.
 */
export function classifyExchange(facts: ExchangeFacts): KeyturnError {
  const where = PHASE_WORDS[facts.phase];
  const host = hostOf(facts.url);
  const evidence: Record<string, unknown> = { phase: facts.phase };
  if (host !== undefined) evidence.host = host;
  if (facts.status !== undefined) evidence.status = facts.status;
  if (facts.server !== undefined) evidence.server = facts.server;
  if (facts.contentType !== undefined) evidence.content_type = facts.contentType;
  const base = { evidence, httpStatus: facts.status, retryAfter: facts.retryAfter };

  const net = facts.network;
  if (net !== undefined && facts.status === undefined) {
    const code = net.code ?? '';
    if (net.code !== undefined) evidence.errno = net.code;
    if (net.proxy !== undefined) evidence.proxy = net.proxy;
    if (net.proxyStatus !== undefined) {
      evidence.proxy_status = net.proxyStatus;
      if (net.proxyStatus === 407) {
        return new KeyturnError(
          'proxy_auth_required',
          `The proxy ${net.proxy ?? ''} asks for credentials (407) ${where}.`,
          base,
        );
      }
      return new KeyturnError(
        'proxy_denied',
        `The proxy ${net.proxy ?? ''} refused the connection to ${host ?? 'the provider'} (${net.proxyStatus}) ${where}.`,
        base,
      );
    }
    if (net.atProxy === true || (net.proxy !== undefined && (code === 'ECONNREFUSED' || DNS.has(code)))) {
      return new KeyturnError(
        'proxy_unreachable',
        `The proxy ${net.proxy ?? ''} cannot be reached (${code || 'no answer'}) ${where}.`,
        { ...base, transient: false },
      );
    }
    if (TLS_UNTRUSTED.has(code)) {
      return new KeyturnError(
        'tls_untrusted',
        `The TLS certificate of ${host ?? 'the provider'} is not trusted (${code}) ${where}.`,
        base,
      );
    }
    if (TLS_EXPIRED.has(code)) {
      return new KeyturnError(
        'tls_expired',
        `A TLS certificate of ${host ?? 'the provider'} is expired or not yet valid (${code}).`,
        base,
      );
    }
    if (TLS_HOSTNAME.has(code)) {
      return new KeyturnError(
        'tls_hostname_mismatch',
        `The TLS certificate presented for ${host ?? 'the provider'} does not name that host.`,
        base,
      );
    }
    if (DNS.has(code)) {
      return new KeyturnError('dns_failed', `The host ${host ?? ''} does not resolve (${code}) ${where}.`, {
        ...base,
        transient: code === 'EAI_AGAIN',
      });
    }
    if (CONNECT.has(code) || code === '') {
      const what =
        code === 'ECONNREFUSED' ? 'refused the connection' : `did not answer (${code || 'network error'})`;
      return new KeyturnError('connect_failed', `${host ?? 'The provider'} ${what} ${where}.`, {
        ...base,
        transient: true,
      });
    }
    return new KeyturnError('connect_failed', `Network error ${where}: ${code}.`, {
      ...base,
      transient: true,
    });
  }

  if (facts.oauthError !== undefined) {
    const oauth = {
      ...base,
      oauthError: facts.oauthError,
      oauthErrorDescription: facts.oauthErrorDescription,
    };
    const rule = matchProviderRule(facts.oauthError, facts.oauthErrorDescription);
    let code: ErrorCode | undefined = rule?.code ?? OAUTH_ERRORS[facts.oauthError];
    if (code === 'invalid_grant' && facts.phase === 'refresh') code = 'refresh_rejected';
    if (code === undefined) code = facts.status === 429 ? 'rate_limited' : undefined;
    if (code === undefined && facts.status !== undefined && facts.status >= 500) code = 'server_error';
    const said = facts.oauthErrorDescription
      ? `${facts.oauthError}: ${facts.oauthErrorDescription}`
      : facts.oauthError;
    if (code === 'refresh_rejected') return refreshRejected(said, facts, oauth);
    if (code !== undefined) {
      return new KeyturnError(
        code,
        `The provider answered ${said} ${where}.${rule ? ` ${rule.note}` : ''}`,
        oauth,
      );
    }
    return new KeyturnError(
      facts.phase === 'discovery' ? 'discovery_failed' : 'internal',
      `The provider answered ${said} ${where}.`,
      { ...oauth, fix: 'Check the client registration; `keyturn doctor` probes every endpoint.' },
    );
  }

  const status = facts.status;
  if (status === 429) {
    return new KeyturnError('rate_limited', `The provider is rate limiting (429) ${where}.`, base);
  }
  if (status !== undefined && status >= 500) {
    return new KeyturnError('server_error', `The provider answered ${status} ${where}.`, base);
  }
  if (facts.phase === 'discovery') {
    return new KeyturnError(
      'discovery_failed',
      status === undefined
        ? `The discovery document is not valid metadata.`
        : `The discovery document answered ${status}, not 200.`,
      base,
    );
  }
  if (status !== undefined && status >= 400) {
    if (facts.bodyExcerpt !== undefined) evidence.body_excerpt = facts.bodyExcerpt;
    const by = facts.server ? ` (server: ${facts.server})` : '';
    return new KeyturnError(
      'endpoint_blocked',
      `${host ?? 'The endpoint'} answered ${status} ${facts.contentType ? `with ${facts.contentType.split(';')[0]} ` : ''}${where}, not an OAuth error: something in front of the provider${by} refused the request.`,
      base,
    );
  }
  return new KeyturnError(
    'internal',
    `Unexpected answer ${where}${status === undefined ? '' : ` (${status})`}.`,
    base,
  );
}

/** Messages for a dead refresh token say which of the usual causes applies (seed 004). */
function refreshRejected(
  said: string,
  facts: ExchangeFacts,
  options: ConstructorParameters<typeof KeyturnError>[2],
): KeyturnError {
  const text = `${facts.oauthError ?? ''} ${facts.oauthErrorDescription ?? ''}`.toLowerCase();
  let why = 'The refresh token was rejected';
  if (/reuse|already (been )?used|consumed|redeemed/.test(text)) {
    why = 'The refresh token was already used (another process or device refreshed it first)';
  } else if (/expired|inactiv|not active|lifetime/.test(text)) {
    why = 'The refresh token has expired';
  } else if (/revoked|invalidated|logged out|signed out|password/.test(text)) {
    why = 'The refresh token was revoked';
  }
  return new KeyturnError(
    'refresh_rejected',
    `${why} (${said}). Your sign-in has ended; sign in again.`,
    options,
  );
}
