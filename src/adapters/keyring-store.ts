import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { connect } from 'node:net';
import { join } from 'node:path';
import { KeyturnError } from '../core/errors.js';
import type { Credentials, OAuthCredentials } from '../core/credentials.js';
import type { CredentialStore, CredentialsChange } from '../core/store.js';
import type { FileStore } from './file-store.js';
import type { Output } from '../flows/deps.js';

/**
 * The OS keyring (Secret Service on Linux, Keychain on macOS, Credential Manager on Windows) through
 * `@napi-rs/keyring`, with every call bounded by a timeout.
 *
 * Why a child process: the library talks to the keyring synchronously, and on Linux even its
 * constructor blocks until the D-Bus peer answers, so a Secret Service that never answers would hang
 * the main thread (its "async" API included). A worker thread does not help either: Node joins it at
 * exit, so the hung call would still keep the process alive. A child process can be killed.
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

function keyringUnusable(backend: string, reason: string, remedy: string): KeyringUnusable {
  return new KeyringUnusable(backend, reason, remedy);
}

// The child: reads one request on stdin, answers one JSON line on stdout. Secrets travel only over
// these pipes, never in argv. CommonJS, because `node -e` runs it as a script.
const CHILD_SOURCE = String.raw`
'use strict';
const chunks = [];
process.stdin.on('data', (c) => chunks.push(c));
process.stdin.on('end', () => {
  const req = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  const first = (e) => String((e && e.message) || e).split('\n')[0];
  const answer = (res) => process.stdout.write(JSON.stringify(res));
  let Entry;
  try {
    Entry = require(req.module).Entry;
  } catch (e) {
    return answer({ ok: false, stage: 'load', message: first(e) });
  }
  // Without a Secret Service the library silently uses the kernel keyutils keyring, which does not
  // survive a reboot: an entry of ours showing up in /proc/keys means exactly that.
  const inKeyutils = (account) => {
    if (process.platform !== 'linux') return false;
    try {
      return require('fs').readFileSync('/proc/keys', 'utf8').includes(account + '@' + req.service);
    } catch {
      return false;
    }
  };
  const set = (entry, account, value) => {
    entry.setPassword(value);
    if (inKeyutils(account)) {
      try { entry.deleteCredential(); } catch {}
      throw new Error('KEYUTILS: no Secret Service; the library fell back to the kernel keyring');
    }
  };
  const remove = (entry) => {
    try {
      return entry.deleteCredential() !== false;
    } catch (e) {
      if (/no (matching )?entry/i.test(first(e))) return false;
      throw e;
    }
  };
  try {
    const entry = new Entry(req.service, req.account);
    if (req.op === 'get') return answer({ ok: true, value: entry.getPassword() ?? null });
    if (req.op === 'set') {
      set(entry, req.account, req.value);
      return answer({ ok: true });
    }
    if (req.op === 'delete') return answer({ ok: true, value: remove(entry) });
    if (req.op === 'probe') {
      set(entry, req.account, req.value);
      const back = entry.getPassword();
      remove(entry);
      if (back !== req.value) throw new Error('the probe entry did not read back');
      return answer({ ok: true });
    }
    answer({ ok: false, stage: 'op', message: 'unknown operation' });
  } catch (e) {
    answer({ ok: false, stage: 'op', message: first(e) });
  }
});
`;

interface ChildRequest {
  op: 'get' | 'set' | 'delete' | 'probe';
  service: string;
  account: string;
  value?: string;
}

type ChildAnswer =
  { ok: true; value?: string | boolean | null } | { ok: false; stage: string; message: string };

export interface KeyringClientOptions {
  env: Record<string, string | undefined>;
  platform?: NodeJS.Platform;
  timeoutMs?: number;
}

/** One bounded call per keyring operation, each in a child process that is killed at the timeout. */
export class KeyringClient {
  readonly backend: string;
  readonly timeoutMs: number;
  private readonly env: Record<string, string | undefined>;
  private readonly platform: NodeJS.Platform;

  constructor(options: KeyringClientOptions) {
    this.env = options.env;
    this.platform = options.platform ?? process.platform;
    this.backend = keyringBackend(this.platform);
    this.timeoutMs = options.timeoutMs ?? keyringTimeoutFromEnv(options.env);
  }

  /** The secret stored under service/account, or undefined when there is none. */
  async get(service: string, account: string): Promise<string | undefined> {
    const answer = await this.call({ op: 'get', service, account });
    return typeof answer === 'string' ? answer : undefined;
  }

