import { readConfigFile } from '../adapters/config-file.js';
import { resolvePaths, type KeyturnPaths } from '../adapters/paths.js';
import { resolveProfile, type Profile, type ProfileFlags } from '../core/config.js';
import type { Deps } from '../flows/deps.js';
import { createDeps } from '../runtime.js';
import { createOutput, type CliOutput } from './output.js';

/** Options every command accepts. */
export interface CommonOptions {
  profile?: string;
  issuer?: string;
  clientId?: string;
  scope?: string[];
  redirectUri?: string;
  caFile?: string;
  json?: boolean;
}

export interface CommandContext {
  deps: Deps;
  output: CliOutput;
  json: boolean;
  paths: KeyturnPaths;
  profile(): Promise<Profile>;
  signal: AbortSignal;
}

/** The composition root: the only place that builds the real side effects. */
export function createContext(
  options: CommonOptions,
  signal: AbortSignal,
  extra: { narrate?: boolean; env?: Record<string, string | undefined> } = {},
): CommandContext {
  const env = extra.env ?? process.env;
  const json = options.json === true;
  const output = createOutput({
    json,
    narrate: extra.narrate === true,
    debug: env.KEYTURN_DEBUG === '1',
    env,
  });
  const paths = resolvePaths(env);
  const flags: ProfileFlags = {};
  if (options.profile !== undefined) flags.profile = options.profile;
  if (options.issuer !== undefined) flags.issuer = options.issuer;
  if (options.clientId !== undefined) flags.clientId = options.clientId;
  if (options.scope !== undefined) flags.scopes = options.scope;
  if (options.redirectUri !== undefined) flags.redirectUri = options.redirectUri;
  if (options.caFile !== undefined) flags.caFile = options.caFile;
  let profile: Promise<Profile> | undefined;
  const deps = createDeps(env, output, paths);
  return {
    deps,
    output,
    json,
    paths,
    signal,
    profile: () =>
      (profile ??= readConfigFile(paths.configFile).then((file) => resolveProfile(file, env, flags))),
  };
}
