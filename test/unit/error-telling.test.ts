import { describe, expect, it } from 'vitest';
import { KEYTURN_APP } from '../../src/core/app.js';
import { KeyturnError, usageError } from '../../src/core/errors.js';

const acme = { ...KEYTURN_APP, name: 'acme', command: 'acme', envPrefix: 'ACME' };

describe('an error told for another application', () => {
  it('is the same error when the application is the same', () => {
    const error = new KeyturnError('not_signed_in', 'nobody');
    expect(error.forApp(KEYTURN_APP)).toBe(error);
  });

  it('keeps the message, code, facts, cause and stack; only the fix changes', () => {
    const cause = new Error('socket closed');
    const error = new KeyturnError('invalid_grant', 'rejected', {
      cause,
      httpStatus: 400,
      oauthError: 'invalid_grant',
      oauthErrorDescription: 'expired',
      retryAfter: 3,
      evidence: { host: 'id.example' },
    });
    const told = error.forApp(acme);
    expect(told).not.toBe(error);
    expect(told.app).toBe(acme);
    expect(told.message).toBe('rejected');
    expect(told.cause).toBe(cause);
    expect(told.stack).toBe(error.stack);
    expect(told).toMatchObject({
      code: 'invalid_grant',
      httpStatus: 400,
      oauthError: 'invalid_grant',
      oauthErrorDescription: 'expired',
      retryAfter: 3,
      evidence: { host: 'id.example' },
      transient: error.transient,
    });
    expect(error.fix).toContain('keyturn');
    expect(told.fix).not.toContain('keyturn');
    expect(told.fix).toContain('acme');
  });

  it('an error without a cause gets none', () => {
    expect(new KeyturnError('not_signed_in', 'nobody').forApp(acme).cause).toBeUndefined();
  });
});

describe('usage errors and the JSON document', () => {
  it('a usage error takes the catalog’s fix unless given one', () => {
    expect(usageError('bad flag').fix).toBe(new KeyturnError('usage', '').fix);
    expect(usageError('bad flag', 'Run with --help.').fix).toBe('Run with --help.');
    expect(usageError('bad flag').code).toBe('usage');
  });

  it('the catalog fix of a code is used when none is given, told for keyturn', () => {
    const error = new KeyturnError('not_signed_in', 'nobody');
    expect(error.fix).not.toBe('');
    expect(error.name).toBe('KeyturnError');
    expect(error.app).toBe(KEYTURN_APP);
  });

  it('the JSON document carries the OAuth facts when known, and only then', () => {
    const error = new KeyturnError('invalid_grant', 'no', { oauthErrorDescription: 'expired' });
    expect(error.toJSON()).toEqual({
      error: {
        code: 'invalid_grant',
        message: 'no',
        fix: error.fix,
        transient: false,
        oauth_error_description: 'expired',
      },
    });
  });
});
