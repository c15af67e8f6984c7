import { describe, expect, it } from 'vitest';
import { classifyExchange, readErrorPage, type ExchangeFacts } from '../../src/core/classify.js';

const URL_ = 'https://login.example.com/oauth/token?code=abc';
const ENDPOINT = 'https://login.example.com/oauth/token';
const TOKEN = 'exchanging the authorization code for tokens';
const at = (facts: Omit<ExchangeFacts, 'phase' | 'url'> & { phase?: ExchangeFacts['phase'] }) =>
  classifyExchange({ phase: 'token', url: URL_, ...facts });

describe('an HTTP answer without an OAuth error, judged by status and type', () => {
  it('a Cloudflare challenge (any case of the header) is named as one, from 400 on only', () => {
    const error = at({ status: 403, cfMitigated: 'Challenge' });
    expect(error.code).toBe('endpoint_blocked');
    expect(error.message).toBe(
      `login.example.com answered 403 with a Cloudflare challenge page (cf-mitigated: challenge) ${TOKEN}: Cloudflare asks this network for a browser check that no command-line client can pass, so the request never reached the provider.`,
    );
    expect(error.evidence).toMatchObject({ cf_mitigated: 'challenge' });
    expect(error.fix).toContain('`keyturn doctor --report`');
    expect(at({ status: 399, cfMitigated: 'challenge' }).code).toBe('internal');
    expect(at({ status: 403, cfMitigated: 'managed' }).message).not.toContain('Cloudflare');
  });

  it('OpenAI’s region block is named, by either of its wordings', () => {
    for (const bodyExcerpt of [
      'unsupported_country_region_territory',
      'Country, region, or territory not supported',
    ]) {
      const error = at({ status: 403, bodyExcerpt });
      expect(error.message).toBe(
        `login.example.com answered 403 unsupported_country_region_territory ${TOKEN}: the provider does not serve the country or region this connection appears to come from.`,
      );
      expect(error.evidence).toMatchObject({ region_block: 'unsupported_country_region_territory' });
      expect(error.fix).toContain('supported-countries');
    }
  });

  it('429, 5xx and 408 pass by themselves, each said so', () => {
    expect(at({ status: 429 }).message).toBe(`The provider is rate limiting (429) ${TOKEN}.`);
    expect(at({ status: 500 }).message).toBe(`The provider answered 500 ${TOKEN}.`);
    expect(at({ status: 499 }).code).not.toBe('server_error');
    const timeout = at({ status: 408, contentType: 'text/plain; charset=utf-8' });
    expect(timeout.code).toBe('server_error');
    expect(timeout.message).toBe(
      `login.example.com answered 408 with text/plain (Request Timeout) ${TOKEN}.`,
    );
  });

  it('a 2xx HTML page stands in for the provider: at discovery a discovery failure, elsewhere a block', () => {
    const discovery = at({ phase: 'discovery', status: 200, contentType: 'text/html' });
    expect(discovery.code).toBe('discovery_failed');
    expect(discovery.message).toBe(
      'login.example.com answered 200 with text/html fetching the discovery document: an HTML page, not the discovery document. Something in front of the provider answered in its place: a captive portal (Wi-Fi sign-in page), a proxy or a wrong URL.',
    );
    expect(discovery.fix).toBe(
      `Open ${ENDPOINT} in a browser: if a network sign-in page appears, sign in to the network and run the command again; otherwise check the URL and the proxy (\`keyturn doctor\`).`,
    );
    expect(discovery.evidence).toMatchObject({ url: ENDPOINT });
    const token = at({ status: 299, contentType: 'application/xhtml+xml' });
    expect(token.code).toBe('endpoint_blocked');
    expect(token.message).toContain('an HTML page, not an OAuth answer.');
    expect(at({ status: 300, contentType: 'text/html' }).code).toBe('internal');
    expect(at({ status: 200, contentType: 'text/plain' }).code).toBe('internal');
    expect(at({ status: 200, contentType: 'text/htmlx' }).code).toBe('internal');
  });

  it('404 and 410 say there is no such endpoint; the fix depends on the step', () => {
    const discovery = at({ phase: 'discovery', status: 404 });
    expect(discovery.message).toBe(
      `login.example.com answered 404 fetching the discovery document: there is no such endpoint at ${ENDPOINT}.`,
    );
    expect(discovery.fix).toContain('`<issuer>/.well-known/openid-configuration` must exist');
    const gone = at({ status: 410 });
    expect(gone.code).toBe('discovery_failed');
    expect(gone.fix).toBe(
      `Check the endpoint URL ${ENDPOINT} (the profile's \`*_endpoint\` settings, or the issuer's discovery document); \`keyturn doctor\` lists every endpoint.`,
    );
  });

  it('405 says the URL is not the endpoint for this request', () => {
    const error = at({ status: 405 });
    expect(error.message).toBe(
      `login.example.com answered 405 (Method Not Allowed) ${TOKEN}: ${ENDPOINT} is not the endpoint for this request.`,
    );
    expect(error.fix).toBe(
      `Check the endpoint URL ${ENDPOINT}: the profile's \`*_endpoint\` settings or the issuer's discovery document name the wrong one.`,
    );
  });

  it('a discovery document that is not metadata says what came instead', () => {
    expect(at({ phase: 'discovery', status: 400, contentType: 'text/plain' }).message).toBe(
      'The discovery document answered 400 with text/plain, not 200 with JSON metadata.',
    );
    expect(at({ phase: 'discovery', status: 400 }).message).toBe(
      'The discovery document answered 400, not 200 with JSON metadata.',
    );
    expect(at({ phase: 'discovery' }).message).toBe('The discovery document is not valid metadata.');
  });

  it('401, 403, 451 and HTML 4xx are refusals in front of OAuth, naming the server and a region block', () => {
    expect(at({ status: 451, server: 'nginx' }).message).toBe(
      `login.example.com answered 451 (Unavailable For Legal Reasons: a region block) ${TOKEN}, not an OAuth error: something in front of the provider (server: nginx) refused the request.`,
    );
    expect(at({ status: 401 }).message).toBe(
      `login.example.com answered 401 ${TOKEN}, not an OAuth error: something in front of the provider refused the request.`,
    );
    expect(at({ status: 403 }).code).toBe('endpoint_blocked');
    expect(at({ status: 418, contentType: 'text/html' }).code).toBe('endpoint_blocked');
  });

  it('anything else is unexpected, said with what answered', () => {
    expect(at({ status: 400, contentType: 'text/plain' }).message).toBe(
      `login.example.com answered 400 with text/plain ${TOKEN}, neither an OAuth answer nor an OAuth error.`,
    );
    expect(at({}).message).toBe(`Unexpected answer ${TOKEN}.`);
    expect(at({}).fix).toBe('Run `keyturn doctor`: it probes every endpoint and shows what answers there.');
    expect(classifyExchange({ phase: 'token', status: 400 }).message).toBe(
      `The endpoint answered 400 ${TOKEN}, neither an OAuth answer nor an OAuth error.`,
    );
  });

  it('a body excerpt is evidence of a refusal, but not of a rate limit', () => {
    expect(at({ status: 403, bodyExcerpt: 'blocked' }).evidence).toMatchObject({ body_excerpt: 'blocked' });
    expect(at({ status: 429, bodyExcerpt: 'slow' }).evidence).not.toHaveProperty('body_excerpt');
  });
});

