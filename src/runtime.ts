import { resolvePaths, type KeyturnPaths } from './adapters/paths.js';
import type { Deps, Output } from './flows/deps.js';
import { readConfigFile } from './adapters/config-file.js';
import { resolveProfile, type Profile, type ProfileFlags } from './core/config.js';
import { KEYTURN_APP, type AppIdentity } from './core/app.js';

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}

/** The real side effects, built once per process by the CLI's composition root or by createClient(). */
export function createDeps(
  env: Record<string, string | undefined>,
  output: Output,
  paths: KeyturnPaths = resolvePaths(env),
  app: AppIdentity = KEYTURN_APP,
): Deps {
  return {
    app,
    env,
    now: () => Date.now(),
    sleep,
    random: Math.random,
    paths,
    output,
    store: async (profile) => {
      const { openStore } = await import('./adapters/store-factory.js');
      return openStore(profile, paths, { env, output, app });
    },
    http: async (profile, options = {}) => {
      const { createHttpClient } = await import('./adapters/http.js');
      return createHttpClient({
        env: options.env ?? env,
        userAgent: app.userAgent,
        ...(profile.caFile === undefined ? {} : { caFile: profile.caFile }),
        ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
        ...(options.caSources === undefined ? {} : { caSources: options.caSources }),
      });
    },
    openBrowser: async (url) => {
      const { openBrowser } = await import('./adapters/browser.js');
      return openBrowser(url, env);
    },
    findPortHolder: async (port) => {
      const { findPortHolder } = await import('./adapters/port-holder.js');
      return findPortHolder(port);
    },
  };
}

/**
 * The profile these flags select, resolved once and on first use: config.toml is read (and the TOML
 * parser loaded) only by a command that needs the profile.
 */
export function lazyProfile(
  env: Record<string, string | undefined>,
  paths: KeyturnPaths,
  options: { [K in keyof ProfileFlags]?: ProfileFlags[K] | undefined },
): () => Promise<Profile> {
  const flags: ProfileFlags = {};
  for (const [key, value] of Object.entries(options)) {
    if (value !== undefined) (flags as Record<string, unknown>)[key] = value;
  }
  let profile: Promise<Profile> | undefined;
  return () =>
    (profile ??= readConfigFile(paths.configFile).then((file) => resolveProfile(file, env, flags)));
}
