import { isLoopbackHost } from './config.js';

/**
 * The one proxy decision: which route a request to a URL takes, read from the environment as curl
 * reads it. Requests, the doctor's probes and every message about a proxy take it from here.
 * @see https://curl.se/libcurl/c/CURLOPT_PROXY.html (environment variables)
 * @see https://curl.se/libcurl/c/CURLOPT_NOPROXY.html
 */
export type ProxyRoute =
  | {
      kind: 'direct';
      /** loopback: never proxied; no_proxy: NO_PROXY names the host; unset: no proxy variable for the scheme. */
      reason: 'loopback' | 'no_proxy' | 'unset';
    }
  | {
      kind: 'proxy';
      /** The proxy URL as configured, credentials included: never show it, show `displayProxy`. */
      proxy: string;
      /** The variable it came from, spelt as set: `https_proxy`, `HTTPS_PROXY`, `http_proxy`, `HTTP_PROXY`. */
      variable: string;
    }
  | {
      kind: 'invalid';
      /** The proxy variable whose value is not an http:// or https:// proxy URL. */
      variable: string;
    };

export type Environment = Readonly<Record<string, string | undefined>>;

/**
 * A variable as curl reads it: the lower-case name first, then the upper-case one; a variable that
 * is set but empty means "none" (and hides the other spelling).
 */
export function readProxyVariable(
  env: Environment,
  name: string,
): { variable: string; value: string } | undefined {
  for (const variable of [name.toLowerCase(), name.toUpperCase()]) {
    const value = env[variable];
    if (value === undefined) continue;
    const trimmed = value.trim();
    return trimmed === '' ? undefined : { variable, value: trimmed };
  }
  return undefined;
}

/** One NO_PROXY entry, parsed. */
export type NoProxyEntry =
  | { kind: 'all' }
  /** A host name: matches itself and every name under it. */
  | { kind: 'domain'; domain: string; port?: number }
  /** An IP address, or a CIDR block (prefix shorter than the address). */
  | { kind: 'ip'; bytes: number[]; prefix: number; port?: number };

/**
 * Parses NO_PROXY as curl does: a comma (or space) separated list; `*` alone matches every host;
 * a name matches itself and the names under it, with or without a leading dot (or `*.`); IPv6
 * addresses with or without brackets; IP addresses in CIDR notation (curl 7.86). Beyond curl, an
 * entry may name a port (`host:8443`, `[::1]:8443`), as Go and undici allow. Never throws: an
 * entry that cannot be read is left out.
 */
export function parseNoProxy(value: string): NoProxyEntry[] {
  const trimmed = value.trim();
  if (trimmed === '*') return [{ kind: 'all' }];
  const entries: NoProxyEntry[] = [];
  for (const raw of trimmed.toLowerCase().split(/[\s,]+/)) {
    const entry = parseEntry(raw);
    if (entry !== undefined) entries.push(entry);
  }
  return entries;
}

function parseEntry(raw: string): NoProxyEntry | undefined {
  if (raw === '') return undefined;
  let host = raw;
  let port: number | undefined;
  if (raw.startsWith('[')) {
    const close = raw.indexOf(']');
    if (close < 0) return undefined;
    host = raw.slice(1, close);
    const rest = raw.slice(close + 1);
    if (rest !== '') {
      const match = /^:(\d{1,5})$/.exec(rest);
      if (match === null) return undefined;
      port = Number(match[1]);
    }
  } else if ((raw.match(/:/g) ?? []).length === 1) {
    const match = /^([^:]*):(\d{1,5})$/.exec(raw);
    if (match === null) return undefined;
    host = match[1] ?? '';
    port = Number(match[2]);
  }
  if (port !== undefined && (port < 1 || port > 65535)) return undefined;
  const withPort = port === undefined ? {} : { port };

  const slash = host.indexOf('/');
  const address = slash < 0 ? host : host.slice(0, slash);
  const bytes = parseIp(address);
  if (bytes !== undefined) {
    const bits = bytes.length * 8;
    let prefix = bits;
    if (slash >= 0) {
      const text = host.slice(slash + 1);
      if (!/^\d{1,3}$/.test(text) || Number(text) > bits) return undefined;
      prefix = Number(text);
    }
    return { kind: 'ip', bytes, prefix, ...withPort };
  }
  if (slash >= 0) return undefined;
  // `*` within a list is no wildcard for curl: only `*` alone is.
  const domain = host.replace(/^\*?\.+/, '').replace(/\.+$/, '');
  if (domain === '' || domain.includes('*')) return undefined;
  return { kind: 'domain', domain, ...withPort };
}

/** IPv4 as 4 bytes, IPv6 as 16, or undefined. Pure: core/ may not use node:net. */
export function parseIp(text: string): number[] | undefined {
  return parseIpv4(text) ?? parseIpv6(text);
}

