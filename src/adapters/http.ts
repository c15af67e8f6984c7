import type * as Undici from 'undici';
import type { Agent, Dispatcher, ProxyAgent } from 'undici';
import { KeyturnError } from '../core/errors.js';
import type { NetworkFacts } from '../core/classify.js';
import { routeFor, type ProxyRoute } from '../core/proxy.js';
import { bodyExcerpt, displayUrl } from '../core/redact.js';
import { parseRetryAfter } from '../core/retry.js';
import { bundledRootsAnd, caSources, trustedCas, type CaSource } from './ca.js';

export { caSources, readCaFile, trustedCas, type CaSource } from './ca.js';

/** What an answer that is not a plain success said: kept with the Response, for the classifier. */
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
  /** Cloudflare's `cf-mitigated` header (`challenge` on its challenge pages). */
  cfMitigated?: string;
}

export interface HttpOptions {
  env: Record<string, string | undefined>;
  caFile?: string;
  /** Per-request bound in ms (connect + headers + body). */
  timeoutMs?: number;
  /** The User-Agent of requests that set none (default `keyturn`). */
  userAgent?: string;
  /**
   * Another program's CA settings (the doctor's `--codex`): trust exactly Node's bundled roots plus
   * these, not this process's NODE_EXTRA_CA_CERTS, which that program never reads.
   */
  caSources?: CaSource[];
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
  /** The route of a request to `url`: the same decision the requests take. */
  route(url: string | URL): ProxyRoute;
  caSources: CaSource[];
  /** The CA certificates it trusts; undefined: Node's default store (NODE_EXTRA_CA_CERTS included). */
  trust: string[] | undefined;
  /** Calls `listener` after every request, answered or not. */
  observe(listener: (exchange: Exchange) => void): void;
  close(): Promise<void>;
}

export const DEFAULT_TIMEOUT_MS = 30_000;

/** The error of a proxy variable that names no usable proxy: said before any request is made. */
export function invalidProxy(variable: string): KeyturnError {
  return new KeyturnError(
    'proxy_unreachable',
    `${variable} is not a proxy URL keyturn can use (http://HOST:PORT or https://HOST:PORT).`,
    {
      fix: `Set ${variable}=http://proxy.example:3128 (credentials as http://USER:PASSWORD@HOST:PORT), or unset it.`,
      evidence: { variable },
    },
  );
}

/**
 * The HTTP layer every command uses: one route per request from core/proxy.ts (direct, or through
 * the proxy its variable names), extra CAs, a timeout on every request.
 */
export function createHttpClient(options: HttpOptions): HttpClient {
  const { env } = options;
  const sources = options.caSources ?? caSources(env, options.caFile);
  const ca = options.caSources === undefined ? trustedCas(sources) : bundledRootsAnd(options.caSources);
  const tls = ca === undefined ? {} : { ca };
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const limits = { headersTimeout: timeoutMs, bodyTimeout: timeoutMs };
  let direct: Agent | undefined;
  const proxies = new Map<string, ProxyAgent>();
  /**
   * Who makes a request: Node's own fetch when it goes direct and trusts what Node trusts (no CA
   * setting, or plain http, where no certificate is checked); undici with a dispatcher of ours when
   * it goes through a proxy or trusts more CAs. The route is core/proxy.ts's either way, and so is
   * the bound: `timeoutMs` for the whole request (Node's fetch gives up a connection after 10 s of its
   * own, when that comes first).
   */
  const transportFor = async (route: ProxyRoute, url: string): Promise<Transport> => {
    if (route.kind === 'invalid') throw invalidProxy(route.variable);
    if (route.kind === 'direct' && (ca === undefined || isPlainHttp(url))) return { fetch: nodeFetch };
    const { Agent, ProxyAgent, fetch } = await loadUndici();
    const undiciFetch = fetch as unknown as Transport['fetch'];
    if (route.kind === 'direct') {
      direct ??= new Agent({ connect: { ...tls, timeout: timeoutMs }, ...limits });
      return { fetch: undiciFetch, dispatcher: direct };
    }
    let agent = proxies.get(route.proxy);
    if (agent === undefined) {
      agent = new ProxyAgent({
        uri: route.proxy,
        connect: { ...tls, timeout: timeoutMs },
        requestTls: tls,
        proxyTls: tls,
        ...limits,
      });
      proxies.set(route.proxy, agent);
    }
    return { fetch: undiciFetch, dispatcher: agent };
  };

  const listeners: ((exchange: Exchange) => void)[] = [];
  const notify = (exchange: Exchange) => {
    for (const listener of listeners) listener(exchange);
  };
  return {
    caSources: sources,
    trust: ca,
    observe: (listener) => listeners.push(listener),
    route: (url) => routeFor(env, url),
    close: async () => {
      await Promise.all([direct?.close(), ...[...proxies.values()].map((agent) => agent.close())]);
    },
    fetch: async (input, init = {}) => {
      const url = String(input);
      const route = routeFor(env, url);
      const transport = await transportFor(route, url);
      const signal = init.signal
        ? AbortSignal.any([init.signal, AbortSignal.timeout(timeoutMs)])
        : AbortSignal.timeout(timeoutMs);
      const headers = new Headers(init.headers);
      if (!headers.has('user-agent')) headers.set('user-agent', options.userAgent ?? 'keyturn');
      const started = performance.now();
      const proxy = route.kind === 'proxy' ? route.proxy : undefined;
      const seen = (): Exchange => ({
        method: (init.method ?? 'GET').toUpperCase(),
        url: pathOnly(url),
        ms: Math.round(performance.now() - started),
        ...(proxy === undefined ? {} : { proxy: displayUrl(proxy) }),
      });
      let response: Response;
      try {
        response = await transport.fetch(url, {
          ...init,
          headers,
          signal,
          ...(transport.dispatcher === undefined ? {} : { dispatcher: transport.dispatcher }),
        });
      } catch (error) {
        const facts = networkFacts(error, proxy);
        if (route.kind === 'proxy') facts.proxyVariable = route.variable;
        const code = facts.proxyStatus === undefined ? facts.code : `proxy ${facts.proxyStatus}`;
        notify({ ...seen(), ...(code === undefined ? {} : { error: code }) });
        throw new NetworkError(url, facts, error);
      }
      const date = response.headers.get('date');
      notify({ ...seen(), status: response.status, ...(date === null ? {} : { date }) });
      const facts = await readResponseFacts(url, response);
      if (facts !== undefined) answered.set(response, facts);
      return response;
    },
  };
}

