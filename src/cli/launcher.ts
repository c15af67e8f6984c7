/**
 * The `keyturn` executable. CommonJS on purpose: Node starts a CommonJS file without its ESM loader,
 * which is most of the start-up cost left once nothing else loads. `keyturn token` with a valid cached
 * token is answered here with one file read; every other case — other commands, refresh, keyring,
 * errors — goes to the full CLI (cli.js), which loads only what its command needs.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolvePaths } from '../adapters/paths.js';
import { resolveProfile, type ConfigFile, type ProfileFlags } from '../core/config.js';
import { needsRefresh, DEFAULT_MIN_TTL } from '../core/expiry.js';
import { STORE_VERSION } from '../core/store.js';
import type { Credentials } from '../core/credentials.js';
import { checkBinding, deadSignIn, toAccessToken } from '../flows/token.js';

const VALUE_FLAGS: Record<string, 'profile' | 'issuer' | 'clientId' | 'redirectUri' | 'caFile' | 'minTtl'> = {
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
  json: boolean;
}

/** Parses `token`'s own flags; undefined for anything else (the full CLI then parses and reports). */
function parseTokenArgs(args: string[]): FastArgs | undefined {
  const flags: ProfileFlags = {};
  let minTtl = DEFAULT_MIN_TTL;
  let json = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '--json') {
      json = true;
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
  return { flags, minTtl, json };
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
}

/** Answers `keyturn token` when the stored token is valid; false means "let the full CLI do it". */
export function tryFastToken(args: string[], env: Record<string, string | undefined>): boolean {
  const parsed = parseTokenArgs(args);
  if (parsed === undefined) return false;
  const paths = resolvePaths(env);
  let file: ConfigFile = {};
  if (existsSync(paths.configFile)) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { parse } = require('smol-toml') as { parse: (text: string) => unknown };
      file = parse(readFileSync(paths.configFile, 'utf8')) as ConfigFile;
    } catch {
      return false;
    }
  }
  let profile;
  try {
    profile = resolveProfile(file, env, parsed.flags);
  } catch {
    return false;
  }
  if (profile.store === 'keyring') return false;
  const doc = readJson(paths.authFile) as
    { version?: unknown; profiles?: Record<string, Credentials> } | undefined;
  if (doc === undefined || doc.version !== STORE_VERSION) return false;
  const credentials =
    doc.profiles !== undefined && Object.hasOwn(doc.profiles, profile.name)
      ? (doc.profiles[profile.name] as Credentials & { store?: unknown })
      : undefined;
  // Keyring entries, damaged entries, another issuer or client, a dead or expiring token: the full CLI
  // says what is wrong, or refreshes.
  if (credentials === undefined || credentials.store !== undefined) return false;
  const secret = credentials.kind === 'api_key' ? credentials.api_key : credentials.access_token;
  if (typeof secret !== 'string') return false;
  try {
    checkBinding(credentials, profile);
  } catch {
    return false;
  }
  if (credentials.kind === 'oauth') {
    if (deadSignIn(credentials) !== undefined) return false;
    if (needsRefresh(credentials, Math.floor(Date.now() / 1000), parsed.minTtl)) return false;
  }
  const token = toAccessToken(credentials);
  process.stdout.write(parsed.json ? `${JSON.stringify(token, null, 2)}\n` : `${token.access_token}\n`);
  return true;
}

if (!(process.argv[2] === 'token' && tryFastToken(process.argv.slice(3), process.env))) {
  // A variable specifier: the bundler leaves this import to Node, which loads the ESM CLI beside us.
  const cli = './cli.js';
  import(cli).catch((error: unknown) => {
    process.stderr.write(`error[internal]: ${String(error)}\n`);
    process.exitCode = 1;
  });
}
