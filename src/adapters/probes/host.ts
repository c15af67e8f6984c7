import type { Socket } from 'node:net';
import { classifyExchange, type NetworkFacts } from '../../core/classify.js';
import { KeyturnError } from '../../core/errors.js';
import { passed, problem, type Finding } from '../../core/diagnosis.js';
import { displayUrl } from '../../core/redact.js';
import type { CaSource } from '../ca.js';
import { errnoOf } from './deadline.js';
import { resolveHost } from './dns.js';
import { connectToProxy, requestTunnel } from './proxy.js';
import { connectAny } from './tcp.js';
import { handshake, judgeTls } from './tls.js';
import { tlsFinding } from '../../core/tls.js';

/** One provider origin to probe, and which endpoints live there. */
export interface HostTarget {
  url: URL;
  /** issuer, authorization, token, device_authorization, revocation, jwks */
  endpoints: string[];
}

export interface HostProbeOptions {
  timeoutMs: number;
  /** The proxy for this origin (as configured, credentials included), or undefined when direct. */
  proxy?: string;
  /** The variable that named the proxy (`HTTPS_PROXY`, `https_proxy`, …), for the messages. */
  proxyVariable?: string;
  /** The trusted CAs of the HTTP layer (undefined: Node's default store). */
  ca?: string[];
  caSources: readonly CaSource[];
  now: () => number;
  /** Where the OS keeps its trusted CAs (default: the usual Linux folders). */
  osCertDirs?: readonly string[];
}

/**
 * Resolves, connects to and TLS-handshakes one provider origin, directly or through its proxy
 * (CONNECT, as the HTTP layer does), and says what failed first — or that all is well.
 * @see https://www.rfc-editor.org/rfc/rfc9110#section-9.3.6 CONNECT
 */
export async function probeHost(target: HostTarget, options: HostProbeOptions): Promise<Finding[]> {
  const { url } = target;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  const name = `${url.hostname}:${port}`;
  const base = { host, port, endpoints: target.endpoints.join(', ') };
  const fail = (
    network: NetworkFacts,
    message: string,
    fix?: string,
    evidence: Record<string, unknown> = {},
  ) => {
    const { code } = classifyExchange({ phase: 'connection', url: url.href, network });
    return problem(
      new KeyturnError(code, message, {
        evidence: { ...base, ...(network.code === undefined ? {} : { errno: network.code }), ...evidence },
        ...(fix === undefined ? {} : { fix }),
      }),
    );
  };
  const findings: Finding[] = [];
  let socket: Socket | undefined;
  try {
    if (options.proxy !== undefined) {
      const proxy = new URL(options.proxy);
      const shown = displayUrl(options.proxy);
      const variable = options.proxyVariable ?? 'HTTPS_PROXY';
      const via = {
        proxy: shown,
        ...(options.proxyVariable === undefined ? {} : { proxy_variable: options.proxyVariable }),
      };
      try {
        socket = await connectToProxy(proxy, options.timeoutMs, options.ca);
      } catch (error) {
        const code = errnoOf(error);
        findings.push(
          fail(
            { code, proxy: shown, atProxy: true },
            `The proxy ${shown} (from ${variable}) cannot be reached: ${code === 'ECONNREFUSED' ? 'nothing listens there' : code}.`,
            `Start the proxy or fix its address in ${variable}; if ${host} is reachable directly, add it to NO_PROXY.`,
            via,
          ),
        );
        return findings;
      }
      let answer;
      try {
        answer = await requestTunnel(socket, proxy, host, port, options.timeoutMs);
      } catch (error) {
        const code = errnoOf(error);
        findings.push(
          fail(
            { code, proxy: shown, atProxy: true },
            `The proxy ${shown} accepted the connection but did not answer the CONNECT to ${name} (${code}).`,
            undefined,
            via,
          ),
        );
        return findings;
      }
      const facts = {
        ...via,
        proxy_status: answer.status,
        ...(answer.headers.server === undefined ? {} : { server: answer.headers.server }),
        ...(answer.headers['x-squid-error'] === undefined
          ? {}
          : { proxy_error: answer.headers['x-squid-error'] }),
      };
      if (answer.status === 407) {
        const scheme = answer.headers['proxy-authenticate'];
        findings.push(
          fail(
            { proxy: shown, proxyStatus: 407 },
            proxy.username !== ''
              ? `The proxy ${shown} rejected the credentials in its URL (407 ${answer.reason}).`
              : `The proxy ${shown} requires authentication (407 ${answer.reason}${scheme === undefined ? '' : `, ${scheme}`}), and ${variable} carries no credentials.`,
            undefined,
            { ...facts, ...(scheme === undefined ? {} : { proxy_authenticate: scheme }) },
          ),
        );
        return findings;
      }
      if (answer.status !== 200 || answer.socket === undefined) {
        findings.push(
          fail(
            { proxy: shown, proxyStatus: answer.status },
            [502, 503, 504].includes(answer.status)
              ? `The proxy ${shown} could not reach ${name} (${answer.status} ${answer.reason}${facts.proxy_error ? `, ${facts.proxy_error}` : ''}).`
              : `The proxy ${shown} refused the tunnel to ${name} (${answer.status} ${answer.reason}).`,
            undefined,
            facts,
          ),
        );
        return findings;
      }
      socket = answer.socket;
      findings.push(passed('proxy', `The proxy ${shown} opens a tunnel to ${name}`, { ...base, ...facts }));
    } else {
      let addresses: string[];
      try {
        addresses = await resolveHost(host, options.timeoutMs);
      } catch (error) {
        const code = errnoOf(error);
        findings.push(
          fail(
            { code },
            code === 'ETIMEDOUT'
              ? `Resolving ${host} got no answer within ${options.timeoutMs / 1000} s.`
              : `${host} does not resolve (${code}): no such host for this machine's resolver.`,
          ),
        );
        return findings;
      }
      if (addresses[0] !== host) {
        findings.push(
          passed('dns', `${host} resolves to ${addresses.slice(0, 4).join(', ')}`, { ...base, addresses }),
        );
      }
      const started = options.now();
      let address: string;
      try {
        ({ socket, address } = await connectAny(addresses, port, options.timeoutMs));
      } catch (error) {
        const code = errnoOf(error);
        const why =
          code === 'ECONNREFUSED'
            ? 'refused the connection: nothing listens there, or a firewall rejects it'
            : code === 'ETIMEDOUT'
              ? `did not accept a connection within ${options.timeoutMs / 1000} s: a firewall may be dropping it`
              : `could not be connected to (${code})`;
        findings.push(fail({ code }, `${name} ${why}.`, undefined, { address: addresses[0] }));
        return findings;
      }
      findings.push(
        passed('connect', `${name} accepts connections (${options.now() - started} ms)`, {
          ...base,
          address,
        }),
      );
    }
    if (url.protocol !== 'https:') return findings;
    let secure;
    try {
      secure = await handshake({
        host,
        port,
        servername: host,
        socket,
        ...(options.ca === undefined ? {} : { ca: options.ca }),
        timeoutMs: options.timeoutMs,
      });
    } catch (error) {
      const code = errnoOf(error);
      findings.push(
        fail(
          { code },
          `The TLS handshake with ${name} failed (${code})${/WRONG_VERSION|EPROTO/.test(code) ? ': it may not speak TLS on this port' : ''}.`,
        ),
      );
      return findings;
    }
    socket = secure;
    findings.push(
      tlsFinding(
        await judgeTls(secure, host, options.caSources, options.osCertDirs),
        name,
        host,
        base,
        fail,
        options.now(),
      ),
    );
    return findings;
  } finally {
    socket?.destroy();
  }
}
