/**
 * Rules of the pure core that mutation testing (scripts/mutation.mjs) found unpinned: a change to any
 * of them must fail a test here. Security and classification rules first.
 */
import { describe, expect, it } from 'vitest';
import { isLoopbackHost, assertSecureUrl } from '../../src/core/config.js';
import { buildReport, problem, passed } from '../../src/core/diagnosis.js';
import { formatDuration } from '../../src/core/duration.js';
import { KeyturnError, exitCodeFor, usageError } from '../../src/core/errors.js';
import { resultPage } from '../../src/core/pages.js';

describe('plain http only to loopback (RFC 8252 §8.3)', () => {
  it('the loopback pattern is anchored at both ends: a name that starts like 127.0.0.1 is not loopback', () => {
    for (const host of [
      '127.0.0.1',
      '127.1.2.3',
      'localhost',
      'LOCALHOST',
      '::1',
      '[::1]',
      'app.localhost',
    ]) {
      expect(isLoopbackHost(host), host).toBe(true);
    }
    for (const host of [
      '127.0.0.1.evil.example',
      'x127.0.0.1',
      '127.0.0.1x',
      '127.0.0',
      'localhost.evil.example',
      'evillocalhost',
      '::2',
      '10.0.0.1',
    ]) {
      expect(isLoopbackHost(host), host).toBe(false);
    }
  });

  it('an http issuer that only looks like loopback is refused', () => {
    expect(() => assertSecureUrl('http://127.0.0.1.evil.example/', 'issuer')).toThrow(KeyturnError);
    expect(assertSecureUrl('http://127.0.0.1:9090/', 'issuer').hostname).toBe('127.0.0.1');
  });
});

describe('the page the browser shows at the end of a sign-in', () => {
  it('a failed sign-in never shows the success page', () => {
    const failed = resultPage('failure', 'Sign-in failed', 'access_denied');
    const succeeded = resultPage('success', 'Signed in', 'You can close this window.');
    expect(failed).toContain('&#10007;');
    expect(failed).toContain('#cf222e');
    expect(failed).not.toContain('&#10003;');
    expect(succeeded).toContain('&#10003;');
    expect(succeeded).toContain('#1a7f37');
    expect(succeeded).not.toContain('&#10007;');
  });

  it('escapes what it shows', () => {
    const page = resultPage('failure', '<script>x</script>', '"&\'<>');
    expect(page).not.toContain('<script>x');
    expect(page).toContain('&#60;script&#62;x&#60;/script&#62;');
  });
});

describe('doctor says the same problem once, and different problems each', () => {
  const blocked = (detail: string) =>
    problem(new KeyturnError('endpoint_blocked', detail, { evidence: { status: 403 } }), 'error');

  it('merges only findings with the same code, severity and detail', () => {
    const report = buildReport('default', [
      blocked('token endpoint answered 403'),
      blocked('token endpoint answered 403'),
      blocked('discovery answered 403'),
      problem(new KeyturnError('endpoint_blocked', 'token endpoint answered 403'), 'warning'),
      problem(new KeyturnError('connect_failed', 'token endpoint answered 403'), 'error'),
    ]);
    expect(report.findings.map((f) => [f.code, f.severity, f.detail])).toEqual([
      ['endpoint_blocked', 'error', 'token endpoint answered 403'],
      ['endpoint_blocked', 'error', 'discovery answered 403'],
      ['connect_failed', 'error', 'token endpoint answered 403'],
      ['endpoint_blocked', 'warning', 'token endpoint answered 403'],
    ]);
  });

  it('keeps every passed check, even alike ones', () => {
    const report = buildReport('default', [passed('dns', 'resolves'), passed('dns', 'resolves')]);
    expect(report.findings).toHaveLength(2);
    expect(report.ok).toBe(true);
  });
});

describe('durations for people', () => {
  it('seconds below 90, minutes below 90 min, hours below 2 days, then days; the sign is dropped', () => {
    expect(formatDuration(0)).toBe('0 s');
    expect(formatDuration(89)).toBe('89 s');
    expect(formatDuration(90)).toBe('2 min');
    expect(formatDuration(5399)).toBe('90 min');
    expect(formatDuration(5400)).toBe('2 h');
    expect(formatDuration(172_799)).toBe('48 h');
    expect(formatDuration(172_800)).toBe('2 days');
    expect(formatDuration(-45)).toBe('45 s');
    expect(formatDuration(-7200)).toBe('2 h');
  });
});

describe('KeyturnError', () => {
  it('restate keeps code, transience, HTTP facts, evidence and cause; changes only what it is told', () => {
    const facts = {
      fix: 'Wait.',
      transient: true,
      httpStatus: 503,
      oauthError: 'temporarily_unavailable',
      oauthErrorDescription: 'busy',
      evidence: { status: 503 },
      retryAfter: 7,
    };
    const original = new KeyturnError('server_error', 'The provider failed.', facts);
    const told = original.restate({ message: 'Said otherwise.' });
    expect(told).toMatchObject({ code: 'server_error', message: 'Said otherwise.', ...facts });
    expect(told.cause).toBe(original);
    expect(original.restate({ fix: 'Other fix.' })).toMatchObject({
      message: 'The provider failed.',
      fix: 'Other fix.',
    });
  });

  it('a restated error without optional facts carries none', () => {
    const told = new KeyturnError('internal', 'x').restate({});
    expect(told.toJSON()).toEqual({
      error: { code: 'internal', message: 'x', fix: told.fix, transient: false },
    });
    expect(told.httpStatus).toBeUndefined();
    expect(told.retryAfter).toBeUndefined();
  });

  it('exit codes: transient 4 over the catalog, usage 2, anything else thrown 1', () => {
    expect(exitCodeFor(new KeyturnError('usage', 'x', { transient: true }))).toBe(4);
    expect(exitCodeFor(usageError('bad flag'))).toBe(2);
    expect(usageError('bad flag', 'Use --x.').fix).toBe('Use --x.');
    expect(exitCodeFor(new Error('boom'))).toBe(1);
    expect(exitCodeFor('boom')).toBe(1);
  });
});
