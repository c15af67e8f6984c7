/**
 * What `store = "auto"` remembers of the keyring: the verdict of its last probe (keyring-probe.json in
 * the data folder), trusted for an hour in the same environment. Read by the store factory, and by
 * the launcher's `status` without loading anything of the keyring.
 */

/** How long a keyring probe's verdict is trusted before `auto` asks again. */
export const PROBE_TTL_MS = 60 * 60 * 1000;
export const PROBE_FILE = 'keyring-probe.json';

export interface ProbeRecord {
  version: 1;
  /** What the verdict depends on: the platform and, on Linux, the session bus address. */
  environment: string;
  usable: boolean;
  reason?: string;
  remedy?: string;
  probed_at: number;
}

export type Verdict = { usable: true } | { usable: false; reason: string; remedy: string; fresh: boolean };

export function probeEnvironment(platform: NodeJS.Platform, env: Record<string, string | undefined>): string {
  if (platform === 'darwin' || platform === 'win32') return platform;
  return `${platform} bus=${env.DBUS_SESSION_BUS_ADDRESS ?? ''} runtime=${env.XDG_RUNTIME_DIR ?? ''}`;
}

/** The remembered verdict when it is recent and for this environment; undefined means "probe". */
export function rememberedVerdict(text: string, environment: string, now: number): Verdict | undefined {
  let record: Partial<ProbeRecord>;
  try {
    record = JSON.parse(text) as Partial<ProbeRecord>;
  } catch {
    return undefined;
  }
  const recent = typeof record.probed_at === 'number' && now - record.probed_at < PROBE_TTL_MS;
  if (record.version !== 1 || record.environment !== environment || !recent) return undefined;
  if (record.usable === true) return { usable: true };
  return {
    usable: false,
    reason: record.reason ?? 'an earlier probe failed',
    remedy: record.remedy ?? 'Check the OS keyring',
    fresh: false,
  };
}

/** `store.note` of the file store `auto` fell back to. */
export function fallbackNote(backend: string, reason: string): string {
  return `auto: the OS keyring (${backend}) is not usable here: ${reason}`;
}
