import { describe, expect, it } from 'vitest';
import {
  readAuthorizationAnswer,
  severityOf,
  type AuthorizationAnswer,
} from '../../src/core/authorization-answer.js';
import { KeyturnError } from '../../src/core/errors.js';

const REDIRECT = 'http://127.0.0.1:1455/auth/callback';
const URL_ = 'https://login.example.com/authorize?client_id=cli';

function read(answer: Partial<AuthorizationAnswer>) {
  return readAuthorizationAnswer({ url: URL_, status: 200, body: '', ...answer }, REDIRECT);
}
function refusal(answer: Partial<AuthorizationAnswer>): KeyturnError {
  const verdict = read(answer);
  if (!('refused' in verdict)) throw new Error(`expected a refusal, got: ${verdict.accepted}`);
  return verdict.refused;
}

describe('a redirect from the authorization endpoint', () => {
  it('back to the redirect URI with an error that is not OAuth-shaped is still the diagnosis, with its description', () => {
    const error = refusal({ status: 302, location: `${REDIRECT}?error=AccessDenied&error_description=nope` });
    expect(error.oauthError).toBe('AccessDenied');
    expect(error.oauthErrorDescription).toBe('nope');
    expect(error.evidence).toMatchObject({ phase: 'authorization', status: 302 });
  });

  it('elsewhere with an OAuth-shaped error (GitHub’s other registered callback) is the diagnosis; no description is none', () => {
    const error = refusal({ status: 302, location: 'https://app.example/cb?error=redirect_uri_mismatch' });
    expect(error.code).toBe('redirect_uri_mismatch');
    expect(error.oauthErrorDescription).toBeUndefined();
  });

  it('elsewhere with an error that is not OAuth-shaped is a sign-in page’s business, not a refusal', () => {
    for (const error of ['AccessDenied', 'denied', '_x', 'a_', 'x_Y', 'bad-code']) {
      expect(read({ status: 302, location: `https://app.example/cb?error=${error}` })).toEqual({
        accepted: 'redirects to a sign-in page at https://app.example',
      });
    }
  });

  it('to another path of the redirect URI’s host is not the redirect URI', () => {
    expect(read({ status: 302, location: 'http://127.0.0.1:1455/other?error=Nope' })).toEqual({
      accepted: 'redirects to a sign-in page at http://127.0.0.1:1455',
    });
    expect(read({ status: 302, location: 'http://127.0.0.1:1456/auth/callback?error=Nope' })).toEqual({
      accepted: 'redirects to a sign-in page at http://127.0.0.1:1456',
    });
  });

  it('every 3xx with a Location is a redirect; a 3xx without one, or a 400, is not', () => {
    expect(read({ status: 300, location: '/login' })).toHaveProperty('accepted');
    expect(read({ status: 399, location: '/login' })).toHaveProperty('accepted');
    expect(read({ status: 303, location: '/login' })).toEqual({
      accepted: 'redirects to a sign-in page at https://login.example.com',
    });
    expect(read({ status: 304 })).toHaveProperty('refused');
    expect(read({ status: 400, location: '/login' })).toHaveProperty('refused');
  });
});

describe('what is and is not a redirect carrying an error', () => {
  it('a redirect back to the redirect URI without an error accepts the client', () => {
    expect(read({ status: 302, location: `${REDIRECT}?code=abc&state=s` })).toEqual({
      accepted: 'redirects to a sign-in page at http://127.0.0.1:1455',
    });
  });

  it('an error is OAuth-shaped only whole: lower-case snake_case from its first to its last character', () => {
    for (const error of ['Bad_code', 'access_denied-x', 'access_denied!', '9_x']) {
      expect(
        read({ status: 302, location: `https://app.example/cb?error=${encodeURIComponent(error)}` }),
      ).toHaveProperty('accepted');
    }
  });

  it('a 2xx with a Location is a sign-in page, not a redirect', () => {
    expect(read({ status: 200, location: `${REDIRECT}?error=access_denied` })).toEqual({
      accepted: 'answers 200 (a sign-in page)',
    });
    expect(read({ status: 400, location: `${REDIRECT}?error=access_denied` })).toHaveProperty('refused');
  });

  it('a body that is not JSON by its type is not read as JSON', () => {
    const error = refusal({ status: 400, contentType: 'text/html', body: '{"error":"weird_thing"}' });
    expect(error.oauthError).toBeUndefined();
  });
});

describe('an answer that is not a redirect', () => {
  it('any 2xx is a sign-in page; 199 and 300 are not', () => {
    expect(read({ status: 200 })).toEqual({ accepted: 'answers 200 (a sign-in page)' });
    expect(read({ status: 299 })).toEqual({ accepted: 'answers 299 (a sign-in page)' });
    expect(read({ status: 199 })).toHaveProperty('refused');
    expect(read({ status: 300 })).toHaveProperty('refused');
  });

  it('a JSON error keeps its description; a JSON body without a string error is no OAuth error', () => {
    const said = refusal({
      status: 400,
      contentType: 'Application/JSON',
      body: '{"error":"invalid_client","error_description":"Unknown client"}',
    });
    expect(said.code).toBe('invalid_client');
    expect(said.oauthErrorDescription).toBe('Unknown client');
    const bare = refusal({
      status: 400,
      contentType: 'application/json',
      body: '{"error":"invalid_client","error_description":5}',
    });
    expect(bare.oauthErrorDescription).toBeUndefined();
    expect(
      refusal({ status: 400, contentType: 'application/json', body: '{"error":5}' }).oauthError,
    ).toBeUndefined();
    expect(
      refusal({ status: 400, contentType: 'application/json', body: 'not json' }).oauthError,
    ).toBeUndefined();
  });

  it('a JSON answer is not read as an error page, even when its text names an error', () => {
    const error = refusal({ status: 400, contentType: 'application/json', body: '["error=invalid_scope"]' });
    expect(error.oauthError).toBeUndefined();
  });

  it('a Cloudflare challenge page is not read for an OAuth error: the challenge is the finding', () => {
    const error = refusal({
      status: 403,
      contentType: 'text/html',
      cfMitigated: 'challenge',
      server: 'cloudflare',
      body: '<p>error=access_denied</p>',
    });
    expect(error.code).toBe('endpoint_blocked');
    expect(error.oauthError).toBeUndefined();
    expect(error.evidence).toMatchObject({
      server: 'cloudflare',
      cf_mitigated: 'challenge',
      content_type: 'text/html',
    });
  });

  it('an error page’s excerpt rides along, redacted', () => {
    const error = refusal({ status: 418, contentType: 'text/html', body: '<p>oops code=abcdef123</p>' });
    expect(error.evidence).toMatchObject({ body_excerpt: 'oops code=[redacted]' });
  });

  it('a page naming an OAuth error is read with its description', () => {
    const error = refusal({
      status: 400,
      body: '<p>error: invalid_scope</p><p>error_description: "scope foo is unknown"</p>',
    });
    expect(error.oauthError).toBe('invalid_scope');
    expect(error.oauthErrorDescription).toBe('scope foo is unknown');
  });
});

describe('how much a refusal matters', () => {
  it('rate limiting is a warning: it passes by itself; anything else is an error', () => {
    expect(severityOf(new KeyturnError('rate_limited', 'slow down'))).toBe('warning');
    expect(severityOf(new KeyturnError('invalid_client', 'no'))).toBe('error');
  });
});
