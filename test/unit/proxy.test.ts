import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { matchesNoProxy, parseIp, parseNoProxy, routeFor, type ProxyRoute } from '../../src/core/proxy.js';

// 10,000 generated cases; scripts/mutation.mjs lowers this (PROPERTY_RUNS) for each of thousands of mutants.
const RUNS = Number(process.env.PROPERTY_RUNS ?? 10_000);
const P = 'http://proxy.example:3128';
const via = (variable: string, proxy = P): ProxyRoute => ({ kind: 'proxy', proxy, variable });
const direct = (reason: 'loopback' | 'no_proxy' | 'unset'): ProxyRoute => ({ kind: 'direct', reason });

describe('the route of a request, as curl reads the proxy variables', () => {
  it.each<[string, Record<string, string>, string, ProxyRoute]>([
    ['HTTPS uses HTTPS_PROXY', { HTTPS_PROXY: P }, 'https://idp.example/token', via('HTTPS_PROXY')],
    [
      'the lower-case spelling first',
      { https_proxy: P, HTTPS_PROXY: 'http://other:1' },
      'https://idp.example/',
      via('https_proxy'),
    ],
    ['HTTPS never falls back to HTTP_PROXY', { HTTP_PROXY: P }, 'https://idp.example/token', direct('unset')],
    ['plain HTTP uses HTTP_PROXY', { HTTP_PROXY: P }, 'http://idp.example/x', via('HTTP_PROXY')],
    ['plain HTTP never uses HTTPS_PROXY', { HTTPS_PROXY: P }, 'http://idp.example/x', direct('unset')],
    ['an empty variable means none', { HTTPS_PROXY: ' ' }, 'https://idp.example/', direct('unset')],
    [
      'a proxy without a scheme is http://',
      { HTTPS_PROXY: 'proxy.example:3128' },
      'https://idp.example/',
      via('HTTPS_PROXY', 'http://proxy.example:3128'),
    ],
  ])('%s', (_name, env, url, route) => {
    expect(routeFor(env, url)).toEqual(route);
  });

  it.each([
    'http://127.0.0.1:9090/token',
    'http://127.8.9.10/token',
    'http://localhost:9090/token',
    'https://localhost:8443/token',
    'http://[::1]:9090/token',
    'http://idp.localhost/token',
  ])('never sends a loopback request through a proxy: %s', (url) => {
    const env = { HTTP_PROXY: P, HTTPS_PROXY: P };
    expect(routeFor(env, url)).toEqual(direct('loopback'));
  });

  it('does proxy a name that only looks like loopback', () => {
    const env = { HTTPS_PROXY: P };
    expect(routeFor(env, 'https://127.0.0.1.evil.example/')).toEqual(via('HTTPS_PROXY'));
    expect(routeFor(env, 'https://localhost.evil.example/')).toEqual(via('HTTPS_PROXY'));
  });

  it('names a proxy variable it cannot use, rather than guessing', () => {
    expect(routeFor({ HTTPS_PROXY: 'socks5://proxy:1080' }, 'https://idp.example/')).toEqual({
      kind: 'invalid',
      variable: 'HTTPS_PROXY',
    });
    expect(routeFor({ https_proxy: 'http://' }, 'https://idp.example/')).toEqual({
      kind: 'invalid',
      variable: 'https_proxy',
    });
  });
});

describe('NO_PROXY, as curl reads it', () => {
  const route = (noProxy: string, url: string) =>
    routeFor({ HTTPS_PROXY: P, HTTP_PROXY: P, NO_PROXY: noProxy }, url);

  it.each<[string, string, boolean]>([
    ['idp.example', 'https://idp.example/', true],
    ['idp.example', 'https://login.idp.example/', true],
    ['.idp.example', 'https://idp.example/', true],
    ['.idp.example', 'https://login.idp.example/', true],
    ['*.idp.example', 'https://login.idp.example/', true],
    ['idp.example.', 'https://login.idp.example/', true],
    ['IDP.Example', 'https://idp.example/', true],
    ['idp.example', 'https://evilidp.example/', false],
    ['idp.example', 'https://idp.example.org/', false],
    ['*', 'https://anything.example/', true],
    [' * ', 'https://anything.example/', true],
    // `*` is a wildcard only alone (curl): inside a list it matches nothing.
    ['other.example,*', 'https://anything.example/', false],
    ['other.example, idp.example', 'https://idp.example/', true],
    ['other.example idp.example', 'https://idp.example/', true],
    ['idp.example:443', 'https://idp.example/', true],
    ['idp.example:8443', 'https://idp.example/', false],
    ['idp.example:8443', 'https://idp.example:8443/', true],
    ['10.1.2.3', 'https://10.1.2.3/', true],
    ['10.0.0.0/8', 'https://10.200.3.4/', true],
    ['10.0.0.0/8', 'https://11.0.0.1/', false],
    ['192.168.0.0/16', 'https://192.168.7.7:8443/', true],
    ['2001:db8::1', 'https://[2001:db8::1]/', true],
    ['[2001:db8::1]', 'https://[2001:db8::1]/', true],
    ['[2001:db8::1]:8443', 'https://[2001:db8::1]:8443/', true],
    ['[2001:db8::1]:8443', 'https://[2001:db8::1]/', false],
    ['2001:db8::/32', 'https://[2001:db8:ffff::5]/', true],
    ['2001:db8::/32', 'https://[2001:db9::5]/', false],
    ['2001:db8::1', 'https://[2001:db8::2]/', false],
  ])('NO_PROXY=%j for %s: direct = %s', (noProxy, url, bypass) => {
    expect(route(noProxy, url).kind).toBe(bypass ? 'direct' : 'proxy');
  });

  it('reads an IPv6 entry without brackets as an address, not as host "::" and port 1', () => {
    expect(parseNoProxy('2001:db8::1')).toEqual([
      { kind: 'ip', bytes: [0x20, 0x01, 0x0d, 0xb8, ...new Array<number>(11).fill(0), 1], prefix: 128 },
    ]);
  });

  it('an empty lower-case no_proxy hides the upper-case one, as in curl', () => {
    expect(
      routeFor({ HTTPS_PROXY: P, no_proxy: '', NO_PROXY: 'idp.example' }, 'https://idp.example/').kind,
    ).toBe('proxy');
  });
});

