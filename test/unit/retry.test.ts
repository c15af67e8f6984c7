import { describe, expect, it } from 'vitest';
import { KeyturnError } from '../../src/core/errors.js';
import {
  DEFAULT_RETRY,
  withRetries,
  nextDelay,
  parseRetryAfter,
  retryTotalMsFromEnv,
  type RetryPolicy,
} from '../../src/core/retry.js';

const policy: RetryPolicy = { totalMs: 30_000, baseMs: 500, maxDelayMs: 8_000 };
const low = () => 0;
const high = () => 0.999_999;

describe('nextDelay: exponential backoff with jitter', () => {
  it('doubles the ceiling with each retry, up to maxDelayMs', () => {
    const ceilings = [1, 2, 3, 4, 5, 6, 7].map((attempt) => nextDelay(policy, attempt, 0, high));
    expect(ceilings).toEqual([500, 1000, 2000, 4000, 8000, 8000, 8000]);
  });

  it('draws each delay between half and all of the ceiling', () => {
    for (let attempt = 1; attempt <= 6; attempt++) {
      const ceiling = Math.min(8000, 500 * 2 ** (attempt - 1));
      expect(nextDelay(policy, attempt, 0, low)).toBe(ceiling / 2);
      for (let i = 0; i < 50; i++) {
        const delay = nextDelay(policy, attempt, 0, Math.random) as number;
        expect(delay).toBeGreaterThanOrEqual(ceiling / 2);
        expect(delay).toBeLessThanOrEqual(ceiling);
      }
    }
  });

  it('spreads many clients apart (jitter)', () => {
    const delays = new Set(Array.from({ length: 20 }, () => nextDelay(policy, 3, 0, Math.random)));
    expect(delays.size).toBeGreaterThan(1);
  });
});

describe('nextDelay: Retry-After', () => {
  it('waits at least as long as the provider asked', () => {
    expect(nextDelay(policy, 1, 0, low, 1)).toBe(1000);
    expect(nextDelay(policy, 1, 0, high, 3)).toBe(3000);
  });

  it('keeps the computed delay when it is longer than Retry-After', () => {
    expect(nextDelay(policy, 5, 0, low, 1)).toBe(4000);
  });

  it('gives up at once when Retry-After reaches beyond the bound', () => {
    expect(nextDelay(policy, 1, 0, low, 31)).toBeUndefined();
    expect(nextDelay(policy, 1, 28_000, low, 3)).toBeUndefined();
  });
});

describe('nextDelay: the total bound', () => {
  it('shortens the last delay to end at the bound', () => {
    expect(nextDelay(policy, 4, 27_000, high)).toBe(3000);
  });

  it('gives up when not even the shortest delay fits', () => {
    expect(nextDelay(policy, 5, 26_001, low)).toBeUndefined();
    expect(nextDelay({ ...policy, totalMs: 0 }, 1, 0, low)).toBeUndefined();
  });

  it('ends a run against a provider that fails forever within the bound', () => {
    for (const random of [low, high, Math.random]) {
      let clock = 0;
      let attempts = 1;
      for (;;) {
        const delay = nextDelay(DEFAULT_RETRY, attempts, clock, random);
        if (delay === undefined) break;
        clock += delay;
        attempts++;
      }
      expect(clock).toBeLessThanOrEqual(DEFAULT_RETRY.totalMs);
      expect(attempts).toBeGreaterThanOrEqual(5);
      expect(attempts).toBeLessThanOrEqual(12);
    }
  });
});

