/**
 * The `keyturn` executable. CommonJS on purpose: Node starts a CommonJS file without its ESM loader,
 * which is most of the start-up cost left once nothing else loads. `keyturn token` and `keyturn
 * credential kubectl` (which kubectl runs before its requests) with a valid cached token are answered
 * here with a few small reads of auth.json. A due token in a storm (many processes at once) is waited
 * for here: the one process that takes the refresh lock hands it to the full CLI, which refreshes; the
 * others serve what it stores, without ever loading the full CLI. A valid token in the OS keyring is
 * read here over the session bus (fast-keyring.ts). Every other case — other commands, keyring writes,
 * errors — goes to the full CLI (cli.js), which loads only what its command needs.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { resolvePaths, type KeyturnPaths } from '../adapters/paths.js';
import { readProfileEntry } from '../adapters/auth-file.js';
import {
  resolveProfile,
  selectProfileName,
  type ConfigFile,
  type Profile,
  type ProfileFlags,
} from '../core/config.js';
import { needsRefresh, jwtTimes, DEFAULT_MIN_TTL } from '../core/expiry.js';
import { execCredential, execCredentialVersion } from '../core/exec-credential.js';
import { refreshLockName } from '../core/store.js';
import type * as Extras from './launcher-extras.js';
import type * as KeyringRead from './launcher-keyring.js';
import type * as Lock from './launcher-lock.js';
import type * as V8 from 'node:v8';

/**
 * What only some runs need is in files of their own beside this one, each required by the runs that
 * use it: the keyring read, the refresh lock, and `status` with the report of a keyring failure.
 */
let loadedExtras: typeof Extras | undefined;
let loadedKeyringRead: typeof KeyringRead | undefined;
let loadedLock: typeof Lock | undefined;

/** The keyring read alone (dist/keyturn-keyring.cjs, launcher-keyring.ts): a keyring `token` needs no more. */
function keyringRead(): typeof KeyringRead {
  const file = './keyturn-keyring.cjs';
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (loadedKeyringRead ??= require(file) as typeof KeyringRead);
}

/** The refresh lock (dist/keyturn-lock.cjs, launcher-lock.ts): a due token's run needs no more. */
function lock(): typeof Lock {
  const file = './keyturn-lock.cjs';
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (loadedLock ??= require(file) as typeof Lock);
}

/** `status` and the report of a keyring failure (dist/keyturn-extras.cjs, launcher-extras.ts). */
function extras(): typeof Extras {
  // A variable specifier: the bundler leaves it to Node, which resolves it beside this file.
  const file = './keyturn-extras.cjs';
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (loadedExtras ??= require(file) as typeof Extras);
}
import { resourceStoreKey } from '../core/mcp.js';
import { untrustedFolder } from '../core/folder-trust.js';
import type { Credentials } from '../core/credentials.js';
import { checkBinding, storedBinding } from '../core/binding.js';
import { deadSignIn, toAccessToken } from '../flows/credentials.js';
import { isKeyringMarker } from '../adapters/keyring-marker.js';
import { writeOut } from './write-out.js';

const VALUE_FLAGS: Record<
  string,
  'profile' | 'issuer' | 'clientId' | 'redirectUri' | 'caFile' | 'resource' | 'minTtl'
> = {
  '--resource': 'resource',
  '--profile': 'profile',
  '--issuer': 'issuer',
  '--client-id': 'clientId',
  '--redirect-uri': 'redirectUri',
  '--ca-file': 'caFile',
  '--min-ttl': 'minTtl',
};

interface FastArgs {
  flags: ProfileFlags;
  minTtl: number;
  /** The boolean flags given, of those the command takes. */
  switches: Set<string>;
}

