import { KeyturnError } from '../core/errors.js';

/**
 * How the OS keyring fails, in its users' words: the one error type (`KeyringUnusable`, code
 * store_unreadable) and the texts the keyring client and the hot path's in-process read share. No
 * side effects and no heavy imports here: the CommonJS executable (cli/launcher.ts) bundles it.
 */

export const DEFAULT_KEYRING_TIMEOUT_MS = 10_000;

/** Which keyring the library uses on this platform, in the words its users know. */
export function keyringBackend(platform: NodeJS.Platform = process.platform): string {
  if (platform === 'darwin') return 'macOS Keychain';
  if (platform === 'win32') return 'Windows Credential Manager';
  return 'Secret Service';
}

/** KEYTURN_KEYRING_TIMEOUT (seconds) bounds every keyring call; default 10 s. */
export function keyringTimeoutFromEnv(env: Record<string, string | undefined>): number {
  const raw = env.KEYTURN_KEYRING_TIMEOUT;
  const seconds = raw === undefined || raw === '' ? Number.NaN : Number(raw);
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : DEFAULT_KEYRING_TIMEOUT_MS;
}

const USE_FILE = 'or keep credentials in auth.json: `store = "file"` in config.toml or `KEYTURN_STORE=file`';

/**
 * The keyring cannot be used: `reason` names the missing piece (no D-Bus session, no Secret Service,
 * a locked keyring, …), `remedy` how to supply it; `fix` adds the way out through the file store.
 */
export class KeyringUnusable extends KeyturnError {
  constructor(
    readonly backend: string,
    readonly reason: string,
    readonly remedy: string,
  ) {
    super('store_unreadable', `The OS keyring (${backend}) cannot be used: ${reason}.`, {
      fix: `${remedy}, ${USE_FILE}.`,
      evidence: { store: 'keyring', backend, reason },
    });
  }
}

/** The keyring did not answer within `timeoutMs`. */
export function keyringTimedOut(
  backend: string,
  platform: NodeJS.Platform,
  timeoutMs: number,
): KeyringUnusable {
  const seconds = Math.round(timeoutMs / 100) / 10;
  const unlock =
    platform === 'linux'
      ? 'Unlock the keyring or restart the Secret Service (`gnome-keyring-daemon --replace --components=secrets`)'
      : 'Unlock the keyring';
  return new KeyringUnusable(
    backend,
    `it did not answer within ${seconds} s (is an unlock prompt waiting, or is the keyring service hung?)`,
    `${unlock}, allow it more time with KEYTURN_KEYRING_TIMEOUT=SECONDS`,
  );
}

/** `@napi-rs/keyring` is not installed (it is an optional dependency). */
export function keyringModuleMissing(backend: string): KeyringUnusable {
  return new KeyringUnusable(
    backend,
    'the optional module @napi-rs/keyring is not installed',
    `Reinstall keyturn with its optional dependencies (\`npm install --include=optional\`)`,
  );
}

/** The native module is installed but does not load here. */
export function keyringModuleBroken(backend: string, message: string): KeyringUnusable {
  return new KeyringUnusable(
    backend,
    `the native module @napi-rs/keyring does not load on this platform (${message})`,
    `Reinstall keyturn on this machine so npm fetches the module for ${process.platform}-${process.arch}`,
  );
}

/** Turns the library's terse error (the first line of its message) into the missing piece and its fix. */
export function explainKeyringFailure(
  backend: string,
  platform: NodeJS.Platform,
  message: string,
): KeyringUnusable {
  if (platform !== 'darwin' && platform !== 'win32') {
    if (/prompt.*dismissed|locked/i.test(message)) {
      return new KeyringUnusable(
        backend,
        'the keyring is locked and no unlock prompt can be shown here',
        `Unlock it (from the desktop's "Passwords and Keys", or \`gnome-keyring-daemon --unlock --replace --components=secrets\` with the password on stdin)`,
      );
    }
    if (/no result found/i.test(message)) {
      return new KeyringUnusable(
        backend,
        'the Secret Service has no default keyring (collection) to store into',
        `Create a default keyring (e.g. "Passwords and Keys" → New keyring → set as default; or start \`gnome-keyring-daemon --unlock --components=secrets\` with a password on stdin, which creates "login")`,
      );
    }
    if (/KEYUTILS|AccessDenied|ServiceUnknown|org\.freedesktop\.secrets/i.test(message)) {
      return new KeyringUnusable(
        backend,
        'no Secret Service (org.freedesktop.secrets) answers on the D-Bus session bus',
        `Start one: \`gnome-keyring-daemon --start --components=secrets\` (Debian/Ubuntu package gnome-keyring) or KeePassXC's Secret Service integration`,
      );
    }
  }
  return new KeyringUnusable(backend, `it refused the request (${message})`, `Check the ${backend}`);
}
