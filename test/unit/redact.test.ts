import { describe, expect, it } from 'vitest';
import { bodyExcerpt, displayUrl, redactText } from '../../src/core/redact.js';

const JWT =
  'eyJhbGciOiJSUzI1NiIsImtpZCI6ImFiYyJ9.eyJzdWIiOiJkZW1vLXVzZXItMSIsImF1ZCI6ImtleXR1cm4ifQ.c2lnbmF0dXJlLWJ5dGVz';

describe('redactText', () => {
  it('cuts secrets out of form and query parameters, keeping what is not secret', () => {
    const text =
      'grant_type=authorization_code&code=SplxlOBeZQQYbYS6WxSbIA&code_verifier=dBjftJeZ4CVP&redirect_uri=http%3A%2F%2F127.0.0.1%3A1455&refresh_token=tGzv3JOkF0XG5Qx2TlKWIA&client_secret=s3cr3t&client_id=keyturn-demo';
    const out = redactText(text);
    for (const secret of ['SplxlOBeZQQYbYS6WxSbIA', 'dBjftJeZ4CVP', 'tGzv3JOkF0XG5Qx2TlKWIA', 's3cr3t']) {
      expect(out).not.toContain(secret);
    }
    expect(out).toContain('grant_type=authorization_code');
    expect(out).toContain('client_id=keyturn-demo');
    expect(out).toContain('code=[redacted]');
    // Names that merely end in a secret's name are left alone.
    expect(redactText('error_code=42&code_challenge=E9Melhoa')).toBe('error_code=42&code_challenge=E9Melhoa');
  });

  it('cuts secrets out of JSON, even when the value holds escaped quotes', () => {
    const json = JSON.stringify({
      access_token: 'at-123456',
      refresh_token: 'rt-abc"def-tail',
      id_token: 'x',
      token_type: 'Bearer',
      expires_in: 3600,
    });
    const out = redactText(json);
    expect(out).not.toMatch(/at-123456|rt-abc|def-tail/);
    expect(out).toContain('"token_type":"Bearer"');
    expect(out).toContain('"expires_in":3600');
    expect(() => JSON.parse(out)).not.toThrow();
  });

  it('cuts JWTs, bearer and basic credentials, and credentials in URLs', () => {
    expect(redactText(`id_token is ${JWT}.`)).toBe('id_token is [redacted-jwt].');
    expect(redactText('Authorization: Bearer abcdefgh12345678')).toBe('Authorization: Bearer [redacted]');
    expect(redactText('authorization: basic dXNlcjpwYXNzd29yZA==')).toBe('authorization: basic [redacted]');
    expect(redactText('proxy http://alice:pa55@proxy.corp:3128')).toBe(
      'proxy http://[redacted]@proxy.corp:3128',
    );
    expect(redactText('git https://ghp_token123@github.com/x')).toBe('git https://[redacted]@github.com/x');
    expect(redactText('https://id.example/?email=a@b.example')).toBe('https://id.example/?email=a@b.example');
  });

  it('cuts the exact secrets it is given, when they are long enough to be secrets', () => {
    expect(redactText('the key sk-live-abcdef is here', ['sk-live-abcdef'])).toBe(
      'the key [redacted] is here',
    );
    // Too short to be a secret: redacting it would mangle ordinary words.
    expect(redactText('an apple', ['a'])).toBe('an apple');
  });
});

describe('bodyExcerpt', () => {
  it('turns an HTML block page into one short redacted line', () => {
    const html = `<!doctype html><html><head><style>body{color:red}</style><script>var t="x";</script></head>
      <body><h1>403   Forbidden</h1>
      <p>Request blocked. Reference token=${'q'.repeat(20)}</p></body></html>`;
    const excerpt = bodyExcerpt(html);
    expect(excerpt).toBe('403 Forbidden Request blocked. Reference token=[redacted]');
  });

  it('cuts long bodies to the limit, marking the cut', () => {
    const excerpt = bodyExcerpt('word '.repeat(100), 50);
    expect(excerpt.length).toBe(51);
    expect(excerpt.endsWith('…')).toBe(true);
  });
});

describe('displayUrl', () => {
  it('drops user info, a secret query and the trailing slash', () => {
    expect(displayUrl('http://user:secret@proxy.corp:3128/')).toBe('http://proxy.corp:3128');
    expect(displayUrl('https://id.example/cb?code=abcdef&state=s1')).toBe(
      'https://id.example/cb?code=[redacted]&state=s1',
    );
    expect(displayUrl('https://id.example/token')).toBe('https://id.example/token');
  });

  it('redacts what is not a URL rather than printing it', () => {
    expect(displayUrl('not a url with refresh_token=abcdef')).toBe('not a url with refresh_token=[redacted]');
  });
});
