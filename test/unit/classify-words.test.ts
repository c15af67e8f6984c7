import { describe, expect, it } from 'vitest';
import { classifyExchange, NETWORK_CODES, pageText, type ExchangeFacts } from '../../src/core/classify.js';

const URL_ = 'https://login.example.com/oauth/token?code=abc';
const said = (facts: ExchangeFacts) => classifyExchange(facts).message;

describe('each message says at which step it failed', () => {
  it.each([
    ['discovery', 'fetching the discovery document'],
    ['authorization', 'at the authorization endpoint'],
    ['callback', 'in the authorization response'],
    ['token', 'exchanging the authorization code for tokens'],
    ['refresh', 'refreshing the access token'],
    ['device_authorization', 'starting the device sign-in'],
    ['device_poll', 'waiting for the device sign-in'],
    ['revocation', 'revoking the token'],
    ['userinfo', 'calling the userinfo endpoint'],
    ['connection', 'when connecting'],
  ] as const)('%s: "%s"', (phase, words) => {
    expect(said({ phase, url: URL_, network: { code: 'ECONNREFUSED' } })).toBe(
      `login.example.com refused the connection ${words}.`,
    );
  });
});

describe('what a failure without an HTTP answer says', () => {
  it('TLS failures name the host, or "the provider" when the URL is unknown', () => {
    expect(said({ phase: 'token', url: URL_, network: { code: 'SELF_SIGNED_CERT_IN_CHAIN' } })).toBe(
      'The TLS certificate of login.example.com is not trusted (SELF_SIGNED_CERT_IN_CHAIN) exchanging the authorization code for tokens.',
    );
    expect(said({ phase: 'token', network: { code: 'SELF_SIGNED_CERT_IN_CHAIN' } })).toContain(
      'The TLS certificate of the provider is not trusted',
    );
    expect(said({ phase: 'token', url: URL_, network: { code: 'CERT_HAS_EXPIRED' } })).toBe(
      'A TLS certificate of login.example.com is expired or not yet valid (CERT_HAS_EXPIRED).',
    );
    expect(said({ phase: 'token', network: { code: 'CERT_HAS_EXPIRED' } })).toBe(
      'A TLS certificate of the provider is expired or not yet valid (CERT_HAS_EXPIRED).',
    );
    expect(said({ phase: 'token', url: URL_, network: { code: 'HOSTNAME_MISMATCH' } })).toBe(
      'The TLS certificate presented for login.example.com does not name that host.',
    );
    expect(said({ phase: 'token', network: { code: 'HOSTNAME_MISMATCH' } })).toBe(
      'The TLS certificate presented for the provider does not name that host.',
    );
  });

  it('TLS and DNS failures do not pass by themselves', () => {
    for (const code of ['SELF_SIGNED_CERT_IN_CHAIN', 'CERT_HAS_EXPIRED', 'HOSTNAME_MISMATCH', 'ENOTFOUND']) {
      expect(classifyExchange({ phase: 'token', url: URL_, network: { code } }).transient).toBe(false);
    }
  });

  it('DNS, silence and unknown errors, with the errno in the evidence and never the query', () => {
    const dns = classifyExchange({ phase: 'device_poll', url: URL_, network: { code: 'ENOTFOUND' } });
    expect(dns.message).toBe(
      'The host login.example.com does not resolve (ENOTFOUND) waiting for the device sign-in.',
    );
    expect(dns.evidence).toEqual({ phase: 'device_poll', host: 'login.example.com', errno: 'ENOTFOUND' });
    expect(said({ phase: 'revocation', url: URL_, network: { code: 'ECONNRESET' } })).toBe(
      'login.example.com did not answer (ECONNRESET) revoking the token.',
    );
    expect(said({ phase: 'userinfo', network: {} })).toBe(
      'The provider did not answer (network error) calling the userinfo endpoint.',
    );
    expect(said({ phase: 'token', url: 'not a url', network: { code: 'ECONNRESET' } })).toBe(
      'The provider did not answer (ECONNRESET) exchanging the authorization code for tokens.',
    );
    const odd = classifyExchange({ phase: 'connection', url: URL_, network: { code: 'ESOMETHING' } });
    expect(odd.message).toBe('Network error when connecting: ESOMETHING.');
    expect(odd.transient).toBe(true);
  });

  it('a proxy failure names the proxy and, where known, the variable; no variable, no variable in the fix', () => {
    const denied = classifyExchange({
      phase: 'token',
      url: URL_,
      network: { proxy: 'http://p:3128', proxyVariable: 'HTTPS_PROXY', proxyStatus: 403 },
    });
    expect(denied.message).toBe(
      'The proxy http://p:3128 (HTTPS_PROXY) refused the connection to login.example.com (403) exchanging the authorization code for tokens.',
    );
    expect(denied.evidence).toMatchObject({
      proxy: 'http://p:3128',
      proxy_variable: 'HTTPS_PROXY',
      proxy_status: 403,
    });
    expect(said({ phase: 'token', url: URL_, network: { proxy: 'http://p:3128', proxyStatus: 407 } })).toBe(
      'The proxy http://p:3128 asks for credentials (407) exchanging the authorization code for tokens.',
    );
    expect(said({ phase: 'token', network: { proxy: 'http://p:3128', proxyStatus: 502 } })).toBe(
      'The proxy http://p:3128 could not reach the provider (502) exchanging the authorization code for tokens.',
    );
    const unreachable = classifyExchange({
      phase: 'discovery',
      url: URL_,
      network: { proxy: 'http://p:3128', atProxy: true },
    });
    expect(unreachable.message).toBe(
      'The proxy http://p:3128 cannot be reached (no answer) fetching the discovery document.',
    );
    expect(unreachable.fix).not.toMatch(/^Check HTTPS_PROXY:/);
  });

  it('a proxy is not blamed for what happens beyond it (a reset, an untrusted chain)', () => {
    expect(
      classifyExchange({ phase: 'token', url: URL_, network: { proxy: 'http://p:3128', code: 'ECONNRESET' } })
        .code,
    ).toBe('connect_failed');
    expect(
      classifyExchange({
        phase: 'token',
        url: URL_,
        network: { proxy: 'http://p:3128', code: 'SELF_SIGNED_CERT_IN_CHAIN' },
      }).code,
    ).toBe('tls_untrusted');
  });

  it('an HTTP status wins over network facts: an answer came', () => {
    expect(
      classifyExchange({ phase: 'token', url: URL_, status: 503, network: { code: 'ECONNRESET' } }).code,
    ).toBe('server_error');
  });

  it('the network codes are exactly the DNS, TCP, TLS and proxy ones', () => {
    expect([...NETWORK_CODES].sort()).toEqual([
      'connect_failed',
      'dns_failed',
      'proxy_auth_required',
      'proxy_denied',
      'proxy_unreachable',
      'tls_expired',
      'tls_hostname_mismatch',
      'tls_untrusted',
    ]);
  });
});

describe('the visible text of an error page', () => {
  it('drops scripts and styles with their contents and every tag, decodes the common entities, one line', () => {
    expect(
      pageText(
        '<STYLE>p{}</STYLE><script type="x">var a = "<b>";</script><p>It&#39;s &quot;bad&quot; &lt;x&gt; &amp; it&apos;s</p>\n\n<p>end</p>',
      ),
    ).toBe('It\'s "bad" <x> & it\'s end');
    expect(pageText('<script>a</script>kept<style>b</style>')).toBe('kept');
    expect(pageText('&amp;lt;')).toBe('&lt;');
  });
});
