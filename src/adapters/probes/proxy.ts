import type { Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { connectTcp } from './tcp.js';
import { probeError, withDeadline } from './deadline.js';

/** What a proxy answered to CONNECT (RFC 9110 §9.3.6). */
export interface ConnectAnswer {
  status: number;
  reason: string;
  headers: Record<string, string>;
  /** The tunnel, when the proxy answered 200. */
  socket?: Socket;
}

/** Opens a connection to the proxy itself (TLS for an https:// proxy); errors are the proxy's. */
export async function connectToProxy(proxy: URL, timeoutMs: number, ca?: string[]): Promise<Socket> {
  const port = Number(proxy.port || (proxy.protocol === 'https:' ? 443 : 80));
  const socket = await connectTcp(proxy.hostname, port, timeoutMs);
  if (proxy.protocol !== 'https:') return socket;
  const secure = tlsConnect({ socket, servername: proxy.hostname, ...(ca === undefined ? {} : { ca }) });
  await withDeadline(
    new Promise<void>((resolve, reject) => {
      secure.once('secureConnect', resolve);
      secure.once('error', reject);
    }),
    timeoutMs,
    () => secure.destroy(),
  );
  return secure;
}

/**
 * Asks the proxy for a tunnel to host:port, as undici does for every request through a proxy, with
 * the credentials of the proxy URL (Basic, RFC 7617) when it has some.
 */
export async function requestTunnel(
  socket: Socket,
  proxy: URL,
  host: string,
  port: number,
  timeoutMs: number,
): Promise<ConnectAnswer> {
  const authority = `${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${port}`;
  const lines = [`CONNECT ${authority} HTTP/1.1`, `Host: ${authority}`, 'User-Agent: keyturn-doctor'];
  if (proxy.username !== '') {
    const credentials = `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`;
    lines.push(`Proxy-Authorization: Basic ${Buffer.from(credentials).toString('base64')}`);
  }
  socket.write(`${lines.join('\r\n')}\r\n\r\n`);
  const head = await withDeadline(
    new Promise<string>((resolve, reject) => {
      let received = '';
      const onData = (chunk: Buffer) => {
        received += chunk.toString('latin1');
        const end = received.indexOf('\r\n\r\n');
        if (end >= 0 || received.length > 16_384) {
          socket.off('data', onData);
          resolve(end >= 0 ? received.slice(0, end) : received);
        }
      };
      socket.on('data', onData);
      socket.once('error', reject);
      socket.once('end', () => reject(probeError('ECONNRESET', 'the proxy closed the connection')));
    }),
    timeoutMs,
    () => socket.destroy(),
  );
  const [statusLine = '', ...headerLines] = head.split('\r\n');
  const match = /^HTTP\/\d(?:\.\d)?\s+(\d{3})\s*(.*)$/.exec(statusLine);
  if (match === null)
    throw probeError('EPROTO', `not an HTTP answer from the proxy: ${statusLine.slice(0, 80)}`);
  const headers: Record<string, string> = {};
  for (const line of headerLines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const status = Number(match[1]);
  if (status !== 200) socket.destroy();
  return { status, reason: match[2] ?? '', headers, ...(status === 200 ? { socket } : {}) };
}