  async set(service: string, account: string, value: string): Promise<void> {
    await this.call({ op: 'set', service, account, value });
  }

  /** True when an entry was removed. */
  async delete(service: string, account: string): Promise<boolean> {
    return (await this.call({ op: 'delete', service, account })) === true;
  }

  /**
   * Writes, reads back and deletes a throwaway entry: the keyring is usable exactly when this passes.
   * (Reading alone proves nothing: without a Secret Service the library answers "no entry".)
   */
  async probe(service: string): Promise<void> {
    const nonce = Math.random().toString(36).slice(2);
    await this.call({ op: 'probe', service, account: `probe-${process.pid}-${nonce}`, value: nonce });
  }

  private async call(request: ChildRequest): Promise<string | boolean | null | undefined> {
    const started = Date.now();
    const busProblem = await this.sessionBusProblem();
    if (busProblem !== undefined) throw busProblem;
    let module: string;
    try {
      module = createRequire(import.meta.url).resolve('@napi-rs/keyring');
    } catch {
      throw keyringUnusable(
        this.backend,
        'the optional module @napi-rs/keyring is not installed',
        `Reinstall keyturn with its optional dependencies (\`npm install --include=optional\`)`,
      );
    }
    const remaining = Math.max(1, this.timeoutMs - (Date.now() - started));
    const answer = await this.runChild({ ...request, module }, remaining);
    if (answer.ok) return answer.value;
    throw this.explain(answer.stage, answer.message);
  }