/** Parses the command's own flags; undefined for anything else (the full CLI then parses and reports). */
function parseArgs(
  args: string[],
  switchNames: readonly string[],
  options: { minTtl: boolean } = { minTtl: true },
): FastArgs | undefined {
  const flags: ProfileFlags = {};
  let minTtl = DEFAULT_MIN_TTL;
  const switches = new Set<string>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (switchNames.includes(arg)) {
      switches.add(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const key = VALUE_FLAGS[name];
    if (key === undefined && name !== '--scope') return undefined;
    if (key === 'minTtl' && !options.minTtl) return undefined;
    const value = eq > 0 ? arg.slice(eq + 1) : args[++i];
    if (value === undefined || value.startsWith('--')) return undefined;
    if (name === '--scope') flags.scopes = [...(flags.scopes ?? []), value];
    else if (key === 'minTtl') {
      if (!/^\d+(\.\d+)?$/.test(value) || Number(value) <= 0) return undefined;
      minTtl = Number(value);
    } else if (key !== undefined) flags[key] = value;
  }
  return { flags, minTtl, switches };
}

function trustedFolder(dir: string): boolean {
  if (process.platform === 'win32' || process.getuid === undefined) return true;
  try {
    return untrustedFolder(dir, statSync(dir), process.getuid()) === undefined;
  } catch {
    return false;
  }
}

/** A sign-in the fast path may serve or wait for: where it is, and what it holds. */
export interface SignIn {
  paths: KeyturnPaths;
  profile: Profile;
  /** Its key in auth.json (the profile's name, or profile and resource for an MCP server). */
  key: string;
  credentials: Credentials;
}

/**
 * The profile's stored sign-in when the fast path can judge it: file store, bound to the configured
 * provider. Undefined otherwise (keyring entries, damaged entries, another issuer or client, a folder
 * others can write into): the full CLI says what is wrong.
 */
function findSignIn(parsed: FastArgs, env: Record<string, string | undefined>): SignIn | undefined {
  const paths = resolvePaths(env);
  let file: ConfigFile = {};
  if (existsSync(paths.configFile)) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { parse } = require('smol-toml') as { parse: (text: string) => unknown };
      file = parse(readFileSync(paths.configFile, 'utf8')) as ConfigFile;
    } catch {
      return undefined;
    }
  }
  // A credential folder others can write into: the full CLI refuses it with store_insecure.
  if (!trustedFolder(dirname(paths.authFile))) return undefined;
  const name = selectProfileName(file, env, parsed.flags.profile);
  // An MCP server's sign-in is kept under the profile and resource, bound to the server it names.
  const table: unknown =
    file.profiles !== undefined && Object.hasOwn(file.profiles, name) ? file.profiles[name] : undefined;
  const configured =
    typeof table === 'object' && table !== null ? (table as { resource?: unknown }).resource : undefined;
  const resource = parsed.flags.resource ?? (typeof configured === 'string' ? configured : undefined);
  let key = name;
  try {
    if (resource !== undefined) key = resourceStoreKey(name, resource);
  } catch {
    return undefined;
  }
  const credentials = readProfileEntry(paths.authFile, key) as
    (Credentials & { store?: unknown }) | undefined;
  if (typeof credentials !== 'object' || credentials === null) return undefined;
  // A keyring marker stands for its sign-in in every check here; credentialsToServe reads the secret.
  const marker = isKeyringMarker(credentials);
  if (credentials.store !== undefined && !marker) return undefined;
  let profile;
  try {
    // The same resolution as the full CLI's: what the sign-in remembers, config.toml, env, flags.
    profile = resolveProfile(file, env, parsed.flags, { remembered: storedBinding(credentials) });
  } catch {
    return undefined;
  }
  if (profile.store === (marker ? 'file' : 'keyring')) return undefined;
  if (profile.resource !== undefined && resourceStoreKey(profile.name, profile.resource) !== key)
    return undefined;
  const secret = credentials.kind === 'api_key' ? credentials.api_key : credentials.access_token;
  if (typeof secret !== 'string' && !marker) return undefined;
  if (profile.resource !== undefined && (credentials.kind !== 'oauth' || credentials.mcp === undefined))
    return undefined;
  try {
    if (profile.resource === undefined) checkBinding(credentials, profile);
  } catch {
    return undefined;
  }
  return { paths, profile, key, credentials };
}

/**
 * Reads the sign-in again as stored now (another process may have refreshed it); undefined when it is
 * gone, changed kind or provider — or, in the keyring, when its marker in auth.json has not changed
 * since the last read (no refresh yet: the keyring is not asked).
 */
function rereader(
  signIn: SignIn,
  env: Record<string, string | undefined>,
): () => Promise<Credentials | undefined> {
  let marker = isKeyringMarker(signIn.credentials) ? JSON.stringify(signIn.credentials) : undefined;
  return async () => {
    const now = readProfileEntry(signIn.paths.authFile, signIn.key) as
      (Credentials & { store?: unknown }) | undefined;
    if (typeof now !== 'object' || now === null || now.kind !== signIn.credentials.kind) return undefined;
    if (now.issuer !== signIn.credentials.issuer || now.client_id !== signIn.credentials.client_id)
      return undefined;
    if (isKeyringMarker(now)) {
      if (marker === undefined || JSON.stringify(now) === marker) return undefined;
      // Remembered only once the secret agrees with it: a reader between the refresher's two
      // writes (the secret, the marker) reads both again on its next look.
      const credentials = await keyringRead().withKeyringSecret(now, env);
      if (credentials !== undefined) marker = JSON.stringify(now);
      return credentials;
    }
    return now.store === undefined && marker === undefined ? now : undefined;
  };
}

