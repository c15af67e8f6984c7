import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import {
  NetworkError,
  createHttpClient,
  networkFacts,
  responseFactsOf,
  type Exchange,
} from '../../src/adapters/http.js';

describe('the facts of a request that got no answer', () => {
  it("reads undici's proxy refusal status", () => {
    const error = new TypeError('fetch failed', {
      cause: Object.assign(new Error('Proxy response (407) !== 200 when HTTP Tunneling'), {
        code: 'UND_ERR_ABORTED',
      }),
    });
    expect(networkFacts(error, 'http://user:pw@proxy:3128')).toMatchObject({
      proxy: 'http://proxy:3128',
      proxyStatus: 407,
    });
  });

  it('puts a refused connection through a proxy on the proxy', () => {
    const error = new TypeError('fetch failed', {
      cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:3128'), { code: 'ECONNREFUSED' }),
    });
    expect(networkFacts(error, 'http://127.0.0.1:3128')).toMatchObject({
      code: 'ECONNREFUSED',
      atProxy: true,
    });
    expect(networkFacts(error, undefined).atProxy).toBeUndefined();
  });
});

describe('the HTTP client', () => {
  let server: Server;
  let base: string;
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/waf') {
        res.writeHead(403, { 'content-type': 'text/html', server: 'AkamaiGHost' });
        res.end('<h1>Access Denied</h1><p>Reference #18.1</p>');
      } else if (req.url === '/redirect') {
        res.writeHead(302, { location: '/elsewhere' }).end();
      } else if (req.url === '/github') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          '{"error":"bad_verification_code","error_description":"The code passed is incorrect or expired."}',
        );
      } else if (req.url === '/token-ok') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"access_token":"secret-access-token","token_type":"Bearer"}');
      } else if (req.url === '/form-token') {
        res.writeHead(200, { 'content-type': 'application/x-www-form-urlencoded' });
        res.end('access_token=secret-access-token&token_type=bearer');
      } else if (req.url === '/portal') {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end('<html><h1>Welcome to Airport Wi-Fi</h1><p>Accept the terms</p></html>');
      } else if (req.url === '/silent') {
        // never answers
      } else res.end('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('keeps the facts of an HTML refusal with its answer, where the thrown error finds them', async () => {
    const http = createHttpClient({ env: {} });
    const response = await http.fetch(`${base}/waf`);
    // openid-client throws errors that carry the Response as `response` or `cause`.
    const thrown = new Error('outer', { cause: Object.assign(new Error('inner'), { response }) });
    expect(responseFactsOf(thrown)).toMatchObject({
      status: 403,
      server: 'AkamaiGHost',
      contentType: 'text/html',
      bodyExcerpt: 'Access Denied Reference #18.1',
    });
    expect(
      responseFactsOf(new Error('unrelated', { cause: new Response('x', { status: 500 }) })),
    ).toBeUndefined();
    await http.close();
  });

  it('keeps an OAuth error answered with 200 (GitHub) and a 200 HTML page (a captive portal), not a redirect or a success', async () => {
    const http = createHttpClient({ env: {} });
    expect(responseFactsOf(await http.fetch(`${base}/redirect`, { redirect: 'manual' }))).toBeUndefined();
    expect(responseFactsOf(await http.fetch(`${base}/token-ok`))).toBeUndefined();
    const form = responseFactsOf(await http.fetch(`${base}/form-token`));
    expect(form).toEqual({
      url: `${base}/form-token`,
      status: 200,
      contentType: 'application/x-www-form-urlencoded',
      date: expect.any(String),
    });
    expect(responseFactsOf(await http.fetch(`${base}/github`))).toMatchObject({
      status: 200,
      oauthError: 'bad_verification_code',
    });
    expect(responseFactsOf(await http.fetch(`${base}/portal`))).toMatchObject({
      status: 200,
      contentType: 'text/html',
      bodyExcerpt: 'Welcome to Airport Wi-Fi Accept the terms',
    });
    await http.close();
  });

  it('bounds every request by its timeout, and tells observers what happened without the query', async () => {
    const seen: Exchange[] = [];
    const http = createHttpClient({ env: {}, timeoutMs: 300 });
    http.observe((e) => seen.push(e));
    await http.fetch(`${base}/ok?code=secret-code-value`);
    const failure = await http.fetch(`${base}/silent`).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(NetworkError);
    expect((failure as NetworkError).facts.code).toBe('TimeoutError');
    expect(seen.map(({ method, url, status, error }) => ({ method, url, status, error }))).toEqual([
      { method: 'GET', url: `${base}/ok`, status: 200, error: undefined },
      { method: 'GET', url: `${base}/silent`, status: undefined, error: 'TimeoutError' },
    ]);
    await http.close();
  });

  it('ignores the process environment: only the env it is handed names a proxy', async () => {
    const before = process.env.HTTP_PROXY;
    process.env.HTTP_PROXY = 'http://127.0.0.1:9';
    try {
      const http = createHttpClient({ env: {} });
      expect((await http.fetch(`${base}/ok`)).status).toBe(200);
      await http.close();
    } finally {
      if (before === undefined) delete process.env.HTTP_PROXY;
      else process.env.HTTP_PROXY = before;
    }
  });
});

