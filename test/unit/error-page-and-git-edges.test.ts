import { describe, expect, it } from 'vitest';
import { readErrorPage } from '../../src/core/classify.js';
import { keyturnHelperContexts, matchGitHost, parseGitHostPattern } from '../../src/core/git-credential.js';

describe('an error page’s OAuth error, by its wording', () => {
  it.each([
    ['error: weird_code', 'weird_code'],
    ['error=weird_code', 'weird_code'],
    ['error = "weird_code" shown', 'weird_code'],
    ['Error: Weird_Code', 'Weird_Code'],
    ['error: w_ab', 'w_ab'],
    ['Error 400: weird_code', 'weird_code'],
    ['Error 400 :weird_code', 'weird_code'],
    ['Error   400:   weird_code', 'weird_code'],
  ])('"%s" names %s', (text, error) => {
    expect(readErrorPage(`<p>${text}</p>`)?.error).toBe(error);
  });

  it.each([
    'myerror: weird_code',
    'error: weird',
    'error: w_a',
    'error: _weird',
    'Error 40: weird_code',
    'error 400: weird_code',
    'errors: weird_code',
  ])('"%s" names no error', (text) => {
    expect(readErrorPage(`<p>${text}</p>`)).toBeUndefined();
  });

  it('an error_description runs to the next "name: " or the end', () => {
    expect(readErrorPage('error: weird_code error_description: "the thing" state: 1')?.description).toBe(
      'the thing',
    );
    expect(readErrorPage('error: weird_code error_description= two words')?.description).toBe('two words');
  });

  it('a page of exactly 300 characters is its own description, uncut', () => {
    const text = `access_denied ${'x'.repeat(286)}`;
    expect(text).toHaveLength(300);
    expect(readErrorPage(text)?.description).toBe(text);
  });

  it('AADSTS needs its number and a word boundary; a provider’s invalid_request phrasing is read too', () => {
    expect(readErrorPage('AADSTS error')).toBeUndefined();
    expect(readErrorPage('xAADSTS99999 happened')).toBeUndefined();
    expect(readErrorPage('The redirect_uri is not registered for this client')).toEqual({
      error: 'invalid_request',
      description: 'The redirect_uri is not registered for this client',
    });
  });
});

describe('git hosts at their edges', () => {
  it('a scheme may hold +, . and -', () => {
    expect(parseGitHostPattern('git+ssh://git.example.com/x', 's')).toEqual({
      protocol: 'git+ssh',
      host: 'git.example.com',
      source: 's',
    });
  });

  it('a pattern without a scheme naming the default port matches the request without it', () => {
    const pattern = parseGitHostPattern('git.example.com:443', 's')!;
    expect(matchGitHost({ protocol: 'https', host: 'git.example.com' }, [pattern])).toBe(pattern);
  });

  it('a scheme is one only at the start: a host with a path holding :// has none', () => {
    expect(parseGitHostPattern('git.example.com/a://b', 's')).toEqual({
      host: 'git.example.com',
      source: 's',
    });
  });

  it('a helper for another profile is not ours, however many spaces precede its name', () => {
    const output = 'credential.https://a.example.helper\nkeyturn credential git --profile   other';
    expect(keyturnHelperContexts(output, 'work')).toEqual([]);
    expect(keyturnHelperContexts(output, 'other').map((p) => p.host)).toEqual(['a.example']);
  });

  it('only keys credential.<context>.helper count, and a context without a host is skipped', () => {
    const output = [
      'mycredential.https://a.example.helper\nkeyturn credential git',
      'credential.https://b.example.helperx\nkeyturn credential git',
      'credential.https://.helper\nkeyturn credential git',
      "credential.https://c.example.helper\nkeyturn credential git --profile='home'",
      'credential.https://d.example.helper\nkeyturn credential git --profile=home',
    ].join('\0');
    expect(keyturnHelperContexts(output, 'home').map((p) => p.host)).toEqual(['c.example', 'd.example']);
    expect(keyturnHelperContexts(output, 'work').map((p) => p.host)).toEqual([]);
  });
});