/** Whether credentials can be served as they are: not dead, the access token valid `minTtl` more seconds. */
function servable(credentials: Credentials, minTtl: number): boolean {
  if (credentials.kind !== 'oauth') return true;
  if (deadSignIn(credentials) !== undefined) return false;
  return !needsRefresh(credentials, Math.floor(Date.now() / 1000), minTtl);
}

/** How long the fast path waits for another process's refresh before handing over to the full CLI. */
const STORM_WAIT_MS = 20_000;
/** How often a waiter looks whether the lock's holder is still alive. */
const HOLDER_CHECK_MS = 250;
/** After this long, the waiting is said (the full CLI's words: flows/refresh.ts). */
const WAIT_NOTICE_MS = 1500;

/**
 * A due sign-in in a storm (SPEC: N processes at once cause one refresh): instead of loading the full
 * CLI only to wait on the profile's refresh lock, wait here — re-reading the store while a live process
 * holds the lock — and serve what it stores. When the lock is free, take it: the token still due, the
 * lock is handed to the full CLI, which refreshes under it. Resolves with the credentials to serve, or
 * undefined for the full CLI to take over (the lock handed over when this process holds it).
 */
async function waitForRefresh(
  signIn: SignIn,
  credentials: Credentials,
  usable: (credentials: Credentials) => boolean,
  reread: () => Promise<Credentials | undefined>,
): Promise<Credentials | undefined> {
  const { profile, paths } = signIn;
  if (credentials.kind !== 'oauth' || credentials.refresh_token === undefined) return undefined;
  if (deadSignIn(credentials) !== undefined) return undefined;
  // The full CLI refreshes an MCP server's sign-in under its store key (flows/mcp-login.ts), others
  // under the profile's name: the key either way.
  const path = join(paths.lockDir, `${refreshLockName(signIn.key)}.lock`);
  const { handOver, liveHolder, tryAcquire } = lock();
  const started = Date.now();
  let noticed = false;
  let delay = 5;
  let holder: number | undefined;
  let checkedHolder = 0;
  for (let look = 0; ; look++) {
    // The store first: what the holder stored is served as soon as it is there, even when the
    // holder's release of the lock came first. (The first look: the caller has just read it.)
    if (look > 0) {
      const now = await reread();
      if (now !== undefined && usable(now)) return now;
    }
    // While the lock's holder was seen alive lately, only the store is read; the holder is looked at
    // again when the lock is gone, or every HOLDER_CHECK_MS, and the lock taken (a dead holder's
    // broken) only when nobody alive holds it.
    if (!existsSync(path) || Date.now() - checkedHolder >= HOLDER_CHECK_MS) {
      let taken;
      try {
        const live = liveHolder(path);
        taken = live === undefined ? await tryAcquire(path) : { holder: live };
      } catch {
        return undefined;
      }
      if ('release' in taken) {
        const now = await reread();
        if (now !== undefined && usable(now)) {
          await taken.release();
          return now;
        }
        handOver(path, taken.release);
        return undefined;
      }
      holder = taken.holder.pid;
      checkedHolder = Date.now();
    }
    const waited = Date.now() - started;
    if (waited > STORM_WAIT_MS) return undefined;
    if (!noticed && waited >= WAIT_NOTICE_MS) {
      noticed = true;
      process.stderr.write(
        `waiting for pid ${holder ?? '?'}, which is refreshing the token of profile "${profile.name}"…\n`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(50, delay * 2);
  }
}

/** The credentials to serve now: as stored, or as another process (or the lock's wait) makes them. */
async function credentialsToServe(
  parsed: FastArgs,
  env: Record<string, string | undefined>,
  usable: (credentials: Credentials) => boolean,
): Promise<Credentials | undefined> {
  const signIn = findSignIn(parsed, env);
  if (signIn === undefined) return undefined;
  // In the keyring: served only as the keyring holds it, and agreeing with its marker.
  const credentials = isKeyringMarker(signIn.credentials)
    ? await keyringRead().withKeyringSecret(signIn.credentials, env)
    : signIn.credentials;
  if (credentials === undefined) return undefined;
  if (usable(credentials)) return credentials;
  return waitForRefresh(signIn, credentials, usable, rereader(signIn, env));
}

/** Answers `keyturn token` when the stored token is valid; false means "let the full CLI do it". */
export async function tryFastToken(
  args: string[],
  env: Record<string, string | undefined>,
): Promise<boolean> {
  const parsed = parseArgs(args, ['--json']);
  if (parsed === undefined) return false;
  const credentials = await credentialsToServe(parsed, env, (c) => servable(c, parsed.minTtl));
  if (credentials === undefined) return false;
  const token = toAccessToken(credentials);
  writeOut(parsed.switches.has('--json') ? `${JSON.stringify(token, null, 2)}\n` : `${token.access_token}\n`);
  return true;
}

/** Answers `keyturn credential kubectl` when the token it hands over (id token by default) is valid. */
export async function tryFastKubectl(
  args: string[],
  env: Record<string, string | undefined>,
): Promise<boolean> {
  const parsed = parseArgs(args, ['--access-token']);
  if (parsed === undefined) return false;
  const idToken = !parsed.switches.has('--access-token');
  /** The token kubectl gets, and until when, when it is valid `minTtl` more seconds. */
  const handed = (credentials: Credentials): { token: string; expiresAt?: number } | undefined => {
    if (credentials.kind !== 'oauth' || !servable(credentials, parsed.minTtl)) return undefined;
    if (!idToken) return { token: credentials.access_token, expiresAt: credentials.expires_at };
    if (credentials.id_token === undefined) return undefined;
    const exp = jwtTimes(credentials.id_token)?.exp;
    if (exp === undefined || exp - Math.floor(Date.now() / 1000) <= parsed.minTtl) return undefined;
    return { token: credentials.id_token, expiresAt: exp };
  };
  const credentials = await credentialsToServe(parsed, env, (c) => handed(c) !== undefined);
  const answer = credentials === undefined ? undefined : handed(credentials);
  if (answer === undefined) return false;
  writeOut(execCredential(execCredentialVersion(env.KUBERNETES_EXEC_INFO), answer.token, answer.expiresAt));
  return true;
}

/**
 * Answers `keyturn status` for a sign-in in auth.json when the full CLI would open the file store
 * without asking the keyring: `store = "file"`, or `auto` with a recent verdict that no keyring is
 * usable here (its reason is the store's note). The report is flows/status.ts's, printed through the
 * same gate (core/sanitize.ts) as the full CLI's output; anything else goes to the full CLI.
 */
export async function tryFastStatus(
  args: string[],
  env: Record<string, string | undefined>,
): Promise<boolean> {
  const parsed = parseArgs(args, ['--json'], { minTtl: false });
  const signIn = parsed === undefined ? undefined : findSignIn(parsed, env);
  if (parsed === undefined || signIn === undefined || signIn.key !== signIn.profile.name) return false;
  return extras().fastStatus(signIn, parsed.switches.has('--json'), env);
}

async function answeredFast(argv: string[], env: Record<string, string | undefined>): Promise<boolean> {
  if (argv[0] === 'status') return tryFastStatus(argv.slice(1), env);
  if (argv[0] === 'token') return tryFastToken(argv.slice(1), env);
  if (argv[0] === 'credential' && argv[1] === 'kubectl') return tryFastKubectl(argv.slice(2), env);
  return false;
}

/**
 * V8's budget before a hot WebAssembly function is recompiled by its optimising tier, raised so far
 * that a command's few requests never reach it. undici parses HTTP with llhttp compiled to
 * WebAssembly; after a request or two V8 starts recompiling it in the background, and Node waits for
 * that work before the process may exit: about 100 ms of CPU and of wall time added to every command
 * that makes a request (a refresh, a sign-in), after its answer is printed (bench/refresh-storm.mjs).
 * The baseline tier (Liftoff) parses a token response as well. Set for this executable only, never by
 * the library, and before the CLI loads undici.
 */
const WASM_TIERING_BUDGET = '--wasm-tiering-budget=1000000000';
/**
 * The V8 versions known to have that flag (checked: 11 in Node 20, 12 in Node 22, 13 in Node 24).
 * V8 prints an error for a flag it does not know, so a later one is left alone.
 */
const WASM_TIERING_V8_MAJORS = [11, 12, 13];

function loadCli(): void {
  if (WASM_TIERING_V8_MAJORS.includes(Number(process.versions.v8.split('.')[0]))) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    (require('node:v8') as typeof V8).setFlagsFromString(WASM_TIERING_BUDGET);
  }
  // A variable specifier: the bundler leaves this import to Node, which loads the ESM CLI beside us.
  const cli = './cli.js';
  import(cli).catch((error: unknown) => {
    process.stderr.write(`error[internal]: ${String(error)}\n`);
    process.exitCode = 1;
  });
}

answeredFast(process.argv.slice(2), process.env).then(
  (answered) => {
    if (!answered) loadCli();
  },
  (error: unknown) => {
    let reported = false;
    try {
      reported = extras().reportedKeyringFailure(error, process.argv, process.env);
    } catch {
      reported = false;
    }
    if (!reported) loadCli();
  },
);
