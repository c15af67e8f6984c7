import { describe, expect, it } from 'vitest';
import { normaliseOAuthAnswer } from '../../src/core/oauth-answer.js';

const JSON_TYPE = 'application/json; charset=utf-8';

function reshaped(status: number, contentType: string | undefined, body: string) {
  const out = normaliseOAuthAnswer({ status, body, ...(contentType === undefined ? {} : { contentType }) });
  return out === undefined ? undefined : { ...out, json: JSON.parse(out.body) as Record<string, unknown> };
}

describe('GitHub: OAuth errors with HTTP 200, form-encoded unless JSON is asked for', () => {
  it('a device poll answered authorization_pending with 200 becomes the 400 error RFC 8628 §3.5 describes', () => {
    const out = reshaped(
      200,
      JSON_TYPE,
      '{"error":"authorization_pending","error_description":"The authorization request is still pending.","error_uri":"https://docs.github.com"}',
    );
    expect(out?.status).toBe(400);
    expect(out?.json.error).toBe('authorization_pending');
  });

  it('a code exchange answered bad_verification_code with 200 is an error, not a token response', () => {
    const out = reshaped(
      200,
      JSON_TYPE,
      '{"error":"bad_verification_code","error_description":"The code passed is incorrect or expired."}',
    );
    expect(out?.status).toBe(400);
    expect(out?.json).toMatchObject({ error: 'bad_verification_code' });
  });

  it('a form-encoded token response is read as JSON, numbers as numbers (GitHub Apps expiring tokens)', () => {
    const out = reshaped(
      200,
      'application/x-www-form-urlencoded; charset=utf-8',
      'access_token=ghu_x&expires_in=28800&refresh_token=ghr_y&refresh_token_expires_in=15897600&scope=&token_type=bearer',
    );
    expect(out?.status).toBe(200);
    expect(out?.contentType).toBe('application/json');
    expect(out?.json).toEqual({
      access_token: 'ghu_x',
      expires_in: 28800,
      refresh_token: 'ghr_y',
      refresh_token_expires_in: 15897600,
      scope: '',
      token_type: 'bearer',
    });
  });

  it('a form-encoded error with 200 becomes a JSON error with 400', () => {
    const out = reshaped(
      200,
      'application/x-www-form-urlencoded',
      'error=incorrect_client_credentials&error_description=The+client_id+and%2For+client_secret+passed+are+incorrect.',
    );
    expect(out?.status).toBe(400);
    expect(out?.json).toEqual({
      error: 'incorrect_client_credentials',
      error_description: 'The client_id and/or client_secret passed are incorrect.',
    });
  });

  it('slow_down with a new interval in the body asks the poller to wait that long (Retry-After)', () => {
    const out = reshaped(200, JSON_TYPE, '{"error":"slow_down","interval":10}');
    expect(out).toMatchObject({ status: 400, retryAfter: 10 });
  });
});

describe('Google: verification_url, and polling answers with 428 and 403', () => {
  it('verification_url becomes verification_uri (RFC 8628 §3.2)', () => {
    const out = reshaped(
      200,
      JSON_TYPE,
      '{"device_code":"d","user_code":"GQVQ-JKEC","verification_url":"https://www.google.com/device","expires_in":1800,"interval":5}',
    );
    expect(out?.status).toBe(200);
    expect(out?.json).toMatchObject({
      verification_uri: 'https://www.google.com/device',
      user_code: 'GQVQ-JKEC',
      interval: 5,
    });
  });

  it('authorization_pending with 428 is a polling answer (400), judged by its error field', () => {
    expect(
      reshaped(
        428,
        JSON_TYPE,
        '{"error":"authorization_pending","error_description":"Precondition Required"}',
      )?.status,
    ).toBe(400);
  });

  it('slow_down with 403 is a polling answer, not a WAF block', () => {
    expect(reshaped(403, JSON_TYPE, '{"error":"slow_down","error_description":"Forbidden"}')?.status).toBe(
      400,
    );
  });
});

describe('answers that are already standard, or not OAuth answers, pass unchanged', () => {
  it.each([
    [
      'a standard token response',
      200,
      JSON_TYPE,
      '{"access_token":"a","token_type":"Bearer","expires_in":3600}',
    ],
    ['a standard error', 400, JSON_TYPE, '{"error":"invalid_grant"}'],
    ['invalid_client with 401', 401, JSON_TYPE, '{"error":"invalid_client"}'],
    ['a WAF page with 403', 403, 'text/html', '<html><body>Access denied</body></html>'],
    ['a 403 JSON body that is no OAuth error', 403, JSON_TYPE, '{"message":"blocked"}'],
    ['a rate limit keeps its 429', 429, JSON_TYPE, '{"error":"rate_limited"}'],
    ['a server error keeps its 503', 503, JSON_TYPE, '{"error":"temporarily_unavailable"}'],
    [
      'a discovery document',
      200,
      JSON_TYPE,
      '{"issuer":"https://a.example","token_endpoint":"https://a.example/t"}',
    ],
    ['JSON that is not an object', 200, JSON_TYPE, '[1,2]'],
    ['an empty body', 204, undefined, ''],
  ])('%s', (_name, status, contentType, body) => {
    expect(reshaped(status, contentType, body)).toBeUndefined();
  });

  it('expires_in sent as a string becomes a number', () => {
    expect(
      reshaped(200, JSON_TYPE, '{"access_token":"a","token_type":"Bearer","expires_in":"3599"}')?.json
        .expires_in,
    ).toBe(3599);
  });
});
