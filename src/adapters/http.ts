import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { EnvHttpProxyAgent, fetch as undiciFetch, type Dispatcher } from 'undici';
import { KeyturnError } from '../core/errors.js';
import type { NetworkFacts } from '../core/classify.js';
import { bodyExcerpt, displayUrl } from '../core/redact.js';
import { parseRetryAfter } from '../core/retry.js';

/** The facts of the last non-2xx answer, kept for the classifier. */
export interface ResponseFacts {
  url: string;
  status: number;
  contentType?: string;
  server?: string;
  retryAfter?: number;
  date?: string;
  /** Parsed OAuth error fields when the body is an OAuth error (RFC 6749 §5.2), even with status 200. */
  oauthError?: string;
  oauthErrorDescription?: string;
  bodyExcerpt?: string;
}

export interface CaSource {
  /** Where the setting came from: NODE_EXTRA_CA_CERTS, SSL_CERT_FILE or ca_file. */
  setting: string;
  path: string;
}

export interface HttpOptions {
  env: Record<string, string | undefined>;
  caFile?: string;
  /** Per-request bound in ms (connect + headers + body). */
  timeoutMs?: number;
}

export type FetchLike = (input: string | URL, init?: RequestInit) => Promise<Response>;

/** One request as the doctor's report lists it: never a query string, a body or a header value with a secret. */
export interface Exchange {
  method: string;
  /** Origin and path only. */
  url: string;
  status?: number;
  /** errno / TLS code / proxy status when no answer came. */
  error?: string;
  proxy?: string;
  ms: number;
  /** The answer's Date header, for the clock check. */
  date?: string;
}

export interface HttpClient {
  fetch: FetchLike;
  /** The proxy used for a URL, credentials stripped; undefined when direct. */
  proxyFor(url: string | URL): string | undefined;
  /** Facts of the most recent non-2xx answer (or 200 with an OAuth error body). */
  lastFailure: ResponseFacts | undefined;
  caSources: CaSource[];
  dispatcher: Dispatcher;
  /** Calls `listener` after every request, answered or not. */
  observe(listener: (exchange: Exchange) => void): void;
  close(): Promise<void>;
}

export const DEFAULT_TIMEOUT_MS = 30_000;

