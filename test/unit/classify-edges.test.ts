import { describe, expect, it } from 'vitest';
import { KEYTURN_APP, renderText } from '../../src/core/app.js';
import { classifyExchange, pageText, type ExchangeFacts } from '../../src/core/classify.js';

const URL_ = 'https://login.example.com/oauth/token?code=abc';
const at = (facts: Omit<ExchangeFacts, 'phase'> & { phase?: ExchangeFacts['phase'] }) =>
  classifyExchange({ phase: 'token', ...facts });

describe('the evidence holds the facts that were known, and no empty keys', () => {
  it('a bare failure has only its phase', () => {
    expect(Object.keys(at({}).evidence)).toEqual(['phase']);
    expect(Object.keys(at({ network: {} }).evidence)).toEqual(['phase']);
    expect(Object.keys(at({ status: 404 }).evidence)).toEqual(['phase', 'status']);
    expect(Object.keys(at({ status: 403 }).evidence)).toEqual(['phase', 'status']);
  });

  it('a proxy that could not reach the host keeps the proxy facts', () => {
    expect(at({ url: URL_, network: { proxy: 'http://p:1', proxyStatus: 502 } }).evidence).toEqual({
      phase: 'token',
      host: 'login.example.com',
      proxy: 'http://p:1',
      proxy_status: 502,
    });
  });

  it('404 and 405 name the endpoint without its query; without a URL they say "that URL"', () => {
    expect(at({ url: URL_, status: 405 }).evidence).toMatchObject({
      url: 'https://login.example.com/oauth/token',
    });
    expect(at({ url: URL_, status: 410 }).evidence).toMatchObject({
      url: 'https://login.example.com/oauth/token',
    });
    expect(at({ status: 404 }).message).toBe(
      'The endpoint answered 404 exchanging the authorization code for tokens: there is no such endpoint at that URL.',
    );
  });
});

describe('classification at its edges', () => {
  it('a proxy refusal without a URL names "the provider"; no variable, no "undefined" in the fix', () => {
    expect(at({ network: { proxy: 'http://p:1', proxyStatus: 403 } }).message).toBe(
      'The proxy http://p:1 refused the connection to the provider (403) exchanging the authorization code for tokens.',
    );
    expect(at({ network: { proxy: 'http://p:1', atProxy: true } }).fix).not.toContain('undefined');
  });

  it('without a URL or a proxy address the messages have no gap where the name would be', () => {
    expect(at({ network: { code: 'ENOTFOUND' } }).message).toBe(
      "The provider's host does not resolve (ENOTFOUND) exchanging the authorization code for tokens.",
    );
    expect(at({ network: { proxyStatus: 403 } }).message).toBe(
      'The proxy refused the connection to the provider (403) exchanging the authorization code for tokens.',
    );
    expect(at({ network: { proxyVariable: 'HTTPS_PROXY', proxyStatus: 407 } }).message).toBe(
      'The proxy (HTTPS_PROXY) asks for credentials (407) exchanging the authorization code for tokens.',
    );
    expect(at({ network: { atProxy: true, code: 'ECONNREFUSED' } }).message).toBe(
      'The proxy cannot be reached (ECONNREFUSED) exchanging the authorization code for tokens.',
    );
  });

  it('without a URL the answer names "the endpoint" and "the URL", with no gap in the fix', () => {
    const fixOf = (error: ReturnType<typeof at>) => renderText(error.fix, KEYTURN_APP);
    expect(at({ status: 200, contentType: 'text/html' }).message).toMatch(
      /^The endpoint answered 200 with text\/html /,
    );
    expect(fixOf(at({ status: 200, contentType: 'text/html' }))).toMatch(/^Open the URL in a browser:/);
    expect(at({ status: 405 }).message).toContain(': that URL is not the endpoint for this request.');
    expect(fixOf(at({ status: 405 }))).toMatch(/^Check the endpoint URL: the profile's/);
    expect(fixOf(at({ status: 404 }))).toMatch(/^Check the endpoint URL \(the profile's/);
    expect(at({ status: 403, cfMitigated: 'challenge' }).message).toMatch(
      /^The endpoint answered 403 with a Cloudflare challenge page/,
    );
    expect(at({ status: 403, bodyExcerpt: 'unsupported_country_region_territory' }).message).toMatch(
      /^The endpoint answered 403 unsupported_country_region_territory /,
    );
  });

  it('an OAuth error named in a 5xx answer is that error, not a server error', () => {
    expect(at({ url: URL_, status: 500, oauthError: 'invalid_client' }).code).toBe('invalid_client');
    expect(at({ url: URL_, status: 503 }).code).toBe('server_error');
  });

  it('a dead refresh token says why, from the error code or its description', () => {
    const refresh = (oauthError: string, oauthErrorDescription?: string) =>
      at({ phase: 'refresh', url: URL_, status: 400, oauthError, oauthErrorDescription }).message;
    expect(refresh('refresh_token_reused')).toContain('The refresh token was already used');
    expect(refresh('invalid_grant', 'token already used')).toContain('The refresh token was already used');
    expect(refresh('invalid_grant', 'token already been used')).toContain(
      'The refresh token was already used',
    );
  });

  it('an unknown OAuth error without a status is not a server error', () => {
    expect(at({ oauthError: 'weird' }).code).toBe('internal');
  });

  it('a 1xx HTML page is no stand-in for the provider', () => {
    expect(at({ url: URL_, status: 199, contentType: 'text/html' }).code).toBe('internal');
  });

  it('a content type with a space before its parameters is named without it', () => {
    expect(at({ url: URL_, status: 408, contentType: 'text/plain ; charset=utf-8' }).message).toBe(
      'login.example.com answered 408 with text/plain (Request Timeout) exchanging the authorization code for tokens.',
    );
  });

  it('a Cloudflare challenge from 400 on', () => {
    expect(at({ url: URL_, status: 400, cfMitigated: 'challenge' }).message).toContain(
      'Cloudflare challenge page',
    );
  });

  it('"reuse" says the refresh token was already used', () => {
    const error = classifyExchange({
      phase: 'refresh',
      status: 400,
      oauthError: 'invalid_grant',
      oauthErrorDescription: 'token reuse detected',
    });
    expect(error.message).toContain('already used');
  });

  it('a script or style leaves a space between the words around it', () => {
    expect(pageText('a<script>x</script>b<style>y</style>c')).toBe('a b c');
  });
});
