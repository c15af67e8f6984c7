import { describe, expect, it } from 'vitest';
import { matchesNoProxy, parseIp, parseNoProxy, proxyOf, routeFor } from '../../src/core/proxy.js';

describe('NO_PROXY entries, one by one', () => {
  it('names, with or without a leading dot or *., lower-cased, trailing dots dropped', () => {
    expect(parseNoProxy(' Example.COM , .a.example,*.b.example  c.example.. ')).toEqual([
      { kind: 'domain', domain: 'example.com' },
      { kind: 'domain', domain: 'a.example' },
      { kind: 'domain', domain: 'b.example' },
      { kind: 'domain', domain: 'c.example' },
    ]);
  });

  it('a name with a port from 1 to 65535; 0, 65536 and six digits are left out', () => {
    expect(
      parseNoProxy('a.example:1,b.example:65535,c.example:0,d.example:65536,e.example:123456,f.example:'),
    ).toEqual([
      { kind: 'domain', domain: 'a.example', port: 1 },
      { kind: 'domain', domain: 'b.example', port: 65535 },
    ]);
  });

  it('bracketed IPv6 with or without a port; an unclosed bracket or junk after it is left out', () => {
    expect(parseNoProxy('[::1],[::1]:8443,[::1,[::1]x,[::1]:,[::1]:99999')).toEqual([
      { kind: 'ip', bytes: [...new Array(15).fill(0), 1], prefix: 128 },
      { kind: 'ip', bytes: [...new Array(15).fill(0), 1], prefix: 128, port: 8443 },
    ]);
  });

  it('CIDR blocks up to the address’s length; a longer or non-numeric prefix is left out', () => {
    expect(
      parseNoProxy('10.0.0.0/8,10.0.0.0/32,10.0.0.0/33,10.0.0.0/x,10.0.0.0/1234,::/0,a.example/8'),
    ).toEqual([
      { kind: 'ip', bytes: [10, 0, 0, 0], prefix: 8 },
      { kind: 'ip', bytes: [10, 0, 0, 0], prefix: 32 },
      { kind: 'ip', bytes: new Array(16).fill(0), prefix: 0 },
    ]);
  });

  it('junk between the bracket and the port, or after the port, leaves the entry out', () => {
    expect(parseNoProxy('[::1]x:8443,[::1]:8443x,a.example')).toEqual([
      { kind: 'domain', domain: 'a.example' },
    ]);
  });

  it('a CIDR prefix is digits only, and an entry that starts with / is no name', () => {
    expect(parseNoProxy('10.0.0.0/x8,10.0.0.0/8x,/24,/a.example')).toEqual([]);
  });

  it('every leading dot goes, after an optional *', () => {
    expect(parseNoProxy('..a.example,*..b.example')).toEqual([
      { kind: 'domain', domain: 'a.example' },
      { kind: 'domain', domain: 'b.example' },
    ]);
  });

  it('a * inside a list, or inside a name, is no wildcard; empty entries are skipped', () => {
    expect(parseNoProxy('a.example,*,b*.example,,.')).toEqual([{ kind: 'domain', domain: 'a.example' }]);
    expect(parseNoProxy('  *  ')).toEqual([{ kind: 'all' }]);
  });
});

describe('IP addresses', () => {
  it('IPv4: four numbers up to 255', () => {
    expect(parseIp('192.168.0.255')).toEqual([192, 168, 0, 255]);
    for (const text of ['256.0.0.1', '1.2.3', '1.2.3.4.5', 'a.b.c.d', '1.2.3.4x', 'x1.2.3.4', '1234.1.1.1']) {
      expect(parseIp(text)).toBeUndefined();
    }
  });

  it('IPv6: groups of up to four hex digits, one ::, an IPv4 tail', () => {
    expect(parseIp('2001:DB8::1')).toEqual([0x20, 0x01, 0x0d, 0xb8, ...new Array(11).fill(0), 1]);
    expect(parseIp('::ffff:10.0.0.1')).toEqual([...new Array(10).fill(0), 0xff, 0xff, 10, 0, 0, 1]);
    expect(parseIp('1:2:3:4:5:6:7:8')).toHaveLength(16);
    for (const text of [
      '1::2::3',
      '1:2:3:4:5:6:7',
      '1:2:3:4:5:6:7:8:9',
      '1:2:3:4::5:6:7:8',
      '12345::1',
      'g::1',
      '::1x',
      'x::1',
      '1:2',
      '1:2:3:4:5:6:7:8::1::1',
      '1.2.3.4:1:2:3:4:5:6',
      // The embedded IPv4 address may only end the whole address, not the part before `::`.
      '10.0.0.1::1',
      '1:2:3:4:5:10.0.0.1::',
    ]) {
      expect(parseIp(text)).toBeUndefined();
    }
  });
});

