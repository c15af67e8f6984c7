import type { CredentialStore } from '../core/store.js';
import type { Profile } from '../core/config.js';
import type { EnvironmentReport } from '../core/environment.js';
import type { LockPort, OAuthProvider, Output } from '../core/ports.js';
import type { CaSource, HttpClient } from '../adapters/http.js';
import type { KeyturnPaths } from '../adapters/paths.js';
import type { CallbackServer, CallbackServerOptions, PortHolder } from '../adapters/loopback.js';
import type { AppIdentity } from '../core/app.js';
import { describeProgress, type ProgressEvent } from '../core/progress.js';
import type { Probes } from '../adapters/probes/index.js';

export type { Output } from '../core/ports.js';

/**
 * Every side effect a flow may have, in one object: flows import nothing from src/adapters/ but
 * types. Only the composition roots (runtime.ts `createDeps`, for the CLI and the library) build the
 * real one; tests build fakes. Expensive parts are functions so a flow that does not need them does
 * not load them.
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
  /** The profile's credential store (file or OS keyring), chosen and opened. */
  store(profile: Profile): Promise<CredentialStore>;
  /**
   * The HTTP client for a profile. `env` and `caSources` stand in for the process's own proxy and CA
   * settings when the doctor examines another program's sign-in (`doctor --codex`).
   */
  http(
    profile: Profile,
    options?: { timeoutMs?: number; env?: Record<string, string | undefined>; caSources?: CaSource[] },
  ): Promise<HttpClient>;
  /**
   * The profile's provider, configured (discovery, or its explicit endpoints, which win): every
   * OAuth request goes through it. Failures are catalog errors; `timeoutMs` bounds each request.
   */
  oauth(profile: Profile & { clientId: string }, options?: { timeoutMs?: number }): Promise<OAuthProvider>;
  /** The loopback server that receives the browser's authorization response (RFC 8252 §7.3). */
  callbackServer(options: CallbackServerOptions): Promise<CallbackServer>;
  /** A named cross-process lock: `refresh-<profile>` makes a refresh single-flight across processes. */
  lock: LockPort;
  /** SSH, container, WSL, display: what keeps a browser from reaching the loopback callback. */
  environment(): Promise<EnvironmentReport>;
  /** The doctor's probes (DNS, TCP, TLS, proxy, discovery, endpoints, files, ports). */
  probes(): Promise<Probes>;
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