describe('an OAuth error nobody knows', () => {
  it('is reported as said, with its description, pointing at the doctor', () => {
    const error = at({ status: 400, oauthError: 'weird', oauthErrorDescription: 'd' });
    expect(error.code).toBe('internal');
    expect(error.message).toBe(`The provider answered weird: d ${TOKEN}.`);
    expect(error.fix).toBe('Check the client registration; `keyturn doctor` probes every endpoint.');
    expect(at({ status: 400, oauthError: 'weird', oauthErrorDescription: '' }).message).toBe(
      `The provider answered weird ${TOKEN}.`,
    );
  });

  it('an OAuth error named after an Object.prototype member is unknown too', () => {
    expect(at({ status: 400, oauthError: 'toString' }).code).toBe('internal');
    expect(at({ status: 400, oauthError: 'constructor' }).code).toBe('internal');
  });

  it('a provider rule adds its note to the message', () => {
    expect(
      at({ status: 400, oauthError: 'invalid_request', oauthErrorDescription: 'bad redirect_uri' }).message,
    ).toBe(
      `The provider answered invalid_request: bad redirect_uri ${TOKEN}. The provider objects to the redirect URI.`,
    );
  });

  it('a 5xx is a server error only from 500 on', () => {
    expect(at({ status: 500, oauthError: 'weird' }).code).toBe('server_error');
    expect(at({ status: 499, oauthError: 'weird' }).code).toBe('internal');
  });
});

describe('reading an error page', () => {
  it('"Error 400: code" names the code; the page text is the description', () => {
    expect(readErrorPage('<h1>Error 400: admin_policy_enforced</h1>')).toEqual({
      error: 'admin_policy_enforced',
      description: 'Error 400: admin_policy_enforced',
    });
  });

  it('a code alone on the page is found; a long page is cut at 300 characters', () => {
    const long = `<h1>access_denied</h1><p>${'x'.repeat(400)}</p>`;
    const read = readErrorPage(long);
    expect(read?.error).toBe('access_denied');
    expect(read?.description).toBe(`${`access_denied ${'x'.repeat(400)}`.slice(0, 300)}…`);
  });

  it('an error_description on the page is the description, up to the next name', () => {
    expect(readErrorPage('error: invalid_scope error_description: "scope x is unknown" state: 1')).toEqual({
      error: 'invalid_scope',
      description: 'scope x is unknown',
    });
  });

  it('a quoted error_description ends at its closing quote, whatever follows it', () => {
    expect(readErrorPage('error=invalid_scope error_description="scope x is unknown" state=1')).toEqual({
      error: 'invalid_scope',
      description: 'scope x is unknown',
    });
    expect(readErrorPage('error=invalid_scope error_description="x" state=1')?.description).toBe('x');
  });

  it('an unquoted error_description ends before the next name, with or without a space before its colon', () => {
    expect(
      readErrorPage('error: invalid_scope error_description: scope x is unknown state: 1')?.description,
    ).toBe('scope x is unknown');
  });

  it('a page naming no code but an AADSTS number is a malformed request', () => {
    expect(readErrorPage('AADSTS50011: the reply URL does not match')?.error).toBe('invalid_request');
  });

  it('plain prose and a long page without a code are no OAuth error', () => {
    expect(readErrorPage('An error: try again')).toBeUndefined();
    expect(readErrorPage('x'.repeat(310))).toBeUndefined();
    expect(readErrorPage('error = Ab')).toBeUndefined();
  });
});
