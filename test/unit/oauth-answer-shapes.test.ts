import { describe, expect, it } from 'vitest';
import { normaliseOAuthAnswer } from '../../src/core/oauth-answer.js';

const JSON_TYPE = 'application/json';

function reshaped(status: number, contentType: string | undefined, body: string) {
  const out = normaliseOAuthAnswer({ status, body, ...(contentType === undefined ? {} : { contentType }) });
  return out === undefined ? undefined : { ...out, json: JSON.parse(out.body) as Record<string, unknown> };
}

describe('which answers are read as OAuth answers', () => {
  it('JSON by any application/…+json type, in any case, with parameters', () => {
    for (const type of ['application/json', 'Application/JSON; charset=utf-8', 'application/problem+json']) {
      expect(reshaped(200, type, '{"error":"slow_down"}')?.status).toBe(400);
    }
  });

  it('not a type that only contains json (application/jsonp, text/application/json, x-application/json)', () => {
    for (const type of ['application/jsonp', 'text/application/json', 'x-application/json']) {
      expect(reshaped(200, type, '{"error":"slow_down"}')).toBeUndefined();
    }
  });

  it('a form by its type, even when the body does not look like an OAuth answer', () => {
    expect(reshaped(200, 'application/x-www-form-urlencoded', 'message=hello')?.json).toEqual({
      message: 'hello',
    });
  });

  it('a form-looking body without a form type (text/plain, none) when it starts like an OAuth answer', () => {
    expect(reshaped(200, 'text/plain', 'error=bad_verification_code&error_description=x')?.json).toEqual({
      error: 'bad_verification_code',
      error_description: 'x',
    });
    expect(reshaped(200, undefined, 'device_code=d&user_code=U')?.json).toEqual({
      device_code: 'd',
      user_code: 'U',
    });
    expect(reshaped(200, undefined, '  access_token=a&token_type=bearer  ')?.json).toEqual({
      access_token: 'a',
      token_type: 'bearer',
    });
  });

  it('text that merely contains such words, or a half pair, is not read as a form', () => {
    for (const body of ['hello=1', 'note: error=x', 'error=x&y', 'error=x y', 'error=x&y=1 z', 'xerror=x']) {
      expect(reshaped(200, 'text/plain', body)).toBeUndefined();
    }
  });

  it('a form type must start the header (not text/x-www-form-urlencoded or a suffix)', () => {
    expect(reshaped(200, 'text/application/x-www-form-urlencoded', 'message=hello')).toBeUndefined();
  });
});

describe('what is reshaped, and said so for the debug output', () => {
  it('numbers sent as strings become numbers (decimals too, spaces trimmed), other strings stay', () => {
    const out = reshaped(
      200,
      JSON_TYPE,
      '{"access_token":"a","expires_in":" 3600 ","ext_expires_in":"12.5","interval":"5s","refresh_token_expires_in":"-1"}',
    );
    expect(out?.json).toMatchObject({
      expires_in: 3600,
      ext_expires_in: 12.5,
      interval: '5s',
      refresh_token_expires_in: '-1',
    });
    expect(out?.changes).toEqual(['expires_in as a number', 'ext_expires_in as a number']);
  });

  it('a form body names one change, not one per number', () => {
    expect(
      reshaped(200, 'application/x-www-form-urlencoded', 'access_token=a&expires_in=60')?.changes,
    ).toEqual(['form-encoded body read as JSON']);
  });

  it('verification_url(_complete) become verification_uri(_complete), unless those are already there', () => {
    const google = reshaped(
      200,
      JSON_TYPE,
      '{"device_code":"d","verification_url":"https://g.example/device","verification_url_complete":"https://g.example/device?c=1"}',
    );
    expect(google?.json).toMatchObject({
      verification_uri: 'https://g.example/device',
      verification_uri_complete: 'https://g.example/device?c=1',
    });
    expect(google?.changes).toEqual([
      'verification_url as verification_uri',
      'verification_url_complete as verification_uri_complete',
    ]);
    const both = reshaped(
      200,
      JSON_TYPE,
      '{"verification_uri":"https://a.example/u","verification_url":"https://b.example/u","verification_uri_complete":"https://a.example/c","verification_url_complete":"https://b.example/c"}',
    );
    expect(both).toBeUndefined();
  });

  it('an error with a 2xx status becomes 400, naming the status it came with', () => {
    for (const status of [200, 201, 299]) {
      const out = reshaped(status, JSON_TYPE, '{"error":"bad_verification_code"}');
      expect(out?.status).toBe(400);
      expect(out?.changes).toEqual([`error "bad_verification_code" sent with HTTP ${status}: status 400`]);
    }
  });

  it('an empty error is no error; an error with a 3xx status keeps it', () => {
    expect(reshaped(200, JSON_TYPE, '{"error":""}')).toBeUndefined();
    expect(reshaped(302, JSON_TYPE, '{"error":"access_denied"}')).toBeUndefined();
    expect(reshaped(199, JSON_TYPE, '{"error":"access_denied"}')).toBeUndefined();
  });

  it('a polling answer with another 4xx becomes 400; another error with that status keeps it', () => {
    const pending = reshaped(428, JSON_TYPE, '{"error":"authorization_pending"}');
    expect(pending?.status).toBe(400);
    expect(pending?.changes).toEqual(['authorization_pending sent with HTTP 428: status 400']);
    expect(reshaped(403, JSON_TYPE, '{"error":"access_denied"}')).toBeUndefined();
    expect(reshaped(400, JSON_TYPE, '{"error":"slow_down"}')).toBeUndefined();
  });

  it('slow_down’s interval becomes Retry-After, rounded up; none without a positive interval', () => {
    const out = reshaped(400, JSON_TYPE, '{"error":"slow_down","interval":7.2}');
    expect(out?.retryAfter).toBe(8);
    expect(out?.changes).toEqual(['slow_down interval as Retry-After']);
    expect(reshaped(200, JSON_TYPE, '{"error":"slow_down","interval":"10"}')?.retryAfter).toBe(10);
    expect(reshaped(400, JSON_TYPE, '{"error":"slow_down","interval":0}')).toBeUndefined();
    expect(reshaped(200, JSON_TYPE, '{"error":"slow_down","interval":-5}')).not.toHaveProperty('retryAfter');
    expect(reshaped(200, JSON_TYPE, '{"error":"authorization_pending","interval":5}')).not.toHaveProperty(
      'retryAfter',
    );
  });
});

describe('edges of reading and reshaping', () => {
  it('JSON null, or JSON that does not parse, is no OAuth answer', () => {
    expect(reshaped(200, JSON_TYPE, 'null')).toBeUndefined();
    expect(reshaped(200, JSON_TYPE, '{"error":')).toBeUndefined();
  });

  it('a content type with spaces around is still read', () => {
    expect(reshaped(200, ' application/json ', '{"error":"slow_down"}')?.status).toBe(400);
  });

  it('a number with two decimals becomes a number', () => {
    expect(reshaped(200, JSON_TYPE, '{"access_token":"a","expires_in":"12.55"}')?.json.expires_in).toBe(
      12.55,
    );
  });

  it('an error with status 300 keeps it', () => {
    expect(reshaped(300, JSON_TYPE, '{"error":"access_denied"}')).toBeUndefined();
  });

  it('an interval that is not a number gives no Retry-After', () => {
    expect(reshaped(400, JSON_TYPE, '{"error":"slow_down","interval":true}')).toBeUndefined();
  });
});
