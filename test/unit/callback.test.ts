import { describe, expect, it } from 'vitest';
import { MAX_CALLBACK_URL_LENGTH, constantTimeEqual, inspectCallback } from '../../src/core/callback.js';
import { resultPage } from '../../src/core/pages.js';

const PATH = '/auth/callback';
const STATE = 'state-of-this-sign-in-0123456789';

function inspect(target: string, method = 'GET') {
  return inspectCallback({ method, target }, PATH, STATE);
}

function rejection(target: string, method = 'GET') {
  const verdict = inspect(target, method);
  if (verdict.kind !== 'reject') throw new Error(`expected a rejection, got ${verdict.kind}`);
  return verdict;
}

describe('inspectCallback: what a request to the loopback callback means', () => {
  it('accepts the answer carrying this sign-in’s state and a code', () => {
    const verdict = inspect(`${PATH}?code=abc&state=${STATE}&iss=http%3A%2F%2F127.0.0.1%3A9090`);
    expect(verdict.kind).toBe('code');
    if (verdict.kind !== 'code') return;
    expect(verdict.params.get('code')).toBe('abc');
    expect(verdict.params.get('iss')).toBe('http://127.0.0.1:9090');
  });

  it('answers 404 to other paths (favicon, probes)', () => {
    expect(rejection('/favicon.ico').status).toBe(404);
    expect(rejection(`/?code=abc&state=${STATE}`).status).toBe(404);
    expect(rejection(`${PATH}/extra?code=abc&state=${STATE}`).status).toBe(404);
  });

  it('answers 405 to anything but GET on the callback path', () => {
    expect(rejection(`${PATH}?code=abc&state=${STATE}`, 'POST').status).toBe(405);
    expect(rejection(`${PATH}?code=abc&state=${STATE}`, 'PUT').status).toBe(405);
  });

  it('answers 400 when a parameter appears twice', () => {
    const answer = `code=abc&state=${STATE}&iss=https%3A%2F%2Fid.example&error=access_denied`;
    for (const name of ['code', 'state', 'error', 'iss']) {
      const verdict = rejection(`${PATH}?${answer}&${name}=x`);
      expect(verdict.status).toBe(400);
      expect(verdict.reason).toContain(name);
    }
  });

  it('answers 400 to a callback without state: it answers no sign-in of ours', () => {
    expect(rejection(`${PATH}?code=abc`)).toMatchObject({ status: 400, problem: 'no_state' });
    expect(rejection(`${PATH}?error=access_denied`)).toMatchObject({ status: 400, problem: 'no_state' });
  });

  it('answers 400 to a stale or foreign state, without ending the sign-in', () => {
    for (const state of ['another-sign-in', '', `${STATE}x`, STATE.slice(0, -1)]) {
      const verdict = rejection(`${PATH}?code=abc&state=${encodeURIComponent(state)}`);
      expect(verdict).toMatchObject({ status: 400, problem: 'state_mismatch' });
    }
    // Even an error answer is ignored when its state is not ours: a stale tab must not end this sign-in.
    expect(rejection(`${PATH}?error=access_denied&state=stale`).status).toBe(400);
  });

  it('answers 400 when the right state comes without a code', () => {
    expect(rejection(`${PATH}?state=${STATE}`)).toMatchObject({ status: 400, problem: 'no_code' });
    expect(rejection(`${PATH}?state=${STATE}&code=`)).toMatchObject({ status: 400, problem: 'no_code' });
  });

  it('ends the sign-in with the provider’s error when error= carries the right state', () => {
    const verdict = inspect(
      `${PATH}?error=access_denied&error_description=${encodeURIComponent('End-User aborted interaction')}&state=${STATE}`,
    );
    expect(verdict).toMatchObject({
      kind: 'error',
      error: 'access_denied',
      errorDescription: 'End-User aborted interaction',
    });
    const bare = inspect(`${PATH}?error=server_error&state=${STATE}`);
    expect(bare.kind).toBe('error');
    expect(bare).not.toHaveProperty('errorDescription');
  });

  it('answers 414 to an oversized request before parsing it', () => {
    const padding = 'x'.repeat(MAX_CALLBACK_URL_LENGTH);
    expect(rejection(`${PATH}?code=abc&state=${STATE}&pad=${padding}`).status).toBe(414);
  });
});

describe('constantTimeEqual', () => {
  it('tells equal strings from different ones of any length', () => {
    expect(constantTimeEqual(STATE, STATE)).toBe(true);
    expect(constantTimeEqual('', '')).toBe(true);
    expect(constantTimeEqual(STATE, `${STATE}x`)).toBe(false);
    expect(constantTimeEqual(`${STATE}x`, STATE)).toBe(false);
    expect(constantTimeEqual('abc', 'abd')).toBe(false);
    expect(constantTimeEqual('abc', '')).toBe(false);
    expect(constantTimeEqual('a\u0000', 'a')).toBe(false);
  });
});

describe('the callback result page', () => {
  it('is self-contained: no external script, style, font or image', () => {
    const html = resultPage('success', 'Signed in', 'You can close this window.');
    expect(html).not.toMatch(/https?:\/\/|\bsrc=|\bhref=|url\(|@import/i);
  });

  it('escapes what it shows (a provider’s error description is untrusted)', () => {
    const html = resultPage('failure', 'Sign-in failed', '<script>alert(1)</script> & "quotes"');
    expect(html).not.toContain('<script>');
    expect(html).toContain('&#60;script&#62;');
  });
});
