/**
 * `keyturn token` (and `credential kubectl`) on a profile whose secrets are in the OS keyring, on the
 * hot path (launcher.ts): the secret is read straight from the Secret Service over the session bus
 * (adapters/keyring-secret-service.ts) — no native module, no child process — and served only when
 * it agrees with the keyring marker in auth.json. Everything else goes to the full CLI: macOS and
 * Windows, no bus or no Secret Service, a locked or ambiguous entry, a secret that does not match its
 * marker. One exception: a keyring that does not answer within KEYTURN_KEYRING_TIMEOUT is reported
 * here (store_unreadable), since the full CLI would only wait as long again.
 */
import { isKeyringMarker, markerFor, parseKeyringValue } from '../adapters/keyring-marker.js';
import { keyringBackend, keyringTimedOut, keyringTimeoutFromEnv } from '../adapters/keyring-errors.js';
import { lookupSecret } from '../adapters/keyring-secret-service.js';
import type { Credentials } from '../core/credentials.js';

/** The same JSON value, whatever the order of object keys. */
function sameJson(a: unknown, b: unknown): boolean {
  if (typeof a !== 'object' || a === null || typeof b !== 'object' || b === null) return a === b;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const keysA = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const keysB = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  if (keysA.length !== keysB.length) return false;
  return keysA.every((k) =>
    sameJson(
      (a as Record<string, unknown>)[k],
      Object.hasOwn(b, k) ? (b as Record<string, unknown>)[k] : undefined,
    ),
  );
}

/**
 * What the hot path serves for a profile's auth.json entry: the entry itself when it holds the
 * credentials (file store); for a keyring marker, the credentials the keyring holds when they are
 * exactly the sign-in the marker describes; undefined when the full CLI should decide. Throws
 * KeyringUnusable when the keyring does not answer in time.
 */
export async function withKeyringSecret(
  entry: Credentials,
  env: Record<string, string | undefined>,
  platform: NodeJS.Platform = process.platform,
): Promise<Credentials | undefined> {
  if (!isKeyringMarker(entry)) return entry;
  if (platform === 'darwin' || platform === 'win32') return undefined;
  const timeoutMs = keyringTimeoutFromEnv(env);
  const found = await lookupSecret(env, entry.service, entry.account, timeoutMs);
  const backend = keyringBackend(platform);
  if (found.kind === 'timeout') throw keyringTimedOut(backend, platform, timeoutMs);
  if (found.kind !== 'found') return undefined;
  let credentials: Credentials;
  try {
    credentials = parseKeyringValue(found.value, entry.account, backend);
  } catch {
    return undefined;
  }
  // The marker and the secret are written together under auth.json's lock: a difference means a
  // write in progress or a damaged entry, which is the full CLI's to judge.
  return sameJson(markerFor(credentials, entry.service, entry.account), entry) ? credentials : undefined;
}