describe('parseRetryAfter (RFC 9110 §10.2.3)', () => {
  const now = Date.parse('2025-06-01T12:00:00Z');

  it('reads delta-seconds', () => {
    expect(parseRetryAfter('1', now)).toBe(1);
    expect(parseRetryAfter(' 120 ', now)).toBe(120);
  });

  it('reads an HTTP date, counting from now; a past date means now', () => {
    expect(parseRetryAfter('Sun, 01 Jun 2025 12:00:30 GMT', now)).toBe(30);
    expect(parseRetryAfter('Sun, 01 Jun 2025 11:00:00 GMT', now)).toBe(0);
  });

  it('ignores what it cannot read', () => {
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter('', now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
  });
});

describe('KEYTURN_RETRY_TIMEOUT', () => {
  it('bounds retries in seconds, 30 by default', () => {
    expect(retryTotalMsFromEnv({})).toBe(30_000);
    expect(retryTotalMsFromEnv({ KEYTURN_RETRY_TIMEOUT: '3' })).toBe(3000);
    expect(retryTotalMsFromEnv({ KEYTURN_RETRY_TIMEOUT: '1.5' })).toBe(1500);
    expect(retryTotalMsFromEnv({ KEYTURN_RETRY_TIMEOUT: '0' })).toBe(0);
  });

  it('ignores a value that is not a number of seconds', () => {
    expect(retryTotalMsFromEnv({ KEYTURN_RETRY_TIMEOUT: '' })).toBe(30_000);
    expect(retryTotalMsFromEnv({ KEYTURN_RETRY_TIMEOUT: 'soon' })).toBe(30_000);
    expect(retryTotalMsFromEnv({ KEYTURN_RETRY_TIMEOUT: '-5' })).toBe(30_000);
  });
});

describe('withRetries: the one retry loop of every command', () => {
  /** A fake clock whose sleep only moves time forward, recording each wait. */
  function fakeClock(start = 1_000_000) {
    let now = start;
    const waits: number[] = [];
    return {
      waits,
      advance: (ms: number) => (now += ms),
      clock: {
        now: () => now,
        random: () => 0.5,
        sleep: async (ms: number) => {
          waits.push(ms);
          now += ms;
        },
      },
    };
  }
  const transient = (status = 503, retryAfter?: number) =>
    new KeyturnError('server_error', `The provider answered ${status}.`, {
      httpStatus: status,
      ...(retryAfter === undefined ? {} : { retryAfter }),
    });

  it('retries a 503, then returns the answer that follows', async () => {
    const { clock, waits } = fakeClock();
    const told: number[] = [];
    let calls = 0;
    const result = await withRetries(
      clock,
      { policy, onRetry: (_e, delay) => told.push(delay) },
      async () => {
        calls++;
        if (calls === 1) throw transient();
        return 'tokens';
      },
    );
    expect(result).toBe('tokens');
    expect(calls).toBe(2);
    expect(waits).toEqual([375]);
    expect(told).toEqual(waits);
  });

  it('never retries a permanent failure or something that is not a KeyturnError', async () => {
    const { clock } = fakeClock();
    let calls = 0;
    const permanent = new KeyturnError('invalid_client', 'unknown client');
    await expect(
      withRetries(clock, { policy }, async () => {
        calls++;
        throw permanent;
      }),
    ).rejects.toBe(permanent);
    const bug = new TypeError('bug');
    await expect(
      withRetries(clock, { policy }, async () => {
        calls++;
        throw bug;
      }),
    ).rejects.toBe(bug);
    expect(calls).toBe(2);
  });

  it('waits as long as Retry-After says', async () => {
    const { clock, waits } = fakeClock();
    let calls = 0;
    await withRetries(clock, { policy }, async () => {
      if (++calls === 1) throw new KeyturnError('rate_limited', '429', { retryAfter: 7 });
      return undefined;
    });
    expect(waits).toEqual([7000]);
  });

  it('gives up on a provider that fails forever within the bound, saying so and what is kept', async () => {
    const { clock, waits } = fakeClock();
    let calls = 0;
    const error = await withRetries(
      clock,
      { policy: { ...policy, totalMs: 10_000 }, kept: 'the sign-in is kept' },
      async () => {
        calls++;
        throw transient();
      },
    ).catch((e: unknown) => e as KeyturnError);
    expect(error).toBeInstanceOf(KeyturnError);
    expect(error.code).toBe('server_error');
    expect(error.transient).toBe(true);
    expect(error.message).toMatch(
      /^The provider answered 503\. Gave up after \d+ attempts in 10 s \(KEYTURN_RETRY_TIMEOUT\); the sign-in is kept\.$/,
    );
    expect(waits.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(10_000);
    expect(calls).toBe(waits.length + 1);
    expect(calls).toBeGreaterThan(3);
  });

  it('with a bound of 0 makes one attempt only', async () => {
    const { clock } = fakeClock();
    let calls = 0;
    const error = await withRetries(clock, { policy: { ...policy, totalMs: 0 } }, async () => {
      calls++;
      throw transient();
    }).catch((e: unknown) => e as KeyturnError);
    expect(calls).toBe(1);
    expect(error.message).toContain('No retry fits in the time bound');
  });

  it('stops at once when aborted, with the reason it was given', async () => {
    const { clock } = fakeClock();
    const controller = new AbortController();
    let calls = 0;
    const failure = transient();
    await expect(
      withRetries(clock, { policy, signal: controller.signal }, async () => {
        calls++;
        controller.abort(new Error('Ctrl-C'));
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(calls).toBe(1);
  });

  it("counts a long poll's bound from its first failure, and starts over after a long stretch of answers", async () => {
    const { clock, advance } = fakeClock();
    let calls = 0;
    // Polls fine for 5 minutes, then fails twice, polls fine for another 5 minutes, fails, then succeeds.
    const result = await withRetries(
      clock,
      { policy: { ...policy, totalMs: 3_000 }, from: 'failure' },
      async () => {
        calls++;
        if (calls === 1 || calls === 4) advance(300_000);
        if (calls <= 4) throw transient();
        return 'approved';
      },
    );
    expect(result).toBe('approved');
    expect(calls).toBe(5);
    // Counted from the start of the command, the first failure would already be past the bound.
    const { clock: strict, advance: move } = fakeClock();
    let tries = 0;
    await expect(
      withRetries(strict, { policy: { ...policy, totalMs: 3_000 } }, async () => {
        tries++;
        move(300_000);
        throw transient();
      }),
    ).rejects.toThrow(/No retry fits/);
    expect(tries).toBe(1);
  });
});
