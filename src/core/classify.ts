import { KeyturnError } from './errors.js';
import type { ErrorCode } from './catalog.js';
import { matchProviderRule } from './providers.js';
import type { AppText } from './app.js';

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
  | 'userinfo'
  /** The doctor's own DNS / TCP / TLS / proxy probes of a host. */
  | 'connection';

/** What the HTTP layer saw when a network exchange failed before any HTTP answer. */
export interface NetworkFacts {
  /** errno or library code: ECONNREFUSED, ENOTFOUND, CERT_HAS_EXPIRED, UND_ERR_CONNECT_TIMEOUT, … */
  code?: string;
  message?: string;
  /** The proxy in use for this request (credentials stripped). */
  proxy?: string;
  /** The variable that named it (`HTTPS_PROXY`, `https_proxy`, …), as core/proxy.ts decided. */
  proxyVariable?: string;
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
  /** Cloudflare's `cf-mitigated` header: `challenge` on its challenge pages. */
  cfMitigated?: string;
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
/** TLS codes of a certificate outside its validity: the doctor's TLS probe reads them too. */
export const TLS_EXPIRED: ReadonlySet<string> = new Set([
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CRL_HAS_EXPIRED',
]);
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

/** Through a proxy every connection is to the proxy: these errnos mean the proxy itself is not there. */
const PROXY_UNREACHABLE = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH']);
/** CONNECT answers by which a proxy says it could not reach the host (RFC 9110 §15.6.3, §15.6.5). */
const PROXY_UPSTREAM_FAILED = new Set([502, 503, 504]);

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
  unsupported_grant_type: 'unauthorized_client',
  unsupported_response_type: 'unauthorized_client',
  invalid_request: 'invalid_request',
  // OIDC Core §3.1.2.6: the provider needs the user (or an administrator) to consent first.
  consent_required: 'access_denied',
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
  connection: 'when connecting',
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
    if (net.proxyVariable !== undefined) evidence.proxy_variable = net.proxyVariable;
    // Words after "The proxy": its address and variable when known (no double space when neither is).
    const proxy = `${net.proxy === undefined ? '' : ` ${net.proxy}`}${net.proxyVariable === undefined ? '' : ` (${net.proxyVariable})`}`;
    if (net.proxyStatus !== undefined) {
      evidence.proxy_status = net.proxyStatus;
      if (net.proxyStatus === 407) {
        return new KeyturnError(
          'proxy_auth_required',
          `The proxy${proxy} asks for credentials (407) ${where}.`,
          base,
        );
      }
      if (PROXY_UPSTREAM_FAILED.has(net.proxyStatus)) {
        // The proxy accepted the CONNECT but could not reach the host itself (squid: ERR_CONNECT_FAIL, ERR_DNS_FAIL).
        return new KeyturnError(
          'connect_failed',
          `The proxy${proxy} could not reach ${host ?? 'the provider'} (${net.proxyStatus}) ${where}.`,
          { ...base, transient: true },
        );
      }
      return new KeyturnError(
        'proxy_denied',
        `The proxy${proxy} refused the connection to ${host ?? 'the provider'} (${net.proxyStatus}) ${where}.`,
        base,
      );
    }
    if (net.atProxy === true || (net.proxy !== undefined && (PROXY_UNREACHABLE.has(code) || DNS.has(code)))) {
      return new KeyturnError(
        'proxy_unreachable',
        `The proxy${proxy} cannot be reached (${code || 'no answer'}) ${where}.`,
        {
          ...base,
          transient: false,
          ...(net.proxyVariable === undefined
            ? {}
            : {
                fix: `Check ${net.proxyVariable}: the proxy named there is not answering. Fix the address or unset the variable; a host reachable directly goes in NO_PROXY.`,
              }),
        },
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
      return new KeyturnError(
        'dns_failed',
        `${host === undefined ? "The provider's host" : `The host ${host}`} does not resolve (${code}) ${where}.`,
        {
          ...base,
          transient: code === 'EAI_AGAIN',
        },
      );
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
    const matched = matchProviderRule(facts.oauthError, facts.oauthErrorDescription);
    // Only a refresh has a refresh token to lose: the same words elsewhere (Keycloak's "Session not
    // active" at the code exchange) are about that exchange, judged by the OAuth error itself.
    const rule = matched?.code === 'refresh_rejected' && facts.phase !== 'refresh' ? undefined : matched;
    // Own keys only: an `error` named after an Object.prototype member (`toString`) is an unknown error.
    let code: ErrorCode | undefined =
      rule?.code ??
      (Object.hasOwn(OAUTH_ERRORS, facts.oauthError) ? OAUTH_ERRORS[facts.oauthError] : undefined);
    if (code === 'refresh_rejected' && facts.phase !== 'refresh') code = 'invalid_grant';
    if (code === 'invalid_grant' && facts.phase === 'refresh') code = 'refresh_rejected';
    if (code === undefined) code = facts.status === 429 ? 'rate_limited' : undefined;
    if (code === undefined && facts.status !== undefined && facts.status >= 500) code = 'server_error';
    const said = facts.oauthErrorDescription
      ? `${facts.oauthError}: ${facts.oauthErrorDescription}`
      : facts.oauthError;
    if (code === 'refresh_rejected') return refreshRejected(said, facts, oauth, rule?.note);
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
      {
        ...oauth,
        fix: ({ command }) => `Check the client registration; \`${command} doctor\` probes every endpoint.`,
      },
    );
  }

