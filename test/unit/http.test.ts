import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  NetworkError,
  bypassesProxy,
  createHttpClient,
  networkFacts,
  proxyFor,
  type Exchange,
} from '../../src/adapters/http.js';

describe('which proxy a URL goes through (as curl reads the variables)', () => {
  it.each([
    [{ HTTPS_PROXY: 'http://p:3128' }, 'https://idp.example/token', 'http://p:3128'],
    [{ https_proxy: 'http://p:3128' }, 'https://idp.example/token', 'http://p:3128'],
    [{ HTTP_PROXY: 'http://p:8080' }, 'http://127.0.0.1:9/x', 'http://p:8080'],
    [{ HTTPS_PROXY: 'http://p:3128' }, 'http://127.0.0.1:9/x', undefined],
    [{ HTTPS_PROXY: 'http://p:3128', NO_PROXY: 'idp.example' }, 'https://login.idp.example/', undefined],
    [{ HTTPS_PROXY: 'http://p:3128', no_proxy: '.idp.example' }, 'https://idp.example/', undefined],
    [{ HTTPS_PROXY: 'http://p:3128', NO_PROXY: '*' }, 'https://anything.example/', undefined],
    [{ HTTPS_PROXY: 'http://p:3128', NO_PROXY: 'idp.example:8443' }, 'https://idp.example/', 'http://p:3128'],
    [{ HTTPS_PROXY: 'http://p:3128', NO_PROXY: 'other.example' }, 'https://idp.example/', 'http://p:3128'],
    [{ HTTPS_PROXY: '' }, 'https://idp.example/', undefined],
  ])('%o: %s → %s', (env, url, expected) => {
    expect(proxyFor(env, url)).toBe(expected);
  });

  it('matches NO_PROXY entries on host boundaries only', () => {
    expect(bypassesProxy(new URL('https://evilidp.example/'), 'idp.example')).toBe(false);
  });
});

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

  it('keeps the facts of an HTML refusal for the classifier', async () => {
    const http = createHttpClient({ env: {} });
    await http.fetch(`${base}/waf`);
    expect(http.lastFailure).toMatchObject({
      status: 403,
      server: 'AkamaiGHost',
      contentType: 'text/html',
      bodyExcerpt: 'Access Denied Reference #18.1',
    });
    await http.close();
  });

  it('keeps an OAuth error answered with 200 (GitHub), and not a redirect', async () => {
    const http = createHttpClient({ env: {} });
    await http.fetch(`${base}/redirect`, { redirect: 'manual' });
    expect(http.lastFailure).toBeUndefined();
    await http.fetch(`${base}/github`);
    expect(http.lastFailure).toMatchObject({ status: 200, oauthError: 'bad_verification_code' });
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