/** The CA settings in force: NODE_EXTRA_CA_CERTS, SSL_CERT_FILE and the profile's ca_file. */
export function caSources(env: Record<string, string | undefined>, caFile?: string): CaSource[] {
  const sources: CaSource[] = [];
  for (const setting of ['NODE_EXTRA_CA_CERTS', 'SSL_CERT_FILE'] as const) {
    const value = env[setting];
    if (value !== undefined && value !== '') sources.push({ setting, path: value });
  }
  if (caFile !== undefined && caFile !== '') sources.push({ setting: 'ca_file', path: caFile });
  return sources;
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** Reads the PEM certificates of one CA setting, or throws ca_file_invalid naming it. */
export function readCaFile(source: CaSource): string[] {
  let text: string;
  try {
    text = readFileSync(source.path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new KeyturnError(
      'ca_file_invalid',
      `${source.setting}=${source.path} cannot be read (${code === 'ENOENT' ? 'no such file' : code}).`,
      {
        fix: `Point ${source.setting} at an existing PEM file, or unset it.`,
        evidence: { setting: source.setting, path: source.path, errno: code },
      },
    );
  }
  const certs = text.match(PEM_CERT) ?? [];
  if (certs.length === 0) {
    throw new KeyturnError('ca_file_invalid', `${source.setting}=${source.path} holds no PEM certificate.`, {
      fix: `Put the CA certificate(s) in PEM form ("-----BEGIN CERTIFICATE-----") in ${source.path}.`,
      evidence: { setting: source.setting, path: source.path },
    });
  }
  return certs;
}

/** Node's roots plus every extra CA: trust is only ever added to (SPEC "Security floor"). */
export function trustedCas(sources: CaSource[]): string[] | undefined {
  if (sources.length === 0) return undefined;
  return [...rootCertificates, ...sources.flatMap(readCaFile)];
}

function envValue(env: Record<string, string | undefined>, name: string): string | undefined {
  const value = env[name.toLowerCase()] ?? env[name.toUpperCase()];
  return value === undefined || value === '' ? undefined : value;
}

/** curl's NO_PROXY semantics: `*`, host suffixes (leading dot optional), host:port. */
export function bypassesProxy(url: URL, noProxy: string | undefined): boolean {
  if (noProxy === undefined) return false;
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  for (const raw of noProxy.split(/[\s,]+/)) {
    const entry = raw.trim().toLowerCase();
    if (entry === '') continue;
    if (entry === '*') return true;
    const [entryHost = '', entryPort] = entry.replace(/^\[|\]$/g, '').split(/:(?=\d+$)/);
    if (entryPort !== undefined && entryPort !== port) continue;
    const bare = entryHost.replace(/^\*?\./, '');
    if (host === bare || host.endsWith(`.${bare}`)) return true;
  }
  return false;
}

export function proxyFor(env: Record<string, string | undefined>, target: string | URL): string | undefined {
  const url = typeof target === 'string' ? new URL(target) : target;
  if (bypassesProxy(url, envValue(env, 'no_proxy'))) return undefined;
  const proxy =
    url.protocol === 'https:'
      ? (envValue(env, 'https_proxy') ?? envValue(env, 'http_proxy'))
      : envValue(env, 'http_proxy');
  return proxy;
}

/** The HTTP layer every command uses: proxies from the environment, extra CAs, a timeout on every request. */
export function createHttpClient(options: HttpOptions): HttpClient {
  const { env } = options;
  const sources = caSources(env, options.caFile);
  const ca = trustedCas(sources);
  const tls = ca === undefined ? {} : { ca };
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const httpProxy = envValue(env, 'http_proxy');
  const httpsProxy = envValue(env, 'https_proxy') ?? httpProxy;
  const noProxy = envValue(env, 'no_proxy');
  const dispatcher = new EnvHttpProxyAgent({
    // Always given ('' = none): undici would otherwise read process.env, not the env we were handed.
    httpProxy: httpProxy ?? '',
    httpsProxy: httpsProxy ?? '',
    noProxy: noProxy ?? '',
    connect: { ...tls, timeout: timeoutMs },
    requestTls: tls,
    proxyTls: tls,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
  });

  const listeners: ((exchange: Exchange) => void)[] = [];
  const notify = (exchange: Exchange) => {
    for (const listener of listeners) listener(exchange);
  };
  const client: HttpClient = {
    lastFailure: undefined,
    caSources: sources,
    dispatcher,
    observe: (listener) => listeners.push(listener),
    proxyFor: (url) => {
      const proxy = proxyFor(env, url);
      return proxy === undefined ? undefined : displayUrl(proxy);
    },
    close: () => dispatcher.close(),
    fetch: async (input, init = {}) => {
      const url = String(input);
      const signal = init.signal
        ? AbortSignal.any([init.signal, AbortSignal.timeout(timeoutMs)])
        : AbortSignal.timeout(timeoutMs);
      const headers = new Headers(init.headers);
      if (!headers.has('user-agent')) headers.set('user-agent', 'keyturn');
      const started = performance.now();
      const proxy = proxyFor(env, url);
      const seen = (): Exchange => ({
        method: (init.method ?? 'GET').toUpperCase(),
        url: pathOnly(url),
        ms: Math.round(performance.now() - started),
        ...(proxy === undefined ? {} : { proxy: displayUrl(proxy) }),
      });
      let response: Response;
      try {
        response = (await undiciFetch(url, {
          ...(init as object),
          headers,
          signal,
          dispatcher,
        } as Parameters<typeof undiciFetch>[1])) as unknown as Response;
      } catch (error) {
        const facts = networkFacts(error, proxy);
        const code = facts.proxyStatus === undefined ? facts.code : `proxy ${facts.proxyStatus}`;
        notify({ ...seen(), ...(code === undefined ? {} : { error: code }) });
        throw new NetworkError(url, facts, error);
      }
      const date = response.headers.get('date');
      notify({ ...seen(), status: response.status, ...(date === null ? {} : { date }) });
      await recordFailure(client, url, response);
      return response;
    },
  };
  return client;
}

function pathOnly(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return displayUrl(url);
  }
}

async function recordFailure(client: HttpClient, url: string, response: Response): Promise<void> {
  const contentType = response.headers.get('content-type') ?? undefined;
  const isJson = contentType !== undefined && /json/i.test(contentType);
  // A redirect is an answer, not a failure (the authorization endpoint answers with one).
  if (response.status >= 300 && response.status < 400) return;
  if (response.ok && !isJson) return;
  // Read a copy; the caller still gets the whole body.
  let text = '';
  try {
    text = (await response.clone().text()).slice(0, 65_536);
  } catch {
    text = '';
  }
  let oauthError: string | undefined;
  let oauthErrorDescription: string | undefined;
  if (isJson) {
    try {
      const body: unknown = JSON.parse(text);
      if (
        typeof body === 'object' &&
        body !== null &&
        typeof (body as { error?: unknown }).error === 'string'
      ) {
        oauthError = (body as { error: string }).error;
        const description = (body as { error_description?: unknown }).error_description;
        if (typeof description === 'string') oauthErrorDescription = description;
      }
    } catch {
      // not JSON after all: kept as an excerpt below
    }
  }
  if (response.ok && oauthError === undefined) return;
  const facts: ResponseFacts = { url, status: response.status };
  if (contentType !== undefined) facts.contentType = contentType;
  const server = response.headers.get('server');
  if (server !== null) facts.server = server;
  const date = response.headers.get('date');
  if (date !== null) facts.date = date;
  const retryAfter = parseRetryAfter(response.headers.get('retry-after'), Date.now());
  if (retryAfter !== undefined) facts.retryAfter = retryAfter;
  if (oauthError !== undefined) facts.oauthError = oauthError;
  if (oauthErrorDescription !== undefined) facts.oauthErrorDescription = oauthErrorDescription;
  if (oauthError === undefined && text !== '') facts.bodyExcerpt = bodyExcerpt(text);
  client.lastFailure = facts;
}

/** A request that got no HTTP answer: DNS, TCP, TLS, proxy or timeout. */
export class NetworkError extends Error {
  override readonly name = 'NetworkError';
  constructor(
    readonly url: string,
    readonly facts: NetworkFacts,
    cause: unknown,
  ) {
    super(`${facts.code ?? 'network error'} for ${displayUrl(url)}`, { cause });
  }
}

/** Digs the errno / TLS code / proxy status out of undici's nested errors. */
export function networkFacts(error: unknown, proxy: string | undefined): NetworkFacts {
  const facts: NetworkFacts = {};
  if (proxy !== undefined) facts.proxy = displayUrl(proxy);
  let current: unknown = error;
  const messages: string[] = [];
  for (let depth = 0; current !== undefined && current !== null && depth < 8; depth++) {
    const e = current as {
      code?: unknown;
      name?: unknown;
      message?: unknown;
      cause?: unknown;
      errors?: unknown;
    };
    if (typeof e.message === 'string') messages.push(e.message);
    if (typeof e.code === 'string' && facts.code === undefined && e.code !== 'UND_ERR_ABORTED')
      facts.code = e.code;
    if ((e.name === 'TimeoutError' || e.name === 'AbortError') && facts.code === undefined)
      facts.code = e.name;
    if (Array.isArray(e.errors) && e.errors.length > 0 && e.cause === undefined) {
      current = e.errors[0];
      continue;
    }
    current = e.cause;
  }
  const text = messages.join(' | ');
  const proxyStatus =
    /Proxy response \((\d{3})\)/.exec(text) ?? /Proxy Authentication Required \((407)\)/.exec(text);
  if (proxyStatus?.[1] !== undefined) {
    facts.proxyStatus = Number(proxyStatus[1]);
    delete facts.code;
  }
  if (
    proxy !== undefined &&
    facts.code !== undefined &&
    /^(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EAI_NONAME|EAI_FAIL|EHOSTUNREACH|ENETUNREACH|UND_ERR_CONNECT_TIMEOUT)$/.test(
      facts.code,
    )
  ) {
    // Through a proxy this process only ever opens connections to the proxy: the target is the proxy's job.
    facts.atProxy = true;
  }
  facts.message = text.slice(0, 300);
  return facts;
}
