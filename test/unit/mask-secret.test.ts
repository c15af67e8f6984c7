import { describe, expect, it } from 'vitest';
import { MASK_MIN_LENGTH, maskSecret } from '../../src/core/credentials.js';

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
