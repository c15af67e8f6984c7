import { resolvePaths, type KeyturnPaths } from '../adapters/paths.js';
import type { Deps } from '../flows/deps.js';
import { createDeps, lazyProfile, type ProfileLoader } from '../runtime.js';
import { createOutput, type CliOutput } from './output.js';

/** Options every command accepts. */
export interface CommonOptions {
  profile?: string;
  issuer?: string;
  clientId?: string;
  scope?: string[];
  redirectUri?: string;
  caFile?: string;
  resource?: string;
  json?: boolean;
}

export interface CommandContext {
  deps: Deps;
  output: CliOutput;
  json: boolean;
  paths: KeyturnPaths;
  /** The profile, resolved once (core/config.ts); `signIn` when the command signs it in. */
  profile: ProfileLoader;
  signal: AbortSignal;
}

export type CommandRunner = (ctx: CommandContext) => Promise<number | void>;

/** What argv asks for: one command's runner and its options (cli/program.ts parses, main.ts runs). */
export interface ParsedCommand {
  options: CommonOptions;
  extra?: { narrate?: boolean };
  runner: CommandRunner;
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
  const deps = createDeps(env, output, paths);
  return {
    deps,
    output,
    json,
    paths,
    signal,
    profile: lazyProfile(env, paths, {
      profile: options.profile,
      issuer: options.issuer,
      clientId: options.clientId,
      scopes: options.scope,
      redirectUri: options.redirectUri,
      caFile: options.caFile,
      resource: options.resource,
    }),
  };
}