  return answerFailure(facts, where, host, base);
}

const HTML = /\bx?html\b/i;

/** The URL without its query (a code or a token may ride there), for messages. */
function endpointOf(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return undefined;
  }
}

/**
 * An HTTP answer that carries no OAuth error: judged by its status and content type, never by
 * guessing. A 5xx or 429 passes by itself; a 2xx HTML page is something standing in for the
 * provider (a captive portal); 404/405 say the URL is wrong; 401/403/451 are a refusal in front of OAuth.
 */
function answerFailure(
  facts: ExchangeFacts,
  where: string,
  host: string | undefined,
  base: { evidence: Record<string, unknown>; httpStatus: number | undefined; retryAfter: number | undefined },
): KeyturnError {
  const { status, phase } = facts;
  const { evidence } = base;
  const endpoint = endpointOf(facts.url);
  // The URL itself is the finding when it is the wrong one (404, 405) or answered by a stand-in.
  const naming = () => {
    if (endpoint !== undefined) evidence.url = endpoint;
  };
  const type = facts.contentType?.split(';')[0]?.trim();
  const html = type !== undefined && HTML.test(type);
  const answered = `${host ?? 'The endpoint'} answered ${status ?? 'something'}${type ? ` with ${type}` : ''}`;
  const block = namedBlock(facts, host, where, evidence);
  if (block !== undefined)
    return new KeyturnError('endpoint_blocked', block.message, { ...base, fix: block.fix });
  if (status === 429) {
    return new KeyturnError('rate_limited', `The provider is rate limiting (429) ${where}.`, base);
  }
  if (status !== undefined && status >= 500) {
    return new KeyturnError('server_error', `The provider answered ${status} ${where}.`, base);
  }
  if (status === 408) {
    return new KeyturnError('server_error', `${answered} (Request Timeout) ${where}.`, base);
  }
  if (facts.bodyExcerpt !== undefined) evidence.body_excerpt = facts.bodyExcerpt;
  if (status !== undefined && status >= 200 && status < 300 && html) {
    naming();
    // A captive portal or an intercepting proxy answers in the provider's place, with its own page.
    const what = phase === 'discovery' ? 'the discovery document' : 'an OAuth answer';
    return new KeyturnError(
      phase === 'discovery' ? 'discovery_failed' : 'endpoint_blocked',
      `${answered} ${where}: an HTML page, not ${what}. Something in front of the provider answered in its place: a captive portal (Wi-Fi sign-in page), a proxy or a wrong URL.`,
      {
        ...base,
        transient: false,
        fix: ({ command }) =>
          `Open ${endpoint ?? 'the URL'} in a browser: if a network sign-in page appears, sign in to the network and run the command again; otherwise check the URL and the proxy (\`${command} doctor\`).`,
      },
    );
  }
  if (status === 404 || status === 410) {
    naming();
    return new KeyturnError(
      'discovery_failed',
      `${answered} ${where}: there is no such endpoint at ${endpoint ?? 'that URL'}.`,
      {
        ...base,
        fix:
          phase === 'discovery'
            ? "Check the issuer URL: `<issuer>/.well-known/openid-configuration` must exist (copy the issuer from the provider's documentation)."
            : ({ command }) =>
                `Check the endpoint URL${endpoint === undefined ? '' : ` ${endpoint}`} (the profile's \`*_endpoint\` settings, or the issuer's discovery document); \`${command} doctor\` lists every endpoint.`,
      },
    );
  }
  if (status === 405) {
    naming();
    return new KeyturnError(
      'discovery_failed',
      `${answered} (Method Not Allowed) ${where}: ${endpoint ?? 'that URL'} is not the endpoint for this request.`,
      {
        ...base,
        fix: `Check the endpoint URL${endpoint === undefined ? '' : ` ${endpoint}`}: the profile's \`*_endpoint\` settings or the issuer's discovery document name the wrong one.`,
      },
    );
  }
  if (phase === 'discovery') {
    return new KeyturnError(
      'discovery_failed',
      status === undefined
        ? `The discovery document is not valid metadata.`
        : `The discovery document answered ${status}${type ? ` with ${type}` : ''}, not 200 with JSON metadata.`,
      base,
    );
  }
  if (status === 401 || status === 403 || status === 451 || (status !== undefined && status >= 400 && html)) {
    const by = facts.server ? ` (server: ${facts.server})` : '';
    const legal = status === 451 ? ' (Unavailable For Legal Reasons: a region block)' : '';
    return new KeyturnError(
      'endpoint_blocked',
      `${answered}${legal} ${where}, not an OAuth error: something in front of the provider${by} refused the request.`,
      base,
    );
  }
  return new KeyturnError(
    'internal',
    status === undefined
      ? `Unexpected answer ${where}.`
      : `${answered} ${where}, neither an OAuth answer nor an OAuth error.`,
    {
      ...base,
      fix: ({ command }) =>
        `Run \`${command} doctor\`: it probes every endpoint and shows what answers there.`,
    },
  );
}

