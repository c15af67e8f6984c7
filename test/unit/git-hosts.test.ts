import { describe, expect, it } from 'vitest';
import {
  formatGitCredentialAnswer,
  keyturnHelperContexts,
  matchGitHost,
  parseGitCredentialRequest,
  parseGitHostPattern,
} from '../../src/core/git-credential.js';

describe('git’s request, read as git reads it', () => {
  it('a line without "=" or starting with "=" is skipped, not the end of the request', () => {
    const request = parseGitCredentialRequest('garbage\n=orphan\nprotocol=https\nhost=git.example.com\n');
    expect(request).toMatchObject({ protocol: 'https', host: 'git.example.com' });
    expect(request.attributes).toEqual([
      ['protocol', 'https'],
      ['host', 'git.example.com'],
    ]);
  });

  it('a CRLF line end is cut; a CR inside a value is kept', () => {
    expect(parseGitCredentialRequest('host=a.example\r\npath=x\ry\n').attributes).toEqual([
      ['host', 'a.example'],
      ['path', 'x\ry'],
    ]);
  });

  it('an attribute other than the known ones is kept among the attributes only', () => {
    const request = parseGitCredentialRequest('capability[]=state\nusername=me\n');
    expect(request).toEqual({
      username: 'me',
      attributes: [
        ['capability[]', 'state'],
        ['username', 'me'],
      ],
    });
  });

  it('a url takes apart into protocol, host with port, decoded path and user; a bad url adds nothing', () => {
    expect(parseGitCredentialRequest('url=http://a%40b@git.example.com:8080/my%20org/r.git\n')).toMatchObject(
      {
        protocol: 'http',
        host: 'git.example.com:8080',
        path: 'my org/r.git',
        username: 'a@b',
      },
    );
    const root = parseGitCredentialRequest('url=https://git.example.com/\n');
    expect(root).not.toHaveProperty('path');
    expect(root).not.toHaveProperty('username');
    expect(parseGitCredentialRequest('url=not a url\n')).toEqual({ attributes: [['url', 'not a url']] });
  });
});

describe('the answer refuses what git could not read back', () => {
  it.each([
    ['a carriage return', 'tok\rusername=evil'],
    ['a NUL', 'tok\0'],
  ])('%s in the password', (_, password) => {
    expect(() => formatGitCredentialAnswer({ username: 'oauth2', password })).toThrow(
      'The password for git holds a line break or NUL.',
    );
  });

  it('a line break in the username is named as the username', () => {
    expect(() => formatGitCredentialAnswer({ username: 'a\nb', password: 'tok' })).toThrow(
      'The username for git holds a line break or NUL.',
    );
  });
});

describe('the host patterns of git_hosts', () => {
  it('reads a host, a host:port and a URL, dropping the path, the user and the default port', () => {
    expect(parseGitHostPattern('  Git.Example.com/org  ', 'git_hosts')).toEqual({
      host: 'git.example.com',
      source: 'git_hosts',
    });
    expect(parseGitHostPattern('HTTPS://me@Git.Example.com:443/org', 'git_hosts')).toEqual({
      protocol: 'https',
      host: 'git.example.com',
      source: 'git_hosts',
    });
    expect(parseGitHostPattern('http://git.example.com:80', 's')).toMatchObject({ host: 'git.example.com' });
    expect(parseGitHostPattern('http://git.example.com:8080', 's')).toMatchObject({
      host: 'git.example.com:8080',
    });
    expect(parseGitHostPattern('https://git.example.com:80', 's')).toMatchObject({
      host: 'git.example.com:80',
    });
  });

  it('an empty pattern, or a URL without a host, is no pattern', () => {
    expect(parseGitHostPattern('   ', 's')).toBeUndefined();
    expect(parseGitHostPattern('https:///path', 's')).toBeUndefined();
  });

  it('a pattern without a scheme folds the request’s default port; a host on another port does not match', () => {
    const [pattern] = [parseGitHostPattern('git.example.com', 'git_hosts')!];
    expect(matchGitHost({ protocol: 'http', host: 'git.example.com:80' }, [pattern])).toBe(pattern);
    expect(matchGitHost({ protocol: 'http', host: 'git.example.com:443' }, [pattern])).toBeUndefined();
    expect(matchGitHost({ host: 'git.example.com:443' }, [pattern])).toBeUndefined();
    expect(matchGitHost({ protocol: 'HTTPS', host: 'git.example.com:443' }, [pattern])).toBe(pattern);
  });

  it('an empty host matches nothing, not even a pattern that is empty too', () => {
    expect(matchGitHost({ protocol: 'https', host: '' }, [{ host: '', source: 's' }])).toBeUndefined();
  });

  it('a * label stands for a whole label only: *.example.com does not cover evil-example.com or xexample.com', () => {
    const patterns = [parseGitHostPattern('*.example.com', 'git_hosts')!];
    expect(matchGitHost({ protocol: 'https', host: 'evil-example.com' }, patterns)).toBeUndefined();
    expect(matchGitHost({ protocol: 'https', host: 'git.example.org' }, patterns)).toBeUndefined();
    expect(matchGitHost({ protocol: 'https', host: 'git.evil.com' }, patterns)).toBeUndefined();
  });

  it('the first pattern that covers the request is named (for the message saying why keyturn answers)', () => {
    const patterns = [
      parseGitHostPattern('a.example', 'first')!,
      parseGitHostPattern('*.example', 'second')!,
    ];
    expect(matchGitHost({ protocol: 'https', host: 'b.example' }, patterns)?.source).toBe('second');
    expect(matchGitHost({ protocol: 'https', host: 'a.example' }, patterns)?.source).toBe('first');
  });
});

describe('the credential contexts that run this helper in git config', () => {
  const entry = (key: string, value: string) => `${key}\n${value}`;

  it('only helper lines running this command’s credential git, for this profile or none', () => {
    const output = [
      entry('credential.https://a.example.helper', 'keyturn credential git'),
      entry('credential.https://b.example.helper', 'notkeyturn credential git'),
      entry('credential.https://c.example.helper', 'keyturn token'),
      entry('credential.https://d.example.helper', 'keyturn credential gitx'),
      entry('credential.https://e.example.username', 'keyturn credential git'),
      entry('credential.https://f.example.helper', 'node /opt/keyturn.js credential git --profile "work"'),
      entry('credential.https://g.example.helper', 'keyturn.cjs credential   git --profile other'),
      'no newline in this entry',
      entry('credential.git.example.helper', 'keyturn credential git'),
    ].join('\0');
    expect(keyturnHelperContexts(output, 'work').map((p) => [p.host, p.source])).toEqual([
      ['a.example', 'credential.https://a.example.helper'],
      ['f.example', 'credential.https://f.example.helper'],
    ]);
  });

  it('an application built on keyturn finds its own command, whatever characters its name holds', () => {
    const output = [
      entry('credential.https://a.example.helper', 'acme.cli credential git'),
      entry('credential.https://b.example.helper', 'acmexcli credential git'),
      entry('credential.https://c.example.helper', 'keyturn credential git'),
    ].join('\0');
    expect(keyturnHelperContexts(output, 'default', 'acme.cli').map((p) => p.host)).toEqual(['a.example']);
  });
});
