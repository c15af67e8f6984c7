import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { startIssuer, type IssuerOptions, type RunningIssuer } from '../../src/issuer/index.js';

/**
 * A reverse proxy of our own in front of the embedded issuer that injects faults on demand:
 * a status with a body (HTML 403 from a "WAF", 503, 429 with Retry-After), a connection that is
 * accepted and never answered, or a reset. Loopback only.
 */

export interface ProxiedRequest {
  method: string;
  path: string;
  body: string;
}

export type FaultResponse =
  { status: number; headers?: Record<string, string>; body?: string } | 'hang' | 'reset';

export interface FaultRule {
  match: (req: ProxiedRequest) => boolean;
  respond: FaultResponse;
  /** How many requests this rule answers; unlimited when undefined. */
  times?: number;
}

export interface FaultProxy {
  /** The proxy's origin, e.g. http://127.0.0.1:40111 */
  url: string;
  port: number;
  setTarget(target: string): void;
  addRule(rule: FaultRule): void;
  clearRules(): void;
  /** Every request seen, with the status answered (0 for hang/reset). */
  requests: { method: string; path: string; body: string; status: number; faulted: boolean }[];
  close(): Promise<void>;
}

export const isTokenRequest = (grantType?: string) => (req: ProxiedRequest) =>
  req.method === 'POST' &&
  /\/token$/.test(req.path.split('?')[0] ?? '') &&
  (grantType === undefined || new URLSearchParams(req.body).get('grant_type') === grantType);

/**
 * Starts the proxy; give the upstream now, or later with `setTarget` (start the proxy first, then the
 * issuer with `publicUrl: proxy.url`, then `proxy.setTarget(issuer's own address)`).
 */
export async function startFaultProxy(target?: string): Promise<FaultProxy> {
  let upstream = new URL(target ?? 'http://127.0.0.1:9');
  const rules: FaultRule[] = [];
  const requests: FaultProxy['requests'] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const seen: ProxiedRequest = { method: req.method ?? 'GET', path: req.url ?? '/', body };
      const rule = rules.find((r) => (r.times === undefined || r.times > 0) && r.match(seen));
      if (rule !== undefined) {
        if (rule.times !== undefined) rule.times--;
        const respond = rule.respond;
        if (respond === 'hang') {
          requests.push({ ...seen, status: 0, faulted: true });
          return;
        }
        if (respond === 'reset') {
          requests.push({ ...seen, status: 0, faulted: true });
          req.socket.destroy();
          return;
        }
        requests.push({ ...seen, status: respond.status, faulted: true });
        res.writeHead(respond.status, { 'content-type': 'text/html; charset=utf-8', ...respond.headers });
        res.end(respond.body ?? '');
        return;
      }
      const headers = { ...req.headers, host: upstream.host };
      const forward = httpRequest(
        { hostname: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers },
        (upstreamRes) => {
          requests.push({ ...seen, status: upstreamRes.statusCode ?? 0, faulted: false });
          res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
          upstreamRes.pipe(res);
        },
      );
      forward.on('error', () => {
        requests.push({ ...seen, status: 502, faulted: false });
        res.writeHead(502).end();
      });
      forward.end(body);
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    setTarget: (t) => {
      upstream = new URL(t);
    },
    addRule: (rule) => rules.push(rule),
    clearRules: () => rules.splice(0, rules.length),
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * The embedded issuer behind a fault proxy: discovery publishes the proxy's address, so every
 * request a client makes (and the browser's) passes the proxy, where a test can break any of them.
 */
export async function startIssuerBehindFaultProxy(
  options: IssuerOptions = {},
): Promise<{ proxy: FaultProxy; issuer: RunningIssuer; close(): Promise<void> }> {
  const proxy = await startFaultProxy();
  const issuer = await startIssuer({ port: 0, ...options, publicUrl: proxy.url });
  proxy.setTarget(`http://127.0.0.1:${issuer.port}`);
  return {
    proxy,
    issuer,
    close: async () => {
      await issuer.close();
      await proxy.close();
    },
  };
}