/** OpenAI's answer to a request from a country it does not serve (its API's error shape). */
const REGION_BLOCK = /unsupported_country_region_territory|Country, region,? or territory not supported/i;

/**
 * Blocks that say who refused, at any step: a Cloudflare challenge page (`cf-mitigated: challenge`,
 * which no command-line client can pass) and OpenAI's region block.
 * @see https://developers.cloudflare.com/cloudflare-challenges/challenge-types/challenge-pages/detect-response/
 * @see https://platform.openai.com/docs/guides/error-codes (403 "Country, region, or territory not supported")
 */
function namedBlock(
  facts: ExchangeFacts,
  host: string | undefined,
  where: string,
  evidence: Record<string, unknown>,
): { message: string; fix: AppText } | undefined {
  const status = facts.status;
  if (status === undefined || status < 400) return undefined;
  if (facts.cfMitigated?.toLowerCase() === 'challenge') {
    evidence.cf_mitigated = 'challenge';
    return {
      message: `${host ?? 'The endpoint'} answered ${status} with a Cloudflare challenge page (cf-mitigated: challenge) ${where}: Cloudflare asks this network for a browser check that no command-line client can pass, so the request never reached the provider.`,
      fix: ({ command }) =>
        `Try from another network, or switch a VPN off (or on): Cloudflare challenges addresses it distrusts. If it persists, send the provider the report from \`${command} doctor --report\`.`,
    };
  }
  if (facts.bodyExcerpt !== undefined && REGION_BLOCK.test(facts.bodyExcerpt)) {
    evidence.region_block = 'unsupported_country_region_territory';
    return {
      message: `${host ?? 'The endpoint'} answered ${status} unsupported_country_region_territory ${where}: the provider does not serve the country or region this connection appears to come from.`,
      fix: 'Connect from a supported country or region (https://platform.openai.com/docs/supported-countries); a VPN or proxy exit elsewhere also triggers this block.',
    };
  }
  return undefined;
}

