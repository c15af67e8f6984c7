import { describe, expect, it } from 'vitest';
import { checkClock, MAX_CLOCK_SKEW_SECONDS } from '../../src/core/clock.js';
import { DEFAULT_RETRY, nextDelay, parseRetryAfter, retryTotalMsFromEnv } from '../../src/core/retry.js';

const PROVIDER = Date.parse('Mon, 01 Jun 2026 12:00:00 GMT');
const DATE = new Date(PROVIDER).toUTCString();

describe('comparing this machine’s clock with the provider’s Date header', () => {
  it('within 60 s either way passes, saying the offset', () => {
    expect(MAX_CLOCK_SKEW_SECONDS).toBe(60);
    for (const offset of [60, -60, 0]) {
      const finding = checkClock(DATE, PROVIDER + offset * 1000, 'id.example');
      expect(finding?.severity).toBe('ok');
      expect(finding?.code).toBe('clock');
      expect(finding?.title).toBe(`The clock agrees with id.example's Date header (offset ${offset} s)`);
      expect(finding?.evidence).toEqual({
        host: 'id.example',
        clock_offset_seconds: offset,
        provider_date: '2026-06-01T12:00:00.000Z',
        local_date: new Date(PROVIDER + offset * 1000).toISOString(),
      });
    }
  });

  it.each([
    [61, '61 s ahead of'],
    [-119, '119 s behind'],
    [120, '2 min ahead of'],
    [-7199, '120 min behind'],
    [7200, '2.0 h ahead of'],
    [-9000, '2.5 h behind'],
  ])('%i s off is "%s"', (offset, words) => {
    const finding = checkClock(DATE, PROVIDER + offset * 1000, 'id.example');
    expect(finding?.code).toBe('clock_skew');
    expect(finding?.detail).toBe(
      `This machine's clock is ${words} id.example's (its Date header says ${DATE}): tokens will look expired or not yet valid.`,
    );
    expect(finding?.evidence).toMatchObject({ clock_offset_seconds: offset });
  });

  it('a half second rounds to the nearest second', () => {
    expect(checkClock(DATE, PROVIDER + 60_499, 'h')?.severity).toBe('ok');
    expect(checkClock(DATE, PROVIDER + 60_500, 'h')?.code).toBe('clock_skew');
  });
});

describe('backoff between retries', () => {
  const policy = { totalMs: 30_000, baseMs: 500, maxDelayMs: 8_000 };

  it('the default policy: 30 s in all, from half a second, at most 8 s apart', () => {
    expect(DEFAULT_RETRY).toEqual(policy);
  });

  it('doubles from the base, drawn between half and all of the ceiling, up to the cap', () => {
    expect(nextDelay(policy, 1, 0, () => 0)).toBe(250);
    expect(nextDelay(policy, 1, 0, () => 1)).toBe(500);
    expect(nextDelay(policy, 3, 0, () => 0.5)).toBe(1500);
    expect(nextDelay(policy, 10, 0, () => 1)).toBe(8000);
    expect(nextDelay(policy, 0, 0, () => 1)).toBe(500);
  });

  it('Retry-After is a minimum, in seconds', () => {
    expect(nextDelay(policy, 1, 0, () => 0, 3)).toBe(3000);
    expect(nextDelay(policy, 5, 0, () => 1, 1)).toBe(8000);
  });

  it('a delay is cut to end at the bound; one whose minimum does not fit gives up', () => {
    expect(nextDelay(policy, 4, 27_000, () => 1)).toBe(3000);
    expect(nextDelay(policy, 4, 26_000, () => 0)).toBe(2000);
    expect(nextDelay(policy, 4, 26_001, () => 1)).toBe(3999);
    expect(nextDelay(policy, 4, 28_001, () => 0)).toBeUndefined();
    expect(nextDelay(policy, 1, 0, () => 0, 31)).toBeUndefined();
    expect(nextDelay(policy, 1, 0, () => 0, 30)).toBe(30_000);
  });
});

describe('Retry-After and the retry bound, as given', () => {
  const NOW = Date.parse('2026-06-01T12:00:00Z');

  it('delta-seconds, with spaces around', () => {
    expect(parseRetryAfter(' 120 ', NOW)).toBe(120);
    expect(parseRetryAfter('0', NOW)).toBe(0);
  });

  it('an HTTP date, rounded up, never negative', () => {
    expect(parseRetryAfter('Mon, 01 Jun 2026 12:00:30 GMT', NOW)).toBe(30);
    expect(parseRetryAfter('Mon, 01 Jun 2026 12:00:30 GMT', NOW + 500)).toBe(30);
    expect(parseRetryAfter('Mon, 01 Jun 2026 11:00:00 GMT', NOW)).toBe(0);
  });

  it('nothing, blanks, negative or fractional numbers and junk are no Retry-After', () => {
    for (const value of [null, undefined, '', '   ', 'soon'])
      expect(parseRetryAfter(value, NOW)).toBeUndefined();
    expect(parseRetryAfter('-5', NOW)).not.toBe(-5);
  });

  it('KEYTURN_RETRY_TIMEOUT in seconds (decimals allowed, 0 = no retry); anything else is the default 30 s', () => {
    expect(retryTotalMsFromEnv({ KEYTURN_RETRY_TIMEOUT: ' 5 ' })).toBe(5000);
    expect(retryTotalMsFromEnv({ KEYTURN_RETRY_TIMEOUT: '1.25' })).toBe(1250);
    expect(retryTotalMsFromEnv({ KEYTURN_RETRY_TIMEOUT: '0' })).toBe(0);
    for (const value of [undefined, '', 'x', '-1', '5s', '1.', '.5', '1e3']) {
      expect(retryTotalMsFromEnv({ KEYTURN_RETRY_TIMEOUT: value })).toBe(30_000);
    }
  });
});
