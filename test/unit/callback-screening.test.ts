import { describe, expect, it } from 'vitest';
import {
  FOREIGN_HOST,
  MAX_CALLBACK_URL_LENGTH,
  inspectCallback,
  isServedHost,
  type CallbackProblem,
} from '../../src/core/callback.js';

const PATH = '/auth/callback';
const STATE = 'state-of-this-sign-in-0123456789';

function rejection(target: string, method = 'GET') {
  const verdict = inspectCallback({ method, target }, PATH, STATE);
  if (verdict.kind !== 'reject') throw new Error(`expected a rejection, got ${verdict.kind}`);
  return verdict;
}

describe('each refused callback request says why, in words and as a problem code', () => {
  const refused: [string, string, string, number, CallbackProblem][] = [
    [
      'an oversized request',
      `${PATH}?state=${STATE}&pad=${'x'.repeat(MAX_CALLBACK_URL_LENGTH)}`,
      'GET',
      414,
      'too_long',
    ],
    ['a request that is no URL', '//[', 'GET', 400, 'bad_request'],
    ['another path', '/favicon.ico', 'GET', 404, 'not_found'],
    ['a POST', `${PATH}?code=abc&state=${STATE}`, 'POST', 405, 'method_not_allowed'],
    ['a repeated parameter', `${PATH}?code=abc&state=${STATE}&code=x`, 'GET', 400, 'duplicate_parameter'],
    ['no state', `${PATH}?code=abc`, 'GET', 400, 'no_state'],
    ['another sign-in’s state', `${PATH}?code=abc&state=stale`, 'GET', 400, 'state_mismatch'],
    ['no code', `${PATH}?state=${STATE}`, 'GET', 400, 'no_code'],
  ];

  it.each(refused)('%s', (_, target, method, status, problem) => {
    const verdict = rejection(target, method);
    expect(verdict).toMatchObject({ kind: 'reject', status, problem });
    expect(verdict.reason).toMatch(/^[A-Z].{10,}\.$/);
  });

  it('tells the reasons apart: the person at the browser sees which rule turned the request away', () => {
    const reasons = refused.map(([, target, method]) => rejection(target, method).reason);
    expect(new Set(reasons).size).toBe(reasons.length);
    expect(rejection(`${PATH}?code=abc&state=stale`).reason).toMatch(/state does not match/);
    expect(rejection(`${PATH}?code=abc`).reason).toMatch(/no state/);
    expect(rejection(`${PATH}?state=${STATE}`).reason).toMatch(/no authorization code/);
    expect(rejection(`${PATH}?state=${STATE}`, 'PUT').reason).toMatch(/GET only/);
  });

  it.each(['code', 'state', 'error', 'error_description', 'error_uri', 'iss'])(
    'a repeated %s is refused: which of the two would count is ambiguous',
    (name) => {
      const answer = `code=abc&state=${STATE}&error=access_denied&error_description=d&error_uri=u&iss=i`;
      const verdict = rejection(`${PATH}?${answer}&${name}=again`);
      expect(verdict).toMatchObject({ status: 400, problem: 'duplicate_parameter' });
      expect(verdict.reason).toBe(`The parameter "${name}" appears more than once.`);
    },
  );

  it('other parameters may repeat', () => {
    expect(
      inspectCallback({ method: 'GET', target: `${PATH}?code=abc&state=${STATE}&x=1&x=2` }, PATH, STATE).kind,
    ).toBe('code');
  });

  it('a request of exactly the maximum length is still read', () => {
    const head = `${PATH}?code=abc&state=${STATE}&pad=`;
    const target = head + 'x'.repeat(MAX_CALLBACK_URL_LENGTH - head.length);
    expect(target).toHaveLength(MAX_CALLBACK_URL_LENGTH);
    expect(inspectCallback({ method: 'GET', target }, PATH, STATE).kind).toBe('code');
    expect(rejection(`${target}x`).problem).toBe('too_long');
  });
});

describe('isServedHost: the callback server answers only to the loopback names, with its port', () => {
  it('serves localhost, 127.0.0.1 and [::1] with the port in use, in any case', () => {
    for (const host of ['localhost:53682', '127.0.0.1:53682', '[::1]:53682', 'LOCALHOST:53682']) {
      expect(isServedHost(host, 53682)).toBe(true);
    }
  });

  it('a request without Host is not served', () => {
    expect(isServedHost(undefined, 53682)).toBe(false);
  });

  it('a rebound web name (evil.example, 127.0.0.1.evil.example) is not served, with or without the port', () => {
    for (const host of [
      'evil.example:53682',
      '127.0.0.1.evil.example:53682',
      'evil.example',
      'localhost.evil.example:53682',
    ]) {
      expect(isServedHost(host, 53682)).toBe(false);
    }
  });

  it('the loopback names with another port, or without a port on a port other than 80, are not served', () => {
    expect(isServedHost('localhost:8080', 53682)).toBe(false);
    expect(isServedHost('localhost', 53682)).toBe(false);
    expect(isServedHost('127.0.0.1', 53682)).toBe(false);
  });

  it('on port 80 the bare loopback names are served (browsers leave the default port out), other names are not', () => {
    expect(isServedHost('localhost', 80)).toBe(true);
    expect(isServedHost('[::1]', 80)).toBe(true);
    expect(isServedHost('localhost:80', 80)).toBe(true);
    expect(isServedHost('evil.example', 80)).toBe(false);
    expect(isServedHost('evil.example:80', 80)).toBe(false);
  });

  it('a foreign Host gets 421 Misdirected Request, naming the names that are served', () => {
    expect(FOREIGN_HOST).toEqual({
      kind: 'reject',
      status: 421,
      reason: 'This server answers only to localhost, 127.0.0.1 and [::1].',
      problem: 'foreign_host',
    });
  });
});