/** Messages for a dead refresh token say which of the usual causes applies (seed 004). */
function refreshRejected(
  said: string,
  facts: ExchangeFacts,
  options: ConstructorParameters<typeof KeyturnError>[2],
  note?: string,
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
    `${why} (${said}).${note === undefined ? '' : ` ${note}`} Your sign-in has ended; sign in again.`,
    options,
  );
}

/** Codes that say a host could not be reached at all: DNS, TCP, TLS or the proxy in between. */
export const NETWORK_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'dns_failed',
  'connect_failed',
  'proxy_unreachable',
  'proxy_auth_required',
  'proxy_denied',
  'tls_untrusted',
  'tls_hostname_mismatch',
  'tls_expired',
]);

/** OAuth error codes an error page may name (RFC 6749 §4.1.2.1, and vendors' own). */
const PAGE_ERRORS =
  /\b(invalid_client|unauthorized_client|invalid_scope|redirect_uri_mismatch|invalid_redirect_uri|access_denied|unsupported_response_type|invalid_request|server_error|temporarily_unavailable|deleted_client|disabled_client|org_internal|admin_policy_enforced|application_suspended)\b/;

/** The visible text of an HTML page, on one line. */
export function pageText(body: string): string {
  return body
    .replace(/<(script|style)\b[\s\S]*?<\/\1>/gi, ' ')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&#39;|&apos;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * Reads the OAuth error out of an authorization endpoint's error page: providers cannot redirect an
 * unknown client or an unregistered redirect URI back (RFC 6749 §4.1.2.1), so they render the error
 * instead. Recognises `error: code` / `error=code` / `Error 400: code` and, failing that, an error code
 * or a provider's phrasing (table in providers.ts) anywhere in the text. undefined: no OAuth error seen.
 */
export function readErrorPage(body: string): { error: string; description?: string } | undefined {
  const text = pageText(body);
  // A quoted description ends at its closing quote; an unquoted one at the next `name: ` or the end.
  const describedMatch =
    /\berror_description\s*[:=]\s*(?:"([^"]{1,300})"|"?(.{1,300}?)"?(?=\s+\w+\s*[:=]\s|$))/i.exec(text);
  const described = describedMatch?.[1] ?? describedMatch?.[2];
  const named =
    // OAuth error codes are snake_case: "An error: try again" names none.
    /\berror\s*[:=]\s*"?([a-z][a-z0-9]*_[a-z0-9_]{2,60})\b/i.exec(text)?.[1] ??
    /\bError\s+\d{3}\s*:\s*([a-z][a-z0-9]*_[a-z0-9_]{2,60})\b/.exec(text)?.[1] ??
    PAGE_ERRORS.exec(text)?.[1];
  const description = described ?? (text.length > 300 ? `${text.slice(0, 300)}…` : text);
  if (named !== undefined) return { error: named, description };
  // No code, but a provider's own words (an AADSTS number, "Callback URL mismatch", …).
  if (/\bAADSTS\d+/.test(text) || matchProviderRule('invalid_request', text) !== undefined) {
    return { error: 'invalid_request', description };
  }
  return undefined;
}
