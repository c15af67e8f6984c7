import { describe, expect, it } from 'vitest';
import { bodyExcerpt, displayUrl, redactText } from '../../src/core/redact.js';

describe('every secret-bearing parameter is cut, in any case, and only its value', () => {
  it.each([
    'access_token',
    'refresh_token',
    'id_token',
    'code',
    'code_verifier',
    'client_secret',
    'api_key',
    'password',
    'device_code',
    'assertion',
    'token',
  ])('%s=… in a form or query, and "%s": "…" in JSON', (name) => {
    expect(redactText(`a=1&${name}=S3cretValue&b=2`)).toBe(`a=1&${name}=[redacted]&b=2`);
    expect(redactText(`x ${name.toUpperCase()}=S3cretValue y`)).toBe(`x ${name.toUpperCase()}=[redacted] y`);
    expect(redactText(`{"${name}" : "S3cretValue", "keep": "me"}`)).toBe(
      `{"${name}":"[redacted]", "keep": "me"}`,
    );
    expect(redactText(`{"${name.toUpperCase()}":"S3cretValue"}`)).toBe(
      `{"${name.toUpperCase()}":"[redacted]"}`,
    );
  });

  it('a value ends at &, whitespace, a quote or an angle bracket', () => {
    expect(redactText('code=abc"rest')).toBe('code=[redacted]"rest');
    expect(redactText("code=abc'rest")).toBe("code=[redacted]'rest");
    expect(redactText('<a href=x?code=abc>link</a>')).toBe('<a href=x?code=[redacted]>link</a>');
    expect(redactText('code=abc<b')).toBe('code=[redacted]<b');
    expect(redactText('code=abc def')).toBe('code=[redacted] def');
  });

  it('a name that only ends like a secret one (postcode=, mytoken=) is left alone', () => {
    expect(redactText('postcode=12345&mytoken=abc')).toBe('postcode=12345&mytoken=abc');
    expect(redactText('{"zipcode":"12345"}')).toBe('{"zipcode":"12345"}');
  });

  it('a JSON secret whose value runs on after an escaped backslash is cut to its real end', () => {
    expect(redactText('{"token":"a\\\\","next":"kept"}')).toBe('{"token":"[redacted]","next":"kept"}');
  });
});

describe('token shapes cut wherever they appear', () => {
  it('a JWT, signed or not, but not a word that merely starts with eyJ', () => {
    expect(redactText('t=eyJhbGciOi.eyJzdWIiOi.sig-nature_1 end')).toBe('t=[redacted-jwt] end');
    expect(redactText('unsigned eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0. end')).toBe(
      'unsigned [redacted-jwt] end',
    );
    expect(redactText('eyJabcd.eyJabcd.x')).toBe('eyJabcd.eyJabcd.x');
    expect(redactText('keyJhbGciOi.eyJzdWIiOi.sig')).toBe('keyJhbGciOi.eyJzdWIiOi.sig');
  });

  it('Bearer and Basic credentials of 8 characters or more, in any case; shorter words stay', () => {
    expect(redactText('BEARER abcd1234')).toBe('BEARER [redacted]');
    expect(redactText('Bearer  a.b~c+d/e=f-')).toBe('Bearer [redacted]');
    expect(redactText('Bearer realm')).toBe('Bearer realm');
    expect(redactText('Bearer abcdefg')).toBe('Bearer abcdefg');
  });

  it('credentials in a URL, whatever the scheme, but not an @ in a path or query', () => {
    expect(redactText('ssh://git:pw@host/repo')).toBe('ssh://[redacted]@host/repo');
    expect(redactText('https://host/~user@example/x')).toBe('https://host/~user@example/x');
    expect(redactText('https://host#frag@x')).toBe('https://host#frag@x');
    expect(redactText('two https://a:b@h1 and https://c:d@h2')).toBe(
      'two https://[redacted]@h1 and https://[redacted]@h2',
    );
  });

  it('the secrets it is given are cut wherever they occur, from 6 characters on', () => {
    expect(redactText('abcdef and abcdef', ['abcdef'])).toBe('[redacted] and [redacted]');
    expect(redactText('abcde stays', ['abcde'])).toBe('abcde stays');
  });
});

describe('body excerpts and displayed URLs', () => {
  it('script and style contents go, tags become spaces, whitespace collapses, case does not matter', () => {
    expect(bodyExcerpt('<SCRIPT type="x">alert(1)</SCRIPT><Style>p{}</Style><p>one</p>\n\t<p>two</p>')).toBe(
      'one two',
    );
    expect(bodyExcerpt('<script>a</script>kept<script>b</script>')).toBe('kept');
  });

  it('a body of exactly the limit is whole; one character more is cut and marked', () => {
    expect(bodyExcerpt('x'.repeat(200))).toBe('x'.repeat(200));
    expect(bodyExcerpt('x'.repeat(201))).toBe(`${'x'.repeat(200)}…`);
    expect(bodyExcerpt('abcdef', 3)).toBe('abc…');
  });

  it('a URL with only a user name, or only a password, shows neither', () => {
    expect(displayUrl('http://alice@proxy.corp:3128')).toBe('http://proxy.corp:3128');
    expect(displayUrl('http://:pw@proxy.corp:3128')).toBe('http://proxy.corp:3128');
  });

  it('only a trailing slash is dropped, not one inside the path', () => {
    expect(displayUrl('https://id.example/a/b/')).toBe('https://id.example/a/b');
    expect(displayUrl('https://id.example/a/b')).toBe('https://id.example/a/b');
  });
});

describe('what an excerpt keeps apart', () => {
  it('tags, scripts and styles leave a space, so the words around them stay apart', () => {
    expect(bodyExcerpt('<b>one</b><b>two</b>')).toBe('one two');
    expect(bodyExcerpt('one<script>x()</script>two')).toBe('one two');
    expect(bodyExcerpt('one<style>p { color: red }</style>two')).toBe('one two');
  });
});
