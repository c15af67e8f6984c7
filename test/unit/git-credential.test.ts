import { describe, expect, it } from 'vitest';
import {
  formatGitCredentialAnswer,
  keyturnHelperContexts,
  matchGitHost,
  parseGitCredentialRequest,
  parseGitHostPattern,
  type GitHostPattern,
} from '../../src/core/git-credential.js';

describe('the request git writes on the helper’s stdin', () => {
  it('reads key=value lines up to the blank line, keeping repeated attributes', () => {
    const request = parseGitCredentialRequest(
      'capability[]=authtype\nprotocol=https\nhost=git.example.com:8443\npath=org/repo.git\nwwwauth[]=Basic realm="a"\nwwwauth[]=Bearer\n\nhost=ignored\n',
    );
    expect(request).toMatchObject({ protocol: 'https', host: 'git.example.com:8443', path: 'org/repo.git' });
    expect(request.attributes.filter(([key]) => key === 'wwwauth[]').map(([, value]) => value)).toEqual([
      'Basic realm="a"',
      'Bearer',
    ]);
  });

  it('takes a url attribute apart, and a value may itself hold "="', () => {
    expect(
      parseGitCredentialRequest('url=https://me@git.example.com/a/b.git\npassword=x=y\r\n'),
    ).toMatchObject({
      protocol: 'https',
      host: 'git.example.com',
      path: 'a/b.git',
      username: 'me',
      password: 'x=y',
    });
  });
});

describe('the answer to get', () => {
  it('is username, password and password_expiry_utc in Unix seconds', () => {
    expect(
      formatGitCredentialAnswer({ username: 'oauth2', password: 'tok', passwordExpiryUtc: 1700000000.9 }),
    ).toBe('username=oauth2\npassword=tok\npassword_expiry_utc=1700000000\n');
    expect(
      formatGitCredentialAnswer({ username: 'oauth2', password: 'tok', passwordExpiryUtc: undefined }),
    ).toBe('username=oauth2\npassword=tok\n');
  });

  it('refuses a value with a line break, which would forge another attribute', () => {
    expect(() => formatGitCredentialAnswer({ username: 'oauth2', password: 'tok\nusername=evil' })).toThrow(
      /line break/,
    );
  });
});

describe('which hosts keyturn answers for', () => {
  const patterns = (...values: string[]) =>
    values.map((value) => parseGitHostPattern(value, 'git_hosts') as GitHostPattern);

  it('matches host and port exactly, case-insensitively, with default ports folded', () => {
    const allowed = patterns('git.example.com', '127.0.0.1:8080', 'https://secure.example.com:443/path');
    expect(matchGitHost({ protocol: 'https', host: 'GIT.example.com' }, allowed)).toBeDefined();
    expect(matchGitHost({ protocol: 'https', host: 'git.example.com:443' }, allowed)).toBeDefined();
    expect(matchGitHost({ protocol: 'http', host: '127.0.0.1:8080' }, allowed)).toBeDefined();
    expect(matchGitHost({ protocol: 'http', host: '127.0.0.1:8081' }, allowed)).toBeUndefined();
    expect(matchGitHost({ protocol: 'https', host: 'secure.example.com' }, allowed)).toBeDefined();
    // A pattern with a scheme answers for that scheme only.
    expect(matchGitHost({ protocol: 'http', host: 'secure.example.com' }, allowed)).toBeUndefined();
    expect(matchGitHost({ protocol: 'https', host: 'evil.example.com' }, allowed)).toBeUndefined();
    expect(matchGitHost({ protocol: 'https', host: 'git.example.com.evil.com' }, allowed)).toBeUndefined();
    expect(matchGitHost({ protocol: 'https' }, allowed)).toBeUndefined();
  });

  it('lets a * label stand for exactly one label, as git does', () => {
    const allowed = patterns('*.example.com');
    expect(matchGitHost({ protocol: 'https', host: 'git.example.com' }, allowed)).toBeDefined();
    expect(matchGitHost({ protocol: 'https', host: 'example.com' }, allowed)).toBeUndefined();
    expect(matchGitHost({ protocol: 'https', host: 'a.b.example.com' }, allowed)).toBeUndefined();
  });

  it('finds the credential contexts that run keyturn for this profile in git config', () => {
    const output = [
      'credential.https://git.example.com.helper\n!keyturn credential git --profile work',
      'credential.https://other.example.com.helper\n!keyturn credential git --profile=home',
      'credential.https://plain.example.com.helper\n!/usr/bin/node /opt/keyturn/dist/keyturn.cjs credential git',
      'credential.https://cached.example.com.helper\ncache --timeout 300',
      'credential.helper\n!keyturn credential git',
      '',
    ].join('\0');
    expect(keyturnHelperContexts(output, 'work').map((p) => p.host)).toEqual([
      'git.example.com',
      'plain.example.com',
    ]);
    expect(keyturnHelperContexts(output, 'home').map((p) => p.host)).toEqual([
      'other.example.com',
      'plain.example.com',
    ]);
  });
});
