import { KeyturnError } from './errors.js';
import { passed, problem, type Finding } from './diagnosis.js';

/** Tolerance of SPEC.md's clock_skew: id_token `iat`/`exp` checks fail beyond it. */
export const MAX_CLOCK_SKEW_SECONDS = 60;

function spoken(seconds: number): string {
  const abs = Math.abs(seconds);
  if (abs < 120) return `${abs} s`;
  if (abs < 7200) return `${Math.round(abs / 60)} min`;
  return `${(abs / 3600).toFixed(1)} h`;
}

/**
 * Compares this machine's clock with the provider's `Date` header (RFC 9110 §6.6.1), taken when the
 * answer arrived. The header has one-second resolution, well inside the tolerance.
 */
export function checkClock(
  date: string | undefined,
  receivedAtMs: number,
  host: string,
): Finding | undefined {
  if (date === undefined) return undefined;
  const provider = Date.parse(date);
  if (Number.isNaN(provider)) return undefined;
  const offset = Math.round((receivedAtMs - provider) / 1000);
  const evidence = {
    host,
    clock_offset_seconds: offset,
    provider_date: new Date(provider).toISOString(),
    local_date: new Date(receivedAtMs).toISOString(),
  };
  if (Math.abs(offset) <= MAX_CLOCK_SKEW_SECONDS) {
    return passed('clock', `The clock agrees with ${host}'s Date header (offset ${offset} s)`, evidence);
  }
  return problem(
    new KeyturnError(
      'clock_skew',
      `This machine's clock is ${spoken(offset)} ${offset > 0 ? 'ahead of' : 'behind'} ${host}'s (its Date header says ${new Date(provider).toUTCString()}): tokens will look expired or not yet valid.`,
      { evidence },
    ),
  );
}