describe('parsing IP addresses without node:net', () => {
  it.each<[string, number[] | undefined]>([
    ['127.0.0.1', [127, 0, 0, 1]],
    ['256.0.0.1', undefined],
    ['::1', [...new Array<number>(15).fill(0), 1]],
    ['::ffff:10.0.0.1', [...new Array<number>(10).fill(0), 0xff, 0xff, 10, 0, 0, 1]],
    ['1::2::3', undefined],
    ['1:2:3:4:5:6:7:8:9', undefined],
    ['example.com', undefined],
  ])('%s', (text, bytes) => {
    expect(parseIp(text)).toEqual(bytes);
  });
});

describe('the proxy variables under generated input (fast-check)', () => {
  const piece = fc.oneof(
    fc.constantFrom(
      '*',
      '.',
      ',',
      ' ',
      ':',
      '[',
      ']',
      '/',
      '::',
      '*.',
      '0',
      '8443',
      '127.0.0.1',
      '::1',
      'idp.example',
    ),
    fc.domain(),
    fc.ipV4(),
    fc.ipV6(),
    fc.string({ maxLength: 12 }),
  );
  const noProxy = fc.array(piece, { maxLength: 8 }).map((parts) => parts.join(''));
  const url = fc.oneof(
    fc.webUrl(),
    fc.ipV4().map((ip) => `https://${ip}/`),
    fc.ipV6().map((ip) => `http://[${ip}]:8080/`),
    fc.constantFrom(
      'http://127.0.0.1:9090/token',
      'https://localhost/',
      'http://[::1]:1/',
      'http://127.1.2.3/',
    ),
    fc.string(),
  );
  const proxyValue = fc.oneof(fc.webUrl(), fc.string({ maxLength: 30 }), fc.constant(''));

  it('never crashes, never proxies loopback, never takes a proxy from the other scheme', () => {
    fc.assert(
      fc.property(noProxy, url, proxyValue, proxyValue, (no, target, https, http) => {
        const env = { NO_PROXY: no, HTTPS_PROXY: https, http_proxy: http };
        const route = routeFor(env, target);
        let parsed: URL | undefined;
        try {
          parsed = new URL(target);
        } catch {
          parsed = undefined;
        }
        if (parsed !== undefined && /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/.test(parsed.hostname)) {
          expect(route).toEqual(direct('loopback'));
        }
        if (route.kind !== 'direct') {
          expect(route.variable).toBe(parsed?.protocol === 'https:' ? 'HTTPS_PROXY' : 'http_proxy');
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('a NO_PROXY naming the host (in any of its forms) always goes direct', () => {
    const host = fc.oneof(fc.domain(), fc.ipV4(), fc.ipV6());
    fc.assert(
      fc.property(host, fc.array(fc.domain(), { maxLength: 3 }), fc.boolean(), (name, others, dotted) => {
        const isV6 = name.includes(':');
        const url = new URL(`https://${isV6 ? `[${name}]` : name}:8443/token`);
        const entry = isV6 ? (dotted ? `[${name}]` : name) : dotted ? `.${name}` : name;
        const list = [...others, entry].join(',');
        expect(matchesNoProxy(url, parseNoProxy(list))).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  it('parseNoProxy never throws and keeps only well-formed entries', () => {
    fc.assert(
      fc.property(noProxy, (value) => {
        for (const entry of parseNoProxy(value)) {
          if (entry.kind === 'domain') expect(entry.domain).not.toMatch(/[*,\s]|^\.|\.$/);
          if (entry.kind === 'ip') expect(entry.prefix).toBeLessThanOrEqual(entry.bytes.length * 8);
          if (entry.kind !== 'all' && entry.port !== undefined) {
            expect(entry.port).toBeGreaterThanOrEqual(1);
            expect(entry.port).toBeLessThanOrEqual(65535);
          }
        }
      }),
      { numRuns: RUNS },
    );
  });
});
