import { describe, expect, it } from 'vitest';
import { CATALOG, KeyturnError, exitCodeFor, isErrorCode, usageError } from '../../src/core/errors.js';
import { KEYTURN_APP, renderText } from '../../src/core/app.js';
import { TRANSIENT_CODES, type ErrorCode } from '../../src/core/catalog.js';

/** SPEC.md "Diagnosis catalog": every code a user may see. */
const SPEC_CODES = [
  'not_signed_in',
  'port_in_use',
  'no_browser',
  'wsl',
  'clock_skew',
  'ca_file_invalid',
  'store_insecure',
  'store_unreadable',
  'dns_failed',
  'connect_failed',
  'proxy_unreachable',
  'proxy_auth_required',
  'proxy_denied',
  'tls_untrusted',
  'tls_hostname_mismatch',
  'tls_expired',
  'discovery_failed',
  'issuer_mismatch',
  'endpoint_blocked',
  'invalid_client',
  'unauthorized_client',
  'redirect_uri_mismatch',
  'invalid_scope',
  'access_denied',
  'invalid_grant',
  'refresh_rejected',
  'state_mismatch',
  'login_timeout',
  'rate_limited',
  'server_error',
];

describe('the catalog', () => {
  it('holds every code of SPEC.md, each with a title and a fix', () => {
    for (const code of SPEC_CODES) {
      expect(isErrorCode(code), code).toBe(true);
      const entry = CATALOG[code as ErrorCode];
      expect(entry.title.length, code).toBeGreaterThan(0);
      expect(renderText(entry.fix, KEYTURN_APP).length, code).toBeGreaterThan(0);
    }
    expect(isErrorCode('toString')).toBe(false);
    expect(isErrorCode('nonsense')).toBe(false);
  });
});

describe('exit codes (SPEC.md: 1 failure, 2 usage, 3 sign-in required, 4 temporarily unavailable)', () => {
  it('maps sign-in-required failures to 3', () => {
    expect(exitCodeFor(new KeyturnError('not_signed_in', 'x'))).toBe(3);
    expect(exitCodeFor(new KeyturnError('refresh_rejected', 'x'))).toBe(3);
  });

  it('maps usage and configuration mistakes to 2', () => {
    expect(exitCodeFor(usageError('Unknown command "lgoin".'))).toBe(2);
    expect(exitCodeFor(new KeyturnError('config_invalid', 'x'))).toBe(2);
  });

  it('maps transient failures to 4, whatever their code, and only those', () => {
    expect(exitCodeFor(new KeyturnError('rate_limited', 'x'))).toBe(4);
    expect(exitCodeFor(new KeyturnError('server_error', 'x'))).toBe(4);
    expect(exitCodeFor(new KeyturnError('connect_failed', 'x'))).toBe(4);
    expect(exitCodeFor(new KeyturnError('dns_failed', 'x', { transient: true }))).toBe(4);
    expect(exitCodeFor(new KeyturnError('connect_failed', 'x', { transient: false }))).toBe(1);
    for (const code of TRANSIENT_CODES) expect(exitCodeFor(new KeyturnError(code, 'x')), code).toBe(4);
  });

  it('maps other failures, and anything that is not a KeyturnError, to 1', () => {
    for (const code of [
      'access_denied',
      'state_mismatch',
      'login_timeout',
      'invalid_grant',
      'store_unreadable',
    ])
      expect(exitCodeFor(new KeyturnError(code as ErrorCode, 'x')), code).toBe(1);
    expect(exitCodeFor(new Error('boom'))).toBe(1);
    expect(exitCodeFor('a string')).toBe(1);
    expect(exitCodeFor(undefined)).toBe(1);
  });

  it('gives every code of the catalog an exit code of 1 to 4, or the shell’s 126/127 for `exec`', () => {
    for (const [code, entry] of Object.entries(CATALOG)) {
      if (code.startsWith('command_')) expect([126, 127], code).toContain(entry.exit);
      else expect([1, 2, 3, 4], code).toContain(entry.exit);
    }
  });
});

describe('KeyturnError', () => {
  it('takes the catalog’s fix and transience unless told otherwise', () => {
    const error = new KeyturnError('login_timeout', 'No sign-in arrived within 2 s.');
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('KeyturnError');
    expect(error.fix).toBe(renderText(CATALOG.login_timeout.fix, KEYTURN_APP));
    expect(error.transient).toBe(false);
    expect(new KeyturnError('server_error', 'x').transient).toBe(true);
    expect(new KeyturnError('server_error', 'x', { fix: 'Wait.' }).fix).toBe('Wait.');
  });

  it('serialises to the {"error": …} document of SPEC.md, optional fields only when known', () => {
    const plain = new KeyturnError('state_mismatch', 'The state does not match.');
    expect(JSON.parse(JSON.stringify(plain))).toEqual({
      error: {
        code: 'state_mismatch',
        message: 'The state does not match.',
        fix: renderText(CATALOG.state_mismatch.fix, KEYTURN_APP),
        transient: false,
      },
    });
    const http = new KeyturnError('invalid_grant', 'The code was rejected.', {
      httpStatus: 400,
      oauthError: 'invalid_grant',
      oauthErrorDescription: 'grant request is invalid',
      evidence: { host: '127.0.0.1' },
      cause: new Error('inner, with a token abcdef'),
    });
    expect(JSON.parse(JSON.stringify(http))).toEqual({
      error: {
        code: 'invalid_grant',
        message: 'The code was rejected.',
        fix: renderText(CATALOG.invalid_grant.fix, KEYTURN_APP),
        transient: false,
        http_status: 400,
        oauth_error: 'invalid_grant',
        oauth_error_description: 'grant request is invalid',
      },
    });
  });
});
