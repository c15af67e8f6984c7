import { expect, it } from 'vitest';
import { formatUtc } from '../../src/core/duration.js';

it('says a moment in UTC to the second, without milliseconds', () => {
  expect(formatUtc(0)).toBe('1970-01-01 00:00:00 UTC');
  expect(formatUtc(1_796_041_346)).toBe('2026-11-30 12:22:26 UTC');
});