describe('matching a URL against NO_PROXY', () => {
  const url = (text: string) => new URL(text);

  it('a name matches itself and names under it, not names that merely end like it', () => {
    const entries = parseNoProxy('example.com');
    expect(matchesNoProxy(url('https://example.com/x'), entries)).toBe(true);
    expect(matchesNoProxy(url('https://api.example.com/x'), entries)).toBe(true);
    expect(matchesNoProxy(url('https://badexample.com/x'), entries)).toBe(false);
    expect(matchesNoProxy(url('https://example.com./x'), entries)).toBe(true);
    expect(matchesNoProxy(url('https://api.example.com../x'), entries)).toBe(true);
  });

  it('a port in an entry must be the URL’s, the scheme’s default counting', () => {
    expect(matchesNoProxy(url('https://a.example/'), parseNoProxy('a.example:443'))).toBe(true);
    expect(matchesNoProxy(url('http://a.example/'), parseNoProxy('a.example:80'))).toBe(true);
    expect(matchesNoProxy(url('https://a.example:8443/'), parseNoProxy('a.example:443'))).toBe(false);
    expect(matchesNoProxy(url('ftp://a.example/'), parseNoProxy('a.example:21'))).toBe(false);
  });

  it('a CIDR block matches by its prefix bits, not a whole byte more or less', () => {
    const block = parseNoProxy('10.1.128.0/17');
    expect(matchesNoProxy(url('http://10.1.200.1/'), block)).toBe(true);
    expect(matchesNoProxy(url('http://10.1.127.1/'), block)).toBe(false);
    expect(matchesNoProxy(url('http://10.2.200.1/'), block)).toBe(false);
    expect(matchesNoProxy(url('http://[::1]/'), parseNoProxy('0.0.0.0/0'))).toBe(false);
    expect(matchesNoProxy(url('http://[2001:db8::5]/'), parseNoProxy('2001:db8::/32'))).toBe(true);
    expect(matchesNoProxy(url('http://a.example/'), parseNoProxy('10.0.0.0/8'))).toBe(false);
  });

  it('a route’s proxy, or none when it is direct or unusable', () => {
    const env = { https_proxy: 'http://proxy.example:3128' };
    expect(proxyOf(routeFor(env, 'https://id.example/'))).toBe('http://proxy.example:3128');
    expect(proxyOf(routeFor({}, 'https://id.example/'))).toBeUndefined();
    expect(proxyOf(routeFor({ https_proxy: 'socks5://p:1' }, 'https://id.example/'))).toBeUndefined();
  });
});

describe('the proxy variable’s value', () => {
  it('an http:// or https:// proxy is used, with a scheme-less value taken as http://', () => {
    expect(routeFor({ http_proxy: 'http://p.example:3128' }, 'http://id.example/')).toEqual({
      kind: 'proxy',
      proxy: 'http://p.example:3128',
      variable: 'http_proxy',
    });
    expect(routeFor({ https_proxy: 'https://p.example:3129' }, 'https://id.example/')).toMatchObject({
      kind: 'proxy',
      proxy: 'https://p.example:3129',
    });
    expect(routeFor({ https_proxy: 'p.example:3128' }, 'https://id.example/')).toMatchObject({
      proxy: 'http://p.example:3128',
    });
    // A scheme is only one at the start: later `x://` is part of the path.
    expect(routeFor({ https_proxy: 'p.example:3128/x://y' }, 'https://id.example/')).toMatchObject({
      proxy: 'http://p.example:3128/x://y',
    });
    expect(routeFor({ https_proxy: 'HTTP://p.example:3128' }, 'https://id.example/')).toMatchObject({
      proxy: 'HTTP://p.example:3128',
    });
  });

  it('a proxy URL without a host, or of another scheme, is unusable and named', () => {
    expect(routeFor({ https_proxy: 'http://:3128' }, 'https://id.example/')).toEqual({
      kind: 'invalid',
      variable: 'https_proxy',
    });
    expect(routeFor({ HTTPS_PROXY: 'socks5://p:1' }, 'https://id.example/')).toEqual({
      kind: 'invalid',
      variable: 'HTTPS_PROXY',
    });
  });

  it('a target that is no URL goes direct, as unset; NO_PROXY says no_proxy', () => {
    expect(routeFor({ https_proxy: 'http://p:1' }, 'not a url')).toEqual({ kind: 'direct', reason: 'unset' });
    expect(routeFor({ https_proxy: 'http://p:1', no_proxy: 'id.example' }, 'https://id.example/')).toEqual({
      kind: 'direct',
      reason: 'no_proxy',
    });
  });
});
