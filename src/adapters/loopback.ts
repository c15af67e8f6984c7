import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { KeyturnError } from '../core/errors.js';
import {
  FOREIGN_HOST,
  inspectCallback,
  isServedHost,
  type CallbackProblem,
  type CallbackVerdict,
} from '../core/callback.js';
import { resultPage } from '../core/pages.js';
import { portInUseError, type PortHolder } from '../core/port-in-use.js';

export type { PortHolder };

/**
 * The loopback callback server of a browser sign-in (RFC 8252 §7.3). It listens before the browser
 * opens, on loopback addresses only, answers junk with 4xx and keeps waiting, and accepts exactly one
 * answer carrying this sign-in's state.
 */

export interface CallbackServerOptions {
  redirectUri: string;
  expectedState: string;
  /**
   * When the configured port is busy: `true` takes any free port (RFC 8252 §7.3 providers only); a
   * list tries those ports in order (other registered redirect URIs).
   */
  portFallback?: boolean | number[];
  /** Who holds a busy port, for the error message. */
  findPortHolder?: (port: number) => Promise<PortHolder | undefined>;
  /** The application named on the pages the browser shows (default keyturn). */
  appName?: string;
  /** Every rejected request, for narration and debugging. */
  onReject?: (status: number, reason: string, problem: CallbackProblem) => void;
}

export interface CallbackResult {
  verdict: Extract<CallbackVerdict, { kind: 'code' | 'error' }>;
  /** The redirect URI with the response's query: what openid-client validates. */
  currentUrl: URL;
  /** Answers the browser and closes the server. */
  respond(kind: 'success' | 'failure', title: string, detail: string): Promise<void>;
}

export interface CallbackServer {
  /** The redirect URI in use (its port may differ from the configured one with fallback). */
  redirectUri: string;
  port: number;
  wait(signal?: AbortSignal): Promise<CallbackResult>;
  /**
   * The redirect URL the user pasted (the browser ran elsewhere and its callback page did not load),
   * screened exactly as a request to this server is; accepted, it ends `wait()` as the callback would.
   * Returns the reason when it is not this sign-in's answer.
   */
  paste(url: string): { accepted: true } | { accepted: false; reason: string };
  close(): Promise<void>;
}

export const CANCEL_PATH = '/cancel';
export const CANCEL_HEADER = 'x-keyturn-cancel';

