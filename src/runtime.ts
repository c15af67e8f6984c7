import { resolvePaths, type KeyturnPaths } from './adapters/paths.js';
import type { Deps, Output } from './flows/deps.js';

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
): Deps {
  return {
    env,
    now: () => Date.now(),
    sleep,
    random: Math.random,
    paths,
    output,
    store: async (profile) => {
      const { openStore } = await import('./adapters/store-factory.js');
      return openStore(profile, paths, { env, output });
    },
    http: async (profile, options = {}) => {
      const { createHttpClient } = await import('./adapters/http.js');
      return createHttpClient({
        env,
        ...(profile.caFile === undefined ? {} : { caFile: profile.caFile }),
        ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
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