function parseIpv4(text: string): number[] | undefined {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (match === null) return undefined;
  const bytes = match.slice(1).map(Number);
  return bytes.every((b) => b <= 255) ? bytes : undefined;
}

function parseIpv6(text: string): number[] | undefined {
  // No character check up front: every piece is checked below (hex groups, an IPv4 tail).
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  // The embedded IPv4 address ends the whole address: it may end the head only when there is no tail.
  const groups = (part: string, endsAddress: boolean): number[] | undefined => {
    if (part === '') return [];
    const out: number[] = [];
    const pieces = part.split(':');
    for (const [index, piece] of pieces.entries()) {
      if (piece.includes('.')) {
        // An embedded IPv4 address, only as the last piece (RFC 4291 §2.2).
        const v4 = endsAddress && index === pieces.length - 1 ? parseIpv4(piece) : undefined;
        if (v4 === undefined) return undefined;
        out.push(((v4[0] ?? 0) << 8) | (v4[1] ?? 0), ((v4[2] ?? 0) << 8) | (v4[3] ?? 0));
      } else {
        if (!/^[0-9a-f]{1,4}$/i.test(piece)) return undefined;
        out.push(parseInt(piece, 16));
      }
    }
    return out;
  };
  const head = groups(halves[0] ?? '', halves.length === 1);
  const tail = halves.length === 2 ? groups(halves[1] ?? '', true) : [];
  if (head === undefined || tail === undefined) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const all = [...head, ...new Array<number>(missing).fill(0), ...tail];
  return all.flatMap((group) => [group >> 8, group & 0xff]);
}

function inBlock(address: number[], block: number[], prefix: number): boolean {
  if (address.length !== block.length) return false;
  for (let bit = 0; bit < prefix; bit += 8) {
    const take = Math.min(8, prefix - bit);
    const mask = (0xff << (8 - take)) & 0xff;
    if (((address[bit / 8] ?? 0) & mask) !== ((block[bit / 8] ?? 0) & mask)) return false;
  }
  return true;
}

const DEFAULT_PORT: Record<string, number> = { 'http:': 80, 'https:': 443 };

/** The URL's host, without IPv6 brackets or a trailing dot, lower case, and its port. */
function target(url: URL): { host: string; port: number } {
  const host = url.hostname
    .replace(/^\[|\]$/g, '')
    .replace(/\.+$/, '')
    .toLowerCase();
  return { host, port: url.port === '' ? (DEFAULT_PORT[url.protocol] ?? 0) : Number(url.port) };
}

/** Does one of these NO_PROXY entries name this URL's host (and port, when the entry has one)? */
export function matchesNoProxy(url: URL, entries: readonly NoProxyEntry[]): boolean {
  const { host, port } = target(url);
  const address = parseIp(host);
  return entries.some((entry) => {
    if (entry.kind === 'all') return true;
    if (entry.port !== undefined && entry.port !== port) return false;
    if (entry.kind === 'ip') return address !== undefined && inBlock(address, entry.bytes, entry.prefix);
    return host === entry.domain || host.endsWith(`.${entry.domain}`);
  });
}

/** A proxy URL as undici takes it: curl's default scheme is http://; only http(s) proxies. */
function proxyUrl(value: string): string | undefined {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    return undefined;
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '') return undefined;
  return withScheme;
}

/**
 * The route of a request to `target`. Loopback is never proxied (a loopback issuer's tokens must
 * not leave the machine). HTTPS uses `https_proxy` only, plain HTTP `http_proxy` only: unlike
 * undici, no fallback from one to the other (curl).
 */
export function routeFor(env: Environment, target: string | URL): ProxyRoute {
  let url: URL;
  try {
    url = typeof target === 'string' ? new URL(target) : target;
  } catch {
    return { kind: 'direct', reason: 'unset' };
  }
  if (isLoopbackHost(url.hostname)) return { kind: 'direct', reason: 'loopback' };
  const setting = readProxyVariable(env, url.protocol === 'https:' ? 'https_proxy' : 'http_proxy');
  if (setting === undefined) return { kind: 'direct', reason: 'unset' };
  const noProxy = readProxyVariable(env, 'no_proxy');
  if (noProxy !== undefined && matchesNoProxy(url, parseNoProxy(noProxy.value))) {
    return { kind: 'direct', reason: 'no_proxy' };
  }
  const proxy = proxyUrl(setting.value);
  if (proxy === undefined) return { kind: 'invalid', variable: setting.variable };
  return { kind: 'proxy', proxy, variable: setting.variable };
}

/** The proxy of a route, or undefined when the route is direct (or the variable unusable). */
export function proxyOf(route: ProxyRoute): string | undefined {
  return route.kind === 'proxy' ? route.proxy : undefined;
}
