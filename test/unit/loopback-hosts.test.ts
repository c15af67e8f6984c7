import { describe, expect, it } from 'vitest';
import { assertSecureUrl, isLoopbackHost } from '../../src/core/config.js';
import { KeyturnError } from '../../src/core/errors.js';

describe('which hosts may be spoken to over plain http (RFC 8252 §8.3: loopback only)', () => {
  it('localhost, any 127.0.0.0/8 address, ::1 (with or without brackets) and *.localhost, in any case', () => {
    for (const host of [
      'localhost',
      'LocalHost',
      '127.0.0.1',
      '127.255.0.9',
      '[::1]',
      '::1',
      'app.localhost',
    ]) {
      expect(isLoopbackHost(host)).toBe(true);
    }
  });

  it('a loopback issuer with a suffix (127.0.0.1.evil.example) is not loopback', () => {
    expect(isLoopbackHost('127.0.0.1.evil.example')).toBe(false);
    expect(() => assertSecureUrl('http://127.0.0.1.evil.example/', 'issuer')).toThrow(KeyturnError);
  });

  it('a loopback address with a prefix (evil127.0.0.1, 1127.0.0.1) is not loopback', () => {
    for (const host of ['evil127.0.0.1', '1127.0.0.1', 'x.127.0.0.1'])
      expect(isLoopbackHost(host)).toBe(false);
  });

  it('names that only contain localhost (localhost.evil.example, notlocalhost, evil-localhost) are not loopback', () => {
    for (const host of ['localhost.evil.example', 'notlocalhost', 'evil-localhost', 'localhostx']) {
      expect(isLoopbackHost(host)).toBe(false);
    }
  });

  it('addresses that are not 127.0.0.0/8 or ::1 are not loopback (0.0.0.0, 10.0.0.1, ::, ::2, 127.1)', () => {
    for (const host of ['0.0.0.0', '10.0.0.1', '::', '::2', '127.1', '127.0.0.1.', '[::1]x']) {
      expect(isLoopbackHost(host)).toBe(false);
    }
  });
});
