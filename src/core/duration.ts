/** A duration for people: `45 s`, `12 min`, `5 h`, `3 days` (the sign is dropped). */
export function formatDuration(seconds: number): string {
  const abs = Math.abs(seconds);
  if (abs < 90) return `${abs} s`;
  if (abs < 5400) return `${Math.round(abs / 60)} min`;
  if (abs < 172_800) return `${Math.round(abs / 3600)} h`;
  return `${Math.round(abs / 86_400)} days`;
}

/** A moment for people, in UTC to the second: `2026-11-30 12:22:26 UTC` (`seconds` since the epoch). */
export function formatUtc(seconds: number): string {
  return new Date(seconds * 1000)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, ' UTC');
}
