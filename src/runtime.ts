import { join } from 'node:path';
import { resolvePaths, type KeyturnPaths } from './adapters/paths.js';
import type { Deps, Output } from './flows/deps.js';
import { readConfigFile } from './adapters/config-file.js';
import { resolveProfile, selectProfileName, type Profile, type ProfileFlags } from './core/config.js';
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
  const http: Deps['http'] = async (profile, options = {}) => {
    const { createHttpClient } = await import('./adapters/http.js');
    return createHttpClient({
      env: options.env ?? env,
      userAgent: app.userAgent,
      ...(profile.caFile === undefined ? {} : { caFile: profile.caFile }),
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      ...(options.caSources === undefined ? {} : { caSources: options.caSources }),
    });
  };
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
    http,
    oauth: async (profile, options = {}) => {
      const [{ createOAuthProvider }, client] = await Promise.all([
        import('./adapters/oauth.js'),
        http(profile, options),
      ]);
      return createOAuthProvider(profile, client, options);
    },
    callbackServer: async (options) => {
      const { startCallbackServer } = await import('./adapters/loopback.js');
      return startCallbackServer(options);
    },
    lock: async (name, fn, options) => {
      const { withFileLock } = await import('./adapters/lock.js');
      return withFileLock(join(paths.lockDir, `${name}.lock`), fn, options);
    },
    probes: async () => (await import('./adapters/probes/index.js')).probes,
    environment: async () => {
      const { readEnvironment } = await import('./adapters/environment.js');
      return readEnvironment(env);
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

/** How a command asks for its profile: `signIn` when it is about to sign the profile in. */
export type ProfileLoader = (options?: { signIn?: boolean }) => Promise<Profile>;

/**
 * The profile these flags select, resolved once and on first use from config.toml, the environment,
 * the flags and what the profile's stored sign-in remembers (core/config.ts merges them). config.toml
 * is read (and the TOML parser loaded) only by a command that needs the profile.
 */
export function lazyProfile(
  env: Record<string, string | undefined>,
  paths: KeyturnPaths,
  options: { [K in keyof ProfileFlags]?: ProfileFlags[K] | undefined },
): ProfileLoader {
  const flags: ProfileFlags = {};
  for (const [key, value] of Object.entries(options)) {
    if (value !== undefined) (flags as Record<string, unknown>)[key] = value;
  }
  const resolved = new Map<boolean, Promise<Profile>>();
  return (context = {}) => {
    const signIn = context.signIn === true;
    let profile = resolved.get(signIn);
    if (profile === undefined) {
      profile = (async () => {
        const file = await readConfigFile(paths.configFile);
        const { readRememberedBinding } = await import('./adapters/store-factory.js');
        const remembered = await readRememberedBinding(paths, selectProfileName(file, env, flags.profile));
        return resolveProfile(file, env, flags, {
          signIn,
          ...(remembered === undefined ? {} : { remembered }),
        });
      })();
      resolved.set(signIn, profile);
    }
    return profile;
  };
}
