import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  classifyExchange,
  readErrorPage,
  type ExchangePhase,
  type NetworkFacts,
} from '../../src/core/classify.js';

// 10,000 generated cases; scripts/mutation.mjs lowers this (PROPERTY_RUNS) for each of thousands of mutants.
const RUNS = Number(process.env.PROPERTY_RUNS ?? 10_000);
const URL = 'https://login.example.com/oauth/token';
const net = (network: NetworkFacts, phase: 'token' | 'discovery' = 'token') =>
  classifyExchange({ phase, url: URL, network });

describe('classifying a request that got no HTTP answer', () => {
  it('names a proxy asking for credentials (407)', () => {
    const error = net({ proxy: 'http://proxy:3128', proxyStatus: 407 });
    expect(error.code).toBe('proxy_auth_required');
    expect(error.evidence).toMatchObject({
      proxy: 'http://proxy:3128',
      proxy_status: 407,
      host: 'login.example.com',
    });
  });

  it.each([403, 400, 405])('names a proxy refusing the CONNECT (%i)', (status) => {
    expect(net({ proxy: 'http://proxy:3128', proxyStatus: status }).code).toBe('proxy_denied');
  });

  it.each([502, 503, 504])(
    'says the proxy could not reach the host (%i) as a transient connect failure',
    (status) => {
      const error = net({ proxy: 'http://proxy:3128', proxyStatus: status });
      expect(error.code).toBe('connect_failed');
      expect(error.transient).toBe(true);
      expect(error.message).toContain('could not reach login.example.com');
    },
  );

  it('says the proxy is unreachable when the failure was at the proxy', () => {
    const error = net({ proxy: 'http://proxy:3128', code: 'ETIMEDOUT', atProxy: true });
    expect(error.code).toBe('proxy_unreachable');
    expect(error.transient).toBe(false);
  });

  it('names the variable the proxy came from, in the message and the fix', () => {
    const error = net({ proxy: 'http://proxy:3128', proxyVariable: 'https_proxy', code: 'ECONNREFUSED' });
    expect(error.message).toContain('The proxy http://proxy:3128 (https_proxy) cannot be reached');
    expect(error.fix).toMatch(/^Check https_proxy:/);
    expect(error.evidence.proxy_variable).toBe('https_proxy');
  });

  it.each(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN'])(
    'through a proxy, %s is about the proxy itself',
    (code) => expect(net({ proxy: 'http://proxy:3128', code }).code).toBe('proxy_unreachable'),
  );

  it.each([
    'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    'SELF_SIGNED_CERT_IN_CHAIN',
    'DEPTH_ZERO_SELF_SIGNED_CERT',
    'UNABLE_TO_GET_ISSUER_CERT',
    'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
    'CERT_UNTRUSTED',
    'CERT_SIGNATURE_FAILURE',
    'CERT_CHAIN_TOO_LONG',
    'INVALID_CA',
  ])('%s is an untrusted chain', (code) => expect(net({ code }).code).toBe('tls_untrusted'));

  it.each(['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'CRL_HAS_EXPIRED'])(
    '%s is an expired certificate',
    (code) => expect(net({ code }).code).toBe('tls_expired'),
  );

  it.each(['ERR_TLS_CERT_ALTNAME_INVALID', 'HOSTNAME_MISMATCH'])('%s is a hostname mismatch', (code) =>
    expect(net({ code }).code).toBe('tls_hostname_mismatch'),
  );

  it.each(['ENOTFOUND', 'EAI_FAIL', 'EAI_NONAME', 'EAI_NODATA'])('%s is a permanent DNS failure', (code) => {
    const error = net({ code });
    expect(error.code).toBe('dns_failed');
    expect(error.transient).toBe(false);
  });

  it('EAI_AGAIN is a DNS failure that may pass', () => {
    const error = net({ code: 'EAI_AGAIN' });
    expect(error.code).toBe('dns_failed');
    expect(error.transient).toBe(true);
  });

  it.each([
    'ECONNREFUSED',
    'ECONNRESET',
    'ETIMEDOUT',
    'EHOSTUNREACH',
    'ENETUNREACH',
    'EPIPE',
    'ECONNABORTED',
    'UND_ERR_CONNECT_TIMEOUT',
    'UND_ERR_HEADERS_TIMEOUT',
    'UND_ERR_BODY_TIMEOUT',
    'UND_ERR_SOCKET',
    'UND_ERR_CLOSED',
    'TimeoutError',
    'AbortError',
    'ESOMETHINGNEW',
  ])('%s is a transient connect failure', (code) => {
    const error = net({ code });
    expect(error.code).toBe('connect_failed');
    expect(error.transient).toBe(true);
    expect(error.evidence).toMatchObject({ errno: code, host: 'login.example.com' });
  });

  it('a refused connection says so', () => {
    expect(net({ code: 'ECONNREFUSED' }).message).toContain('login.example.com refused the connection');
  });

  it('a failure without any code is still a connect failure', () => {
    expect(net({}).code).toBe('connect_failed');
  });
});

describe('classifying an OAuth error answer (RFC 6749 §5.2)', () => {
  it.each([
    ['invalid_client', 'invalid_client'],
    ['unauthorized_client', 'unauthorized_client'],
    ['invalid_scope', 'invalid_scope'],
    ['access_denied', 'access_denied'],
    ['invalid_grant', 'invalid_grant'],
    ['redirect_uri_mismatch', 'redirect_uri_mismatch'],
    ['temporarily_unavailable', 'server_error'],
    ['server_error', 'server_error'],
    ['expired_token', 'login_timeout'],
    ['slow_down', 'rate_limited'],
    ['unsupported_grant_type', 'unauthorized_client'],
    ['unsupported_response_type', 'unauthorized_client'],
    ['consent_required', 'access_denied'],
    ['invalid_request', 'invalid_request'],
  ])('%s → %s', (oauthError, code) => {
    const error = classifyExchange({ phase: 'token', url: URL, status: 400, oauthError });
    expect(error.code).toBe(code);
    expect(error.oauthError).toBe(oauthError);
    expect(error.httpStatus).toBe(400);
  });

  it.each([
    'refresh_token_expired',
    'refresh_token_reused',
    'refresh_token_invalidated',
    'refresh_token_revoked',
  ])(
    'the vendor code %s is a dead refresh token at a refresh, and a rejected grant anywhere else',
    (oauthError) => {
      expect(classifyExchange({ phase: 'refresh', status: 400, oauthError }).code).toBe('refresh_rejected');
      expect(classifyExchange({ phase: 'token', status: 400, oauthError }).code).toBe('invalid_grant');
    },
  );

  it('a provider rule about a dead session applies to a refresh only (Keycloak "Session not active")', () => {
    const said = { status: 400, oauthError: 'invalid_grant', oauthErrorDescription: 'Session not active' };
    const atRefresh = classifyExchange({ phase: 'refresh', ...said });
    expect(atRefresh.code).toBe('refresh_rejected');
    expect(atRefresh.message).toContain('Keycloak');
    const atExchange = classifyExchange({ phase: 'token', ...said });
    expect(atExchange.code).toBe('invalid_grant');
    expect(atExchange.message).not.toContain('refresh token');
    expect(atExchange.message).toContain('Session not active');
  });

  it('invalid_request is named as a malformed request, not an internal error', () => {
    const error = classifyExchange({
      phase: 'token',
      status: 400,
      oauthError: 'invalid_request',
      oauthErrorDescription: 'unknown parameter audience',
    });
    expect(error.code).toBe('invalid_request');
    expect(error.transient).toBe(false);
    expect(error.message).toContain('unknown parameter audience');
    expect(error.fix).toContain('token_params');
  });

  it('invalid_grant on refresh is a dead refresh token, not a bad code', () => {
    expect(classifyExchange({ phase: 'refresh', status: 400, oauthError: 'invalid_grant' }).code).toBe(
      'refresh_rejected',
    );
  });

  it.each([
    ['refresh token already used', 'already used'],
    ['refresh token expired', 'has expired'],
    ['token was revoked', 'was revoked'],
    ['grant request is invalid', 'was rejected'],
  ])('a dead refresh token says why ("%s")', (description, words) => {
    const error = classifyExchange({
      phase: 'refresh',
      status: 400,
      oauthError: 'invalid_grant',
      oauthErrorDescription: description,
    });
    expect(error.code).toBe('refresh_rejected');
    expect(error.message).toContain(words);
  });

  it('an unknown OAuth error with 429 is rate limiting', () => {
    expect(classifyExchange({ phase: 'token', status: 429, oauthError: 'too_many' }).code).toBe(
      'rate_limited',
    );
  });

  it('an unknown OAuth error with a 5xx is a server error', () => {
    expect(classifyExchange({ phase: 'token', status: 503, oauthError: 'overloaded' }).code).toBe(
      'server_error',
    );
  });

  it('an unknown OAuth error from discovery is a discovery failure', () => {
    expect(classifyExchange({ phase: 'discovery', status: 400, oauthError: 'whatever' }).code).toBe(
      'discovery_failed',
    );
  });

  it('an unknown OAuth error elsewhere is reported as it is, pointing at the doctor', () => {
    const error = classifyExchange({
      phase: 'token',
      status: 400,
      oauthError: 'weird_vendor_error',
      oauthErrorDescription: 'nope',
    });
    expect(error.code).toBe('internal');
    expect(error.message).toContain('weird_vendor_error: nope');
    expect(error.fix).toContain('keyturn doctor');
  });

  it('an OAuth error with HTTP 200 (GitHub) is still an error', () => {
    expect(
      classifyExchange({ phase: 'token', status: 200, oauthError: 'incorrect_client_credentials' }).code,
    ).toBe('invalid_client');
  });
});

describe('classifying an answer that is not an OAuth error', () => {
  it('429 is rate limiting, keeping Retry-After', () => {
    const error = classifyExchange({ phase: 'token', status: 429, retryAfter: 7 });
    expect(error.code).toBe('rate_limited');
    expect(error.retryAfter).toBe(7);
    expect(error.transient).toBe(true);
  });

  it.each([500, 502, 503])('%i is a transient server error', (status) => {
    const error = classifyExchange({ phase: 'token', status });
    expect(error.code).toBe('server_error');
    expect(error.transient).toBe(true);
  });

  it('discovery answering 404 is a discovery failure', () => {
    expect(classifyExchange({ phase: 'discovery', status: 404 }).message).toContain('404');
    expect(classifyExchange({ phase: 'discovery', status: 404 }).code).toBe('discovery_failed');
  });

  it('discovery with no usable metadata is a discovery failure', () => {
    expect(classifyExchange({ phase: 'discovery' }).code).toBe('discovery_failed');
  });

  it.each([401, 403, 451])(
    'an HTML %i from the token endpoint is an endpoint blocked in front of OAuth',
    (status) => {
      const error = classifyExchange({
        phase: 'token',
        url: URL,
        status,
        server: 'AkamaiGHost',
        contentType: 'text/html; charset=utf-8',
        bodyExcerpt: 'Access Denied Reference #18.2',
      });
      expect(error.code).toBe('endpoint_blocked');
      expect(error.evidence).toEqual({
        phase: 'token',
        host: 'login.example.com',
        status,
        server: 'AkamaiGHost',
        content_type: 'text/html; charset=utf-8',
        body_excerpt: 'Access Denied Reference #18.2',
      });
      expect(error.message).toContain('AkamaiGHost');
    },
  );

  it('anything else is unexpected', () => {
    expect(classifyExchange({ phase: 'token', status: 302 }).code).toBe('internal');
  });

  it("a captive portal's 200 HTML page at the token endpoint is named, not retried as a server error", () => {
    const error = classifyExchange({
      phase: 'refresh',
      url: `${URL}?session=abc`,
      status: 200,
      contentType: 'text/html; charset=utf-8',
      bodyExcerpt: 'Welcome to Airport Wi-Fi',
    });
    expect(error.code).toBe('endpoint_blocked');
    expect(error.transient).toBe(false);
    expect(error.httpStatus).toBe(200);
    expect(error.message).toContain('login.example.com answered 200 with text/html');
    expect(error.message).toContain('captive portal');
    expect(error.evidence).toMatchObject({ url: URL, body_excerpt: 'Welcome to Airport Wi-Fi' });
    expect(JSON.stringify(error.evidence)).not.toContain('session=abc');
  });

  it('a 200 HTML page in place of the discovery document is a discovery failure saying so', () => {
    const error = classifyExchange({ phase: 'discovery', url: URL, status: 200, contentType: 'text/html' });
    expect(error.code).toBe('discovery_failed');
    expect(error.message).toContain('an HTML page');
  });

  it.each(['token', 'refresh', 'revocation', 'device_authorization'] as const)(
    'a 404 without an OAuth body at %s is a wrong URL, named, not a WAF block',
    (phase) => {
      const error = classifyExchange({ phase, url: URL, status: 404, contentType: 'text/html' });
      expect(error.code).toBe('discovery_failed');
      expect(error.transient).toBe(false);
      expect(error.message).toContain(`no such endpoint at ${URL}`);
      expect(error.fix).toContain(URL);
    },
  );

  it('a 405 says the URL is not the endpoint for this request', () => {
    const error = classifyExchange({ phase: 'token', url: URL, status: 405 });
    expect(error.code).toBe('discovery_failed');
    expect(error.message).toContain('Method Not Allowed');
  });

  it('a 400 HTML page is a refusal in front of OAuth; a 400 of another kind is unexpected, not a block', () => {
    expect(classifyExchange({ phase: 'token', status: 400, contentType: 'text/html' }).code).toBe(
      'endpoint_blocked',
    );
    const json = classifyExchange({ phase: 'token', status: 400, contentType: 'application/json' });
    expect(json.code).toBe('internal');
    expect(json.message).toContain('400 with application/json');
  });

  it('a 401 or 403 without an OAuth body is a refusal whatever its body', () => {
    expect(classifyExchange({ phase: 'token', status: 403, contentType: 'application/json' }).code).toBe(
      'endpoint_blocked',
    );
    expect(classifyExchange({ phase: 'token', status: 401 }).code).toBe('endpoint_blocked');
  });

  it('408 passes by itself', () => {
    const error = classifyExchange({ phase: 'device_poll', status: 408 });
    expect(error.code).toBe('server_error');
    expect(error.transient).toBe(true);
  });
});

describe('reading an error page of the authorization endpoint', () => {
  it("reads oidc-provider's page", () => {
    const page = `<h1>Sign-in failed</h1><ul><li><code>error</code>: invalid_redirect_uri</li>
      <li><code>error_description</code>: redirect_uri did not match any of the client&#39;s registered redirect_uris</li>
      <li><code>state</code>: abc</li></ul>`;
    expect(readErrorPage(page)).toEqual({
      error: 'invalid_redirect_uri',
      description: "redirect_uri did not match any of the client's registered redirect_uris",
    });
  });

  it('reads Google\'s "Error 400: redirect_uri_mismatch"', () => {
    const page =
      '<div>Access blocked: This app’s request is invalid</div><div>Error 400: redirect_uri_mismatch</div>';
    expect(readErrorPage(page)?.error).toBe('redirect_uri_mismatch');
  });

  it('reads an Entra page that only carries an AADSTS number', () => {
    const page = '<p>AADSTS700016: Application with identifier x was not found in the directory.</p>';
    const read = readErrorPage(page);
    expect(read?.error).toBe('invalid_request');
    expect(
      classifyExchange({
        phase: 'authorization',
        status: 400,
        oauthError: read!.error,
        oauthErrorDescription: read!.description,
      }).code,
    ).toBe('invalid_client');
  });

  it('reads Keycloak\'s "Client not found." through the provider table', () => {
    const read = readErrorPage('<html><body><p id="kc-error-message">Client not found.</p></body></html>');
    expect(read).toBeDefined();
    expect(
      classifyExchange({
        phase: 'authorization',
        status: 400,
        oauthError: read!.error,
        oauthErrorDescription: read!.description,
      }).code,
    ).toBe('invalid_client');
  });

  it('finds no OAuth error in a WAF page or in prose', () => {
    expect(
      readErrorPage('<html><h1>403 Forbidden</h1><p>Request blocked. An error: try again</p></html>'),
    ).toBeUndefined();
  });
});

describe('the classifier under generated answers (fast-check)', () => {
  const phases = fc.constantFrom<ExchangePhase>(
    'discovery',
    'token',
    'refresh',
    'device_authorization',
    'device_poll',
    'revocation',
  );
  const answer = fc.record(
    {
      phase: phases,
      url: fc.oneof(fc.webUrl({ withQueryParameters: true }), fc.string()),
      status: fc.integer({ min: 100, max: 599 }),
      contentType: fc.oneof(
        fc.constantFrom('text/html', 'text/html; charset=utf-8', 'application/json', 'text/plain'),
        fc.string(),
      ),
      server: fc.string(),
      retryAfter: fc.nat(),
      bodyExcerpt: fc.string(),
    },
    { requiredKeys: ['phase', 'status'] },
  );

  it('never throws; passes by itself exactly for 408, 429 and 5xx; never calls an HTML 2xx a success', () => {
    fc.assert(
      fc.property(answer, (facts) => {
        const error = classifyExchange(facts);
        const transient = facts.status === 408 || facts.status === 429 || facts.status >= 500;
        expect(error.transient).toBe(transient);
        expect(error.httpStatus).toBe(facts.status);
        const html = /html/i.test(facts.contentType?.split(';')[0] ?? '');
        if (html && facts.status >= 200 && facts.status < 300) {
          expect(['endpoint_blocked', 'discovery_failed']).toContain(error.code);
        }
        // A query string (where a code or a token may ride) never reaches the message or the evidence.
        const query = facts.url?.includes('?') ? facts.url.slice(facts.url.indexOf('?')) : '';
        if (query.length > 3) {
          expect(error.message).not.toContain(query);
          expect(JSON.stringify(error.evidence)).not.toContain(query);
        }
      }),
      { numRuns: RUNS },
    );
  });
});