  private runChild(request: ChildRequest & { module: string }, timeoutMs: number): Promise<ChildAnswer> {
    const env: Record<string, string> = {};
    for (const [key, value] of Object.entries(this.env)) if (value !== undefined) env[key] = value;
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['-e', CHILD_SOURCE], {
        env,
        stdio: ['pipe', 'pipe', 'pipe'],
        windowsHide: true,
      });
      let stdout = '';
      let settled = false;
      const settle = (outcome: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        outcome();
      };
      const timer = setTimeout(() => {
        settle(() => {
          // The hung keyring call cannot be interrupted: kill its process and let go of it.
          child.kill('SIGKILL');
          child.unref();
          child.stdout.destroy();
          child.stderr.destroy();
          reject(this.timedOut());
        });
      }, timeoutMs);
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
      child.stderr.resume();
      child.stdin.on('error', () => undefined);
      child.on('error', (error) =>
        settle(() =>
          reject(
            keyringUnusable(
              this.backend,
              `the keyring helper process could not start (${error.message})`,
              `Check that ${process.execPath} can run`,
            ),
          ),
        ),
      );
      child.on('close', (code, signal) =>
        settle(() => {
          try {
            resolve(JSON.parse(stdout) as ChildAnswer);
          } catch {
            resolve({ ok: false, stage: 'crash', message: signal ?? `exit code ${code ?? '?'}` });
          }
        }),
      );
      child.stdin.end(JSON.stringify(request));
    });
  }

  private timedOut(): KeyringUnusable {
    const seconds = Math.round(this.timeoutMs / 100) / 10;
    const unlock =
      this.platform === 'linux'
        ? 'Unlock the keyring or restart the Secret Service (`gnome-keyring-daemon --replace --components=secrets`)'
        : 'Unlock the keyring';
    return keyringUnusable(
      this.backend,
      `it did not answer within ${seconds} s (is an unlock prompt waiting, or is the keyring service hung?)`,
      `${unlock}, allow it more time with KEYTURN_KEYRING_TIMEOUT=SECONDS`,
    );
  }

  /** Turns the library's terse error into the missing piece and its fix. */
  private explain(stage: string, message: string): KeyringUnusable {
    if (stage === 'load') {
      return keyringUnusable(
        this.backend,
        `the native module @napi-rs/keyring does not load on this platform (${message})`,
        `Reinstall keyturn on this machine so npm fetches the module for ${process.platform}-${process.arch}`,
      );
    }
    if (stage === 'crash') {
      return keyringUnusable(
        this.backend,
        `the keyring library crashed (${message})`,
        "Report it to keyturn's issue tracker with your OS and keyring service",
      );
    }
    if (this.platform !== 'darwin' && this.platform !== 'win32') {
      if (/prompt.*dismissed|locked/i.test(message)) {
        return keyringUnusable(
          this.backend,
          'the keyring is locked and no unlock prompt can be shown here',
          `Unlock it (from the desktop's "Passwords and Keys", or \`gnome-keyring-daemon --unlock --replace --components=secrets\` with the password on stdin)`,
        );
      }
      if (/no result found/i.test(message)) {
        return keyringUnusable(
          this.backend,
          'the Secret Service has no default keyring (collection) to store into',
          `Create a default keyring (e.g. "Passwords and Keys" → New keyring → set as default; or start \`gnome-keyring-daemon --unlock --components=secrets\` with a password on stdin, which creates "login")`,
        );
      }
      if (/KEYUTILS|AccessDenied|ServiceUnknown|org\.freedesktop\.secrets/i.test(message)) {
        return keyringUnusable(
          this.backend,
          'no Secret Service (org.freedesktop.secrets) answers on the D-Bus session bus',
          `Start one: \`gnome-keyring-daemon --start --components=secrets\` (Debian/Ubuntu package gnome-keyring) or KeePassXC's Secret Service integration`,
        );
      }
    }
    return keyringUnusable(this.backend, `it refused the request (${message})`, `Check the ${this.backend}`);
  }

  /**
   * On Linux and BSDs the Secret Service lives on the D-Bus session bus. Without one the library would
   * fall back silently to the kernel keyring (lost at reboot), so a missing bus is refused here, early
   * and with its name. Only unix sockets are checked; other transports are left to the library.
   */
  private async sessionBusProblem(): Promise<KeyringUnusable | undefined> {
    if (this.platform === 'darwin' || this.platform === 'win32') return undefined;
    const remedy = `Sign in from a desktop session, or start a session bus and a Secret Service (\`dbus-run-session -- sh\`, then \`gnome-keyring-daemon --unlock --components=secrets\`)`;
    const address = this.env.DBUS_SESSION_BUS_ADDRESS;
    const candidates: { label: string; socket: string }[] = [];
    if (address === undefined || address === '') {
      // libdbus and zbus both fall back to $XDG_RUNTIME_DIR/bus.
      const runtime = this.env.XDG_RUNTIME_DIR;
      const bus = runtime === undefined || runtime === '' ? undefined : join(runtime, 'bus');
      if (bus === undefined || !existsSync(bus)) {
        return keyringUnusable(
          this.backend,
          'no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set)',
          remedy,
        );
      }
      candidates.push({ label: bus, socket: bus });
    } else {
      for (const part of address.split(';')) {
        const [transport, rest = ''] = part.split(/:(.*)/s) as [string, string?];
        const keys = new Map(
          rest.split(',').map((kv) => {
            const eq = kv.indexOf('=');
            return [kv.slice(0, eq), unescapeDbus(kv.slice(eq + 1))] as [string, string];
          }),
        );
        if (transport !== 'unix') return undefined;
        const path = keys.get('path');
        const abstract = keys.get('abstract');
        if (path !== undefined) candidates.push({ label: path, socket: path });
        else if (abstract !== undefined) candidates.push({ label: `@${abstract}`, socket: `\0${abstract}` });
        else return undefined;
      }
    }
    const failures: string[] = [];
    for (const candidate of candidates) {
      const failure = await tryConnect(candidate.socket, Math.min(this.timeoutMs, 2000));
      if (failure === undefined) return undefined;
      failures.push(`${candidate.label}: ${failure}`);
    }
    return keyringUnusable(
      this.backend,
      `the D-Bus session bus does not accept connections (${failures.join('; ')})`,
      remedy,
    );
  }
}

/** D-Bus address values escape bytes as %XX (D-Bus specification, "Server Addresses"). */
function unescapeDbus(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** Connects to a unix socket and hangs up; undefined on success, else the error code. */
function tryConnect(path: string, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ path });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve('connect timed out');
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(undefined);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve(error.code ?? error.message);
    });
  });
}

/**
 * What auth.json holds for a profile whose secrets are in the keyring: where they are, and the
 * non-secret facts `status` and `doctor` may show without asking the keyring.
 */
export interface KeyringMarker {
  store: 'keyring';
  service: string;
  account: string;
  kind: Credentials['kind'];
  issuer?: string;
  client_id?: string;
  /** The sign-in's provider configuration (never a secret): profile resolution reads it here. */
  provider?: Credentials['provider'];
  obtained_at: number;
  expires_at?: number;
  scope?: string;
  claims?: OAuthCredentials['claims'];
  refresh_dead?: OAuthCredentials['refresh_dead'];
  has_refresh_token?: boolean;
}