/** A request's maker: Node's fetch, or undici's with one of our dispatchers. */
interface Transport {
  fetch: (url: string, init: RequestInit & { dispatcher?: Dispatcher }) => Promise<Response>;
  dispatcher?: Dispatcher;
}

function nodeFetch(url: string, init: RequestInit): Promise<Response> {
  return globalThis.fetch(url, init);
}

let undici: Promise<typeof Undici> | undefined;

/**
 * undici, for the requests Node's own fetch cannot make (a proxy, more CAs): loaded on the first such
 * request. Loading it costs about 80 ms of CPU, which a refresh straight to its provider need not pay.
 */
function loadUndici(): Promise<typeof Undici> {
  undici ??= import('undici');
  return undici;
}

function isPlainHttp(url: string): boolean {
  try {
    return new URL(url).protocol === 'http:';
  } catch {
    return false;
  }
}

function pathOnly(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return displayUrl(url);
  }
}

/** The facts of every answer that was not a plain success, keyed by its Response. */
const answered = new WeakMap<object, ResponseFacts>();

/** A Response remade from another (the OAuth answer normaliser's) keeps the other's facts. */
export function inheritResponseFacts(from: Response, to: Response): void {
  const facts = answered.get(from);
  if (facts !== undefined) answered.set(to, facts);
}

/**
 * The facts the HTTP layer kept about an answer, found on a thrown error: openid-client's errors
 * carry the Response as `response` (ResponseBodyError, WWWAuthenticateChallengeError) or as
 * `cause` (a body that is not JSON, an unexpected status). undefined when no kept answer is found.
 */
export function responseFactsOf(error: unknown): ResponseFacts | undefined {
  let current: unknown = error;
  for (let depth = 0; typeof current === 'object' && current !== null && depth < 6; depth++) {
    const found = answered.get(current);
    if (found !== undefined) return found;
    const { response, cause } = current as { response?: unknown; cause?: unknown };
    if (typeof response === 'object' && response !== null) {
      const facts = answered.get(response);
      if (facts !== undefined) return facts;
    }
    current = cause;
  }
  return undefined;
}

/**
 * Reads what an answer says when it is not a plain success: an error status, an OAuth error body
 * (also with 200: GitHub), or a 2xx HTML page (a captive portal). A redirect is an answer, not a
 * failure. A 2xx keeps no excerpt unless it is HTML: a token response, JSON or form-encoded, is secret.
 * An answer with a token in it (2xx JSON without `error`) keeps nothing.
 */
async function readResponseFacts(url: string, response: Response): Promise<ResponseFacts | undefined> {
  if (response.status >= 300 && response.status < 400) return undefined;
  const contentType = response.headers.get('content-type') ?? undefined;
  const isJson = contentType !== undefined && /json/i.test(contentType);
  const isHtml = contentType !== undefined && /html/i.test(contentType);
  // A 2xx that is neither JSON nor HTML may be a form-encoded token response: its body is never read here.
  const readable = !response.ok || isJson || isHtml;
  let text = '';
  try {
    // Read a copy; the caller still gets the whole body.
    if (readable) text = (await response.clone().text()).slice(0, 65_536);
  } catch {
    text = '';
  }
  const oauth = isJson ? oauthErrorBody(text) : undefined;
  if (response.ok && isJson && oauth === undefined) return undefined;
  const facts: ResponseFacts = { url, status: response.status };
  if (contentType !== undefined) facts.contentType = contentType;
  const server = response.headers.get('server');
  if (server !== null) facts.server = server;
  const date = response.headers.get('date');
  if (date !== null) facts.date = date;
  const cfMitigated = response.headers.get('cf-mitigated');
  if (cfMitigated !== null) facts.cfMitigated = cfMitigated;
  const retryAfter = parseRetryAfter(response.headers.get('retry-after'), Date.now());
  if (retryAfter !== undefined) facts.retryAfter = retryAfter;
  if (oauth !== undefined) {
    facts.oauthError = oauth.error;
    if (oauth.description !== undefined) facts.oauthErrorDescription = oauth.description;
  } else if (text !== '') facts.bodyExcerpt = bodyExcerpt(text);
  return facts;
}

/** The `error` and `error_description` of an OAuth error body (RFC 6749 §5.2), if it is one. */
function oauthErrorBody(text: string): { error: string; description?: string } | undefined {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof body !== 'object' || body === null) return undefined;
  const { error, error_description: description } = body as { error?: unknown; error_description?: unknown };
  if (typeof error !== 'string') return undefined;
  return typeof description === 'string' ? { error, description } : { error };
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