describe('the route every request takes is the one core/proxy.ts decides', () => {
  let proxy: TcpServer;
  let proxyUrl: string;
  const connects: string[] = [];
  const sockets = new Set<Socket>();
  let origin: Server;
  let originUrl: string;
  beforeAll(async () => {
    // A proxy that records what it is asked and refuses it: enough to see which requests reach it.
    proxy = createTcpServer((socket) => {
      sockets.add(socket);
      socket.once('data', (chunk: Buffer) => {
        connects.push(chunk.toString('latin1').split('\r\n')[0] ?? '');
        socket.end('HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n');
      });
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    proxyUrl = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`;
    origin = createServer((_req, res) => res.end('direct'));
    await new Promise<void>((resolve) => origin.listen(0, '127.0.0.1', resolve));
    originUrl = `http://127.0.0.1:${(origin.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    origin.closeAllConnections();
    await Promise.all([
      new Promise((resolve) => proxy.close(resolve)),
      new Promise((resolve) => origin.close(resolve)),
    ]);
  });

  it('sends a plain-http loopback issuer straight to it, never through HTTP_PROXY', async () => {
    connects.length = 0;
    const http = createHttpClient({ env: { HTTP_PROXY: proxyUrl, HTTPS_PROXY: proxyUrl } });
    const response = await http.fetch(`${originUrl}/token`, {
      method: 'POST',
      body: 'refresh_token=rt-secret',
    });
    expect(await response.text()).toBe('direct');
    expect(connects).toEqual([]);
    await http.close();
  });

  it('tunnels HTTPS through HTTPS_PROXY, and reports the proxy refusal', async () => {
    connects.length = 0;
    const http = createHttpClient({ env: { HTTPS_PROXY: proxyUrl }, timeoutMs: 5000 });
    const failure = await http.fetch('https://idp.keyturn.invalid/token').catch((e: unknown) => e);
    expect(connects).toEqual(['CONNECT idp.keyturn.invalid:443 HTTP/1.1']);
    expect((failure as NetworkError).facts).toMatchObject({
      proxy: proxyUrl,
      proxyVariable: 'HTTPS_PROXY',
      proxyStatus: 403,
    });
    await http.close();
  });

  it('does not send HTTPS through HTTP_PROXY (no fallback, as curl)', async () => {
    connects.length = 0;
    const http = createHttpClient({ env: { HTTP_PROXY: proxyUrl }, timeoutMs: 5000 });
    const failure = await http.fetch('https://idp.keyturn.invalid/token').catch((e: unknown) => e);
    expect(connects).toEqual([]);
    expect(failure).toBeInstanceOf(NetworkError);
    expect((failure as NetworkError).facts.proxy).toBeUndefined();
    await http.close();
  });

  it('goes around the proxy for an IPv6 NO_PROXY entry written without brackets', async () => {
    connects.length = 0;
    const http = createHttpClient({
      env: { HTTPS_PROXY: proxyUrl, NO_PROXY: '2001:db8::1' },
      timeoutMs: 2000,
    });
    await http.fetch('https://[2001:db8::1]/token').catch(() => undefined);
    expect(connects).toEqual([]);
    await http.close();
  });

  it('refuses a proxy variable it cannot use before sending anything', async () => {
    const http = createHttpClient({ env: { HTTPS_PROXY: 'socks5://127.0.0.1:1080' } });
    await expect(http.fetch('https://idp.keyturn.invalid/')).rejects.toMatchObject({
      code: 'proxy_unreachable',
      message: expect.stringContaining('HTTPS_PROXY'),
    });
    await http.close();
  });
});
