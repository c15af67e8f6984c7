import type { CredentialStore } from '../core/store.js';
import type { Profile } from '../core/config.js';
import type { CaSource, HttpClient } from '../adapters/http.js';
import type { KeyturnPaths } from '../adapters/paths.js';
import type { PortHolder } from '../adapters/loopback.js';
import type { AppIdentity } from '../core/app.js';
import { describeProgress, type ProgressEvent } from '../core/progress.js';

/** Where progress, narration and warnings go: stderr, never stdout. */
export interface Output {
  info(message: string): void;
  warn(message: string): void;
  /** A step of the sign-in narration (`keyturn demo`); silent otherwise unless verbose. */
  step(title: string, detail: string): void;
  debug(message: string): void;
  /**
   * Progress of a sign-in, as data (the library's `onProgress`). Without it, each event that has a
   * line (core/progress.ts) goes to `info`.
   */
  progress?(event: ProgressEvent): void;
}

/**
 * Every side effect a flow may have, in one object. Only cli/main.ts (and tests) build it.
 * Expensive parts are functions so a flow that does not need them does not load them.
 */
export interface Deps {
  /** Who speaks to the user: every fix, page and folder name takes its names from here. */
  app: AppIdentity;
  env: Record<string, string | undefined>;
  /** Milliseconds since the epoch. */
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  random(): number;
  paths: KeyturnPaths;
  output: Output;
  store(profile: Profile): Promise<CredentialStore>;
  /**
   * The HTTP client for a profile. `env` and `caSources` stand in for the process's own proxy and CA
   * settings when the doctor examines another program's sign-in (`doctor --codex`).
   */
  http(
    profile: Profile,
    options?: { timeoutMs?: number; env?: Record<string, string | undefined>; caSources?: CaSource[] },
  ): Promise<HttpClient>;
  openBrowser(url: string): Promise<boolean>;
  findPortHolder(port: number): Promise<PortHolder | undefined>;
}

/** Tells the user how the sign-in goes: as an event where the output takes them, else as a line. */
export function emit(deps: Pick<Deps, 'output' | 'app'>, event: ProgressEvent): void {
  if (deps.output.progress !== undefined) return deps.output.progress(event);
  const line = describeProgress(event, deps.app);
  if (line !== undefined) deps.output.info(line);
}

export const nowSeconds = (deps: Pick<Deps, 'now'>): number => Math.floor(deps.now() / 1000);
