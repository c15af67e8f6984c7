/**
 * The `keyturn` executable. CommonJS on purpose: Node starts a CommonJS file without its ESM loader,
 * which is most of the start-up cost left once nothing else loads. `keyturn token` and `keyturn
 * credential kubectl` (which kubectl runs before its requests) with a valid cached token are answered
 * here with one file read; every other case — other commands, refresh, keyring, errors — goes to the
 * full CLI (cli.js), which loads only what its command needs.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { resolvePaths } from '../adapters/paths.js';
import { resolveProfile, selectProfileName, type ConfigFile, type ProfileFlags } from '../core/config.js';
import { needsRefresh, jwtTimes, DEFAULT_MIN_TTL } from '../core/expiry.js';
import { execCredential, execCredentialVersion } from '../core/exec-credential.js';
import { STORE_VERSION } from '../core/store.js';
import { resourceStoreKey } from '../core/mcp.js';
import { untrustedFolder } from '../core/folder-trust.js';
import type { Credentials } from '../core/credentials.js';
import { checkBinding, storedBinding } from '../core/binding.js';
import { deadSignIn, toAccessToken } from '../flows/credentials.js';

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
function parseArgs(args: string[], switchNames: readonly string[]): FastArgs | undefined {
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

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
}

function trustedFolder(dir: string): boolean {
  if (process.platform === 'win32' || process.getuid === undefined) return true;
  try {
    return untrustedFolder(dir, statSync(dir), process.getuid()) === undefined;
  } catch {
    return false;
  }
}

/**
 * The stored credentials when they can be served as they are: file store, bound to the configured
 * provider, not dead, the access token valid for `minTtl` more seconds. Undefined otherwise.
 */
function validCredentials(
  parsed: FastArgs,
  env: Record<string, string | undefined>,
): Credentials | undefined {
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
  const doc = readJson(paths.authFile) as
    { version?: unknown; profiles?: Record<string, Credentials> } | undefined;
  if (doc?.version !== STORE_VERSION || typeof doc.profiles !== 'object' || doc.profiles === null)
    return undefined;
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
  const credentials = Object.hasOwn(doc.profiles, key)
    ? (doc.profiles[key] as Credentials & { store?: unknown })
    : undefined;
  // Keyring entries, damaged entries, another issuer or client, a dead or expiring token: the full CLI
  // says what is wrong, or refreshes.
  if (typeof credentials !== 'object' || credentials === null || credentials.store !== undefined)
    return undefined;
  let profile;
  try {
    // The same resolution as the full CLI's: what the sign-in remembers, config.toml, env, flags.
    profile = resolveProfile(file, env, parsed.flags, { remembered: storedBinding(credentials) });
  } catch {
    return undefined;
  }
  if (profile.store === 'keyring') return undefined;
  if (profile.resource !== undefined && resourceStoreKey(profile.name, profile.resource) !== key)
    return undefined;
  const secret = credentials.kind === 'api_key' ? credentials.api_key : credentials.access_token;
  if (typeof secret !== 'string') return undefined;
  if (profile.resource !== undefined && (credentials.kind !== 'oauth' || credentials.mcp === undefined))
    return undefined;
  try {
    if (profile.resource === undefined) checkBinding(credentials, profile);
  } catch {
    return undefined;
  }
  if (credentials.kind === 'oauth') {
    if (deadSignIn(credentials) !== undefined) return undefined;
    if (needsRefresh(credentials, Math.floor(Date.now() / 1000), parsed.minTtl)) return undefined;
  }
  return credentials;
}

/** Answers `keyturn token` when the stored token is valid; false means "let the full CLI do it". */
export function tryFastToken(args: string[], env: Record<string, string | undefined>): boolean {
  const parsed = parseArgs(args, ['--json']);
  const credentials = parsed === undefined ? undefined : validCredentials(parsed, env);
  if (parsed === undefined || credentials === undefined) return false;
  const token = toAccessToken(credentials);
  process.stdout.write(
    parsed.switches.has('--json') ? `${JSON.stringify(token, null, 2)}\n` : `${token.access_token}\n`,
  );
  return true;
}

/** Answers `keyturn credential kubectl` when the token it hands over (id token by default) is valid. */
export function tryFastKubectl(args: string[], env: Record<string, string | undefined>): boolean {
  const parsed = parseArgs(args, ['--access-token']);
  const credentials = parsed === undefined ? undefined : validCredentials(parsed, env);
  if (parsed === undefined || credentials?.kind !== 'oauth') return false;
  let token = credentials.access_token;
  let expiresAt = credentials.expires_at;
  if (!parsed.switches.has('--access-token')) {
    if (credentials.id_token === undefined) return false;
    token = credentials.id_token;
    expiresAt = jwtTimes(token)?.exp;
    if (expiresAt === undefined || expiresAt - Math.floor(Date.now() / 1000) <= parsed.minTtl) return false;
  }
  process.stdout.write(execCredential(execCredentialVersion(env.KUBERNETES_EXEC_INFO), token, expiresAt));
  return true;
}

function answeredFast(argv: string[], env: Record<string, string | undefined>): boolean {
  if (argv[0] === 'token') return tryFastToken(argv.slice(1), env);
  if (argv[0] === 'credential' && argv[1] === 'kubectl') return tryFastKubectl(argv.slice(2), env);
  return false;
}

if (!answeredFast(process.argv.slice(2), process.env)) {
  // A variable specifier: the bundler leaves this import to Node, which loads the ESM CLI beside us.
  const cli = './cli.js';
  import(cli).catch((error: unknown) => {
    process.stderr.write(`error[internal]: ${String(error)}\n`);
    process.exitCode = 1;
  });
}