/** `localhost` means both loopback stacks: the browser may resolve it to either. */
export function bindAddresses(hostname: string): string[] {
  const host = hostname.replace(/^\[|\]$/g, '');
  if (host === 'localhost') return ['127.0.0.1', '::1'];
  return [host];
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => {
      server.off('listening', onListening);
      reject(error);
    };
    const onListening = () => {
      server.off('error', onError);
      const address = server.address();
      resolve(typeof address === 'object' && address !== null ? address.port : port);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen({ port, host, exclusive: true });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

export async function startCallbackServer(options: CallbackServerOptions): Promise<CallbackServer> {
  const configured = new URL(options.redirectUri);
  const hosts = bindAddresses(configured.hostname);
  const expectedPath = configured.pathname;
  let settle: { resolve: (r: CallbackResult) => void; reject: (e: unknown) => void } | undefined;
  let pending: CallbackResult | KeyturnError | undefined;
  let done = false;
  const servers: Server[] = [];

  const deliver = (outcome: CallbackResult | KeyturnError) => {
    if (settle === undefined) {
      pending = outcome;
      return;
    }
    if (outcome instanceof KeyturnError) settle.reject(outcome);
    else settle.resolve(outcome);
    settle = undefined;
  };

  const close = async () => {
    done = true;
    await Promise.all(servers.map(closeServer));
  };

  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const target = req.url ?? '/';
    // Before anything else: a rebound name may neither cancel this sign-in nor answer it.
    if (!isServedHost(req.headers.host, port)) {
      options.onReject?.(FOREIGN_HOST.status, FOREIGN_HOST.reason, FOREIGN_HOST.problem);
      res.writeHead(FOREIGN_HOST.status, { 'content-type': 'text/plain' }).end(`${FOREIGN_HOST.reason}\n`);
      return;
    }
    const send = (
      status: number,
      kind: 'success' | 'failure',
      title: string,
      detail: string,
    ): Promise<void> => {
      // Resolves once the page is handed to the OS, so closing the server cannot cut it off.
      const sent = new Promise<void>((resolve) => {
        res.once('finish', resolve);
        res.once('close', resolve);
      });
      res.writeHead(status, {
        'content-type': 'text/html; charset=utf-8',
        'cache-control': 'no-store',
        'referrer-policy': 'no-referrer',
        'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'",
      });
      res.end(resultPage(kind, title, detail, options.appName));
      return sent;
    };
    if (target === CANCEL_PATH || target.startsWith(`${CANCEL_PATH}?`)) {
      // Only another keyturn can send this header: a web page cannot without a CORS preflight.
      if (req.method === 'POST' && req.headers[CANCEL_HEADER] !== undefined && !done) {
        res.writeHead(200, { 'content-type': 'text/plain' }).end('cancelled\n');
        done = true;
        const by = String(req.headers[CANCEL_HEADER]);
        deliver(
          new KeyturnError(
            'login_cancelled',
            `This sign-in was cancelled by another keyturn login${by ? ` (pid ${by})` : ''}.`,
          ),
        );
        return;
      }
      res.writeHead(403, { 'content-type': 'text/plain' }).end('forbidden\n');
      return;
    }
    if (done) {
      void send(410, 'failure', 'This sign-in is already finished', 'You can close this window.');
      return;
    }
    const verdict = inspectCallback(
      { method: req.method ?? 'GET', target },
      expectedPath,
      options.expectedState,
    );
    if (verdict.kind === 'reject') {
      options.onReject?.(verdict.status, verdict.reason, verdict.problem);
      void send(
        verdict.status,
        'failure',
        `Not a sign-in answer for ${options.appName ?? 'keyturn'}`,
        verdict.reason,
      );
      return;
    }
    take(verdict, async (kind, title, detail) => {
      await send(kind === 'success' ? 200 : 400, kind, title, detail);
      await close();
    });
  };

  /** The one answer this sign-in accepts, from the browser or pasted. */
  const take = (verdict: CallbackResult['verdict'], respond: CallbackResult['respond']) => {
    done = true;
    const currentUrl = new URL(redirectUri);
    currentUrl.search = verdict.params.toString();
    deliver({ verdict, currentUrl, respond });
  };

  const paste: CallbackServer['paste'] = (pasted) => {
    if (done) return { accepted: false, reason: 'This sign-in is already finished.' };
    let target: string;
    try {
      const url = new URL(pasted.trim());
      target = `${url.pathname}${url.search}`;
    } catch {
      return { accepted: false, reason: 'That is not a URL.' };
    }
    const verdict = inspectCallback({ method: 'GET', target }, expectedPath, options.expectedState);
    if (verdict.kind === 'reject') {
      options.onReject?.(verdict.status, verdict.reason, verdict.problem);
      return { accepted: false, reason: verdict.reason };
    }
    // No browser waits for a page: answering is closing.
    take(verdict, close);
    return { accepted: true };
  };

  let port = Number(configured.port || 80);
  for (const [index, host] of hosts.entries()) {
    const server = createServer(handler);
    server.headersTimeout = 10_000;
    server.requestTimeout = 30_000;
    server.maxHeadersCount = 50;
    try {
      port = await listen(server, port, host);
      servers.push(server);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // No IPv6 on this machine: 127.0.0.1 alone serves `localhost`.
      if (index > 0 && (code === 'EADDRNOTAVAIL' || code === 'EAFNOSUPPORT')) continue;
      await close();
      if (code === 'EADDRINUSE' || code === 'EACCES') {
        const fallback = options.portFallback;
        if (index === 0 && (fallback === true || (Array.isArray(fallback) && fallback.length > 0))) {
          const [next = 0, ...rest] = fallback === true ? [0] : fallback;
          return startCallbackServer({
            ...options,
            portFallback: rest.length > 0 ? rest : false,
            redirectUri: withPort(configured, next),
          });
        }
        throw await portInUse(port, host, code, options.findPortHolder);
      }
      throw error;
    }
  }
  const redirectUri = withPort(configured, port);

  return {
    redirectUri,
    port,
    close,
    paste,
    wait: (signal) =>
      new Promise<CallbackResult>((resolve, reject) => {
        if (pending !== undefined) {
          const outcome = pending;
          pending = undefined;
          if (outcome instanceof KeyturnError) reject(outcome);
          else resolve(outcome);
          return;
        }
        // An already aborted signal never fires 'abort' again (Ctrl-C during discovery).
        if (signal?.aborted) return reject(signal.reason);
        settle = { resolve, reject };
        signal?.addEventListener('abort', () => reject(signal.reason), { once: true });
      }),
  };
}

function withPort(url: URL, port: number): string {
  const copy = new URL(url.toString());
  copy.port = String(port);
  return copy.toString();
}

async function portInUse(
  port: number,
  host: string,
  code: string | undefined,
  findPortHolder: CallbackServerOptions['findPortHolder'],
): Promise<KeyturnError> {
  const holder = code === 'EACCES' ? undefined : await findPortHolder?.(port).catch(() => undefined);
  return portInUseError({
    port,
    host,
    platform: process.platform,
    ...(code === undefined ? {} : { errno: code }),
    ...(holder === undefined ? {} : { holder }),
  });
}