export function isKeyringMarker(entry: unknown): entry is KeyringMarker {
  if (typeof entry !== 'object' || entry === null) return false;
  const marker = entry as Record<string, unknown>;
  return (
    marker.store === 'keyring' && typeof marker.service === 'string' && typeof marker.account === 'string'
  );
}

/** Only named, non-secret fields: nothing secret can slip into auth.json through a new field. */
export function markerFor(credentials: Credentials, service: string, account: string): KeyringMarker {
  const marker: KeyringMarker = {
    store: 'keyring',
    service,
    account,
    kind: credentials.kind,
    obtained_at: credentials.obtained_at,
  };
  if (credentials.issuer !== undefined) marker.issuer = credentials.issuer;
  if (credentials.client_id !== undefined) marker.client_id = credentials.client_id;
  if (credentials.provider !== undefined) marker.provider = credentials.provider;
  if (credentials.kind === 'oauth') {
    if (credentials.expires_at !== undefined) marker.expires_at = credentials.expires_at;
    if (credentials.scope !== undefined) marker.scope = credentials.scope;
    if (credentials.claims !== undefined) marker.claims = credentials.claims;
    if (credentials.refresh_dead !== undefined) marker.refresh_dead = credentials.refresh_dead;
    marker.has_refresh_token = credentials.refresh_token !== undefined;
  }
  return marker;
}

function parseKeyringValue(value: string, profile: string, backend: string): Credentials {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    parsed = undefined;
  }
  const entry = parsed as Record<string, unknown> | undefined;
  const valid =
    typeof entry === 'object' &&
    entry !== null &&
    ((entry.kind === 'oauth' && typeof entry.access_token === 'string') ||
      (entry.kind === 'api_key' && typeof entry.api_key === 'string'));
  if (!valid) {
    throw new KeyturnError(
      'store_unreadable',
      `The ${backend} entry of profile "${profile}" does not hold keyturn credentials.`,
      {
        fix: ({ command }) =>
          `Sign in again: \`${command} login${profile === 'default' ? '' : ` --profile ${profile}`}\` replaces it.`,
        evidence: { store: 'keyring', backend, profile },
      },
    );
  }
  return entry as unknown as Credentials;
}

export interface KeyringStoreOptions {
  /** The keyring service name entries are written under (the account is the profile name). */
  service: string;
  note?: string;
  /**
   * `store = "auto"`: when the keyring fails on a write, keep the credentials in auth.json rather than
   * lose them (a refresh may just have rotated the refresh token), and say so.
   */
  fallback?: { output: Output; onUnusable: (error: KeyringUnusable) => Promise<void> };
}

/**
 * Secrets in the OS keyring, one entry per profile holding its credentials as JSON; auth.json keeps a
 * marker with the entry's name and non-secret facts; both change together under auth.json's lock.
 */
export class KeyringStore implements CredentialStore {
  readonly kind = 'keyring' as const;
  readonly location: string;
  readonly note: string | undefined;
  readonly service: string;

  constructor(
    private readonly file: FileStore,
    private readonly keyring: KeyringClient,
    private readonly options: KeyringStoreOptions,
  ) {
    this.service = options.service;
    this.location = `${keyring.backend} (service "${options.service}")`;
    this.note = options.note;
  }

  /** The raw auth.json entry: credentials, a keyring marker, or undefined. */
  async entry(profile: string): Promise<unknown> {
    const doc = await this.file.readAll();
    return doc !== undefined && Object.hasOwn(doc.profiles, profile) ? doc.profiles[profile] : undefined;
  }

  async get(profile: string): Promise<Credentials | undefined> {
    const doc = await this.file.readAll();
    return doc === undefined ? undefined : this.read(doc.profiles, profile);
  }

  /** The credentials an auth.json document points at: from the keyring, or plain in the file. */
  private async read(profiles: Record<string, unknown>, profile: string): Promise<Credentials | undefined> {
    const entry = Object.hasOwn(profiles, profile) ? profiles[profile] : undefined;
    if (entry === undefined) return undefined;
    // Plain credentials another store kind wrote: valid as they are; the next put moves them here.
    if (!isKeyringMarker(entry)) return this.file.credentialsIn(profiles, profile);
    const value = await this.keyring.get(entry.service, entry.account);
    if (value === undefined) {
      // "No entry" is also what an unusable keyring answers: tell the two apart.
      await this.keyring.probe(this.service);
      const flag = profile === 'default' ? '' : ` --profile ${profile}`;
      throw new KeyturnError(
        'not_signed_in',
        `The ${this.keyring.backend} no longer holds the credentials of profile "${profile}" (removed outside keyturn?).`,
        { fix: ({ command }) => `Sign in again: \`${command} login${flag}\`.` },
      );
    }
    return parseKeyringValue(value, profile, this.keyring.backend);
  }

