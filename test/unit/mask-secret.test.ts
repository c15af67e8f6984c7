import { describe, expect, it } from 'vitest';
import { isCredentials, MASK_MIN_LENGTH, maskSecret } from '../../src/core/credentials.js';

describe('an API key shown masked', () => {
  it('a key of 20 characters or more shows its kind and its last four', () => {
    expect(MASK_MIN_LENGTH).toBe(20);
    expect(maskSecret('sk-abcdefghijklmnopqrstuvwxyz1234')).toBe('sk-…1234');
    expect(maskSecret('ghp_abcdefghijklmnop9876')).toBe('ghp_…9876');
    expect(maskSecret('abcdefghijklmnopqrst')).toBe('…qrst');
  });

  it('a shorter key shows nothing of itself', () => {
    expect(maskSecret('sk-abcdefghijklmnop')).toBe('…');
    expect(maskSecret('')).toBe('…');
  });

  it('only a prefix of one to four letters before - or _ is a kind', () => {
    expect(maskSecret('abcde-fghijklmnopqrstuvwxyz')).toBe('…wxyz');
    expect(maskSecret('sk1-abcdefghijklmnopqrstuvwxyz')).toBe('…wxyz');
    expect(maskSecret('-abcdefghijklmnopqrstuvwxyz')).toBe('…wxyz');
    expect(maskSecret('x_abcdefghijklmnopqrstuvwxyz')).toBe('x_…wxyz');
  });
});

describe('whether a stored entry is usable credentials', () => {
  it('an OAuth entry with an access token, or an API-key entry with a key', () => {
    expect(isCredentials({ kind: 'oauth', access_token: 'at' })).toBe(true);
    expect(isCredentials({ kind: 'api_key', api_key: 'sk' })).toBe(true);
  });

  it('not an empty or missing token or key, another kind, or no object at all', () => {
    for (const value of [
      { kind: 'oauth', access_token: '' },
      { kind: 'oauth', access_token: 5 },
      { kind: 'oauth' },
      { kind: 'api_key', api_key: '' },
      { kind: 'api_key', access_token: 'at' },
      { kind: 'other', access_token: 'at', api_key: 'sk' },
      { access_token: 'at' },
      null,
      undefined,
      'oauth',
    ]) {
      expect(isCredentials(value)).toBe(false);
    }
  });
});