  async put(profile: string, credentials: Credentials): Promise<void> {
    await this.update(profile, () => credentials, { read: false });
  }

  /**
   * The secret and its marker change together under auth.json's lock: two writers (a `login` and a
   * refresh) can never leave the marker of one beside the secret of the other.
   */
  async update(
    profile: string,
    change: CredentialsChange,
    options: { read?: boolean } = {},
  ): Promise<Credentials | undefined> {
    let after: Credentials | undefined;
    let stale: KeyringMarker | undefined;
    await this.file.transact(async (profiles) => {
      const before = Object.hasOwn(profiles, profile) ? profiles[profile] : undefined;
      after = options.read === false ? undefined : await this.read(profiles, profile);
      const next = change(after);
      if (next === undefined) return false;
      after = next;
      try {
        await this.keyring.set(this.service, profile, JSON.stringify(next));
      } catch (thrown) {
        const fallback = this.options.fallback;
        if (fallback === undefined || !(thrown instanceof KeyringUnusable)) throw thrown;
        fallback.output.warn(
          `${thrown.message} Keeping the credentials of profile "${profile}" in ${this.file.path} instead (store = "auto").`,
        );
        await fallback.onUnusable(thrown);
        profiles[profile] = next;
        return true;
      }
      profiles[profile] = markerFor(next, this.service, profile);
      // The secrets are in the keyring now: an entry under another name (moved KEYTURN_HOME) is stale.
      if (isKeyringMarker(before) && (before.service !== this.service || before.account !== profile)) {
        stale = before;
      }
      return true;
    });
    if (stale !== undefined) await this.keyring.delete(stale.service, stale.account).catch(() => false);
    return after;
  }

  async delete(profile: string): Promise<boolean> {
    let removed = false;
    await this.file.transact(async (profiles) => {
      const entry = Object.hasOwn(profiles, profile) ? profiles[profile] : undefined;
      if (entry === undefined) return false;
      if (isKeyringMarker(entry)) await this.keyring.delete(entry.service, entry.account);
      delete profiles[profile];
      removed = true;
      return true;
    });
    return removed;
  }
}

/**
 * `store = "file"` while auth.json still points at a keyring entry that cannot be moved here (the
 * keyring is unusable now): reading says so; a new sign-in simply replaces the marker.
 */
export class StrandedKeyringStore implements CredentialStore {
  readonly kind = 'file' as const;
  readonly location: string;
  readonly note: string;

  constructor(
    private readonly file: FileStore,
    private readonly keyring: KeyringClient,
    private readonly marker: KeyringMarker,
    private readonly problem: KeyringUnusable,
    private readonly output: Output,
  ) {
    this.location = file.path;
    this.note = `the credentials are still in the ${keyring.backend}, which cannot be used here: ${problem.reason}`;
  }

  async get(profile: string): Promise<Credentials | undefined> {
    const flag = profile === 'default' ? '' : ` --profile ${profile}`;
    throw new KeyturnError(
      'store_unreadable',
      `The credentials of profile "${profile}" are in the ${this.keyring.backend} (store = "keyring" when they were saved), which cannot be used here: ${this.problem.reason}.`,
      {
        fix: ({ command }) =>
          `Make the keyring usable once so keyturn moves them into auth.json (${this.problem.remedy}), or sign in again here: \`${command} login${flag}\`.`,
        evidence: { store: 'keyring', service: this.marker.service, account: this.marker.account },
      },
    );
  }

  async update(profile: string): Promise<Credentials | undefined> {
    return this.get(profile);
  }

  async put(profile: string, credentials: Credentials): Promise<void> {
    await this.file.put(profile, credentials);
    this.output.warn(
      `The old keyring entry of profile "${profile}" (${this.keyring.backend}, service "${this.marker.service}") could not be removed: ${this.problem.reason}.`,
    );
  }

  async delete(profile: string): Promise<boolean> {
    const removed = await this.file.delete(profile);
    this.output.warn(
      `Removed keyturn's record of profile "${profile}", but its ${this.keyring.backend} entry (service "${this.marker.service}", account "${this.marker.account}") could not be removed: ${this.problem.reason}.`,
    );
    return removed;
  }
}
