/**
 * keyturn as a library: sign a tool in to an OAuth 2.0 / OpenID Connect provider and keep it signed in.
 *
 * ```ts
 * import { createClient } from 'keyturn';
 * const client = createClient({ issuer: 'https://id.example.com', clientId: 'my-cli' });
 * await client.login({ onAuthorizationUrl: (url) => console.error(`Open ${url}`) });
 * const { access_token } = await client.getAccessToken();
 * ```
 */
import { resolvePaths } from './adapters/paths.js';
import type { Profile } from './core/config.js';
import type { Output } from './flows/deps.js';
import type { AccessToken } from './flows/token.js';
import type { LoginResult } from './flows/login-browser.js';
import type { StatusReport } from './flows/status.js';
import type { LogoutResult } from './flows/logout.js';
import type { DeviceUserCode } from './flows/login-device.js';
import { createDeps, lazyProfile } from './runtime.js';
import { KEYTURN_APP, appIdentity, settingsEnvironment, type AppIdentity } from './core/app.js';
import { isKeyturnError } from './core/errors.js';

export { KeyturnError, exitCodeFor } from './core/errors.js';
export { CATALOG, type ErrorCode } from './core/catalog.js';
export type { AccessToken, LoginResult, StatusReport, LogoutResult, Profile, Output, DeviceUserCode };

export type { AppIdentity };

export interface ClientOptions {
  /**
   * Your application's name (default `keyturn`): its config and data folders, the callback page,
   * the fixes ("Run `acme login`"), the keyring service and the User-Agent.
   */
  appName?: string;
  /** The command your users type, when it differs from `appName`. */
  command?: string;
  /**
   * Read your own environment variables (`ACME` → `ACME_HOME`, `ACME_PROFILE`, `ACME_STORE`, …).
   * An app with its own name reads no `KEYTURN_*` variable; without a prefix it reads none.
   */
  envPrefix?: string;
  /** Your version, for the User-Agent (`acme/1.2.0`). */
  version?: string;
  /** Profile name in config.toml (default: KEYTURN_PROFILE, default_profile, "default"). */
  profile?: string;
  issuer?: string;
  clientId?: string;
  scopes?: string[];
  redirectUri?: string;
  caFile?: string;
  /** Folder for config.toml, auth.json and locks (default: KEYTURN_HOME, else the platform's folders). */
  home?: string;
  /** Environment to read settings from (default: process.env). */
  env?: Record<string, string | undefined>;
  /** Where progress messages go (default: nowhere). */
  output?: Partial<Output>;
  /** The transport of `client.fetch` (default: the global `fetch`). */
  fetch?: typeof globalThis.fetch;
}

export interface KeyturnClient {
  /** Browser sign-in (authorization code + PKCE on a loopback callback). */
  login(options?: {
    open?: boolean;
    timeoutSeconds?: number;
    onAuthorizationUrl?: (url: string) => void;
    signal?: AbortSignal;
  }): Promise<LoginResult>;
  /** Device sign-in (RFC 8628): `onUserCode` shows the user where to go and which code to enter. */
  loginWithDevice(options: {
    onUserCode: (code: DeviceUserCode) => void;
    timeoutSeconds?: number;
    signal?: AbortSignal;
  }): Promise<LoginResult>;
  /**
   * A valid access token, refreshed first when it expires within `minTtl` seconds (default 60);
   * `forceRefresh` refreshes even a token that looks valid, after an API refused it.
   */
  getAccessToken(options?: {
    minTtl?: number;
    forceRefresh?: boolean;
    signal?: AbortSignal;
  }): Promise<AccessToken>;
  /**
   * `fetch` with the sign-in: sends `Authorization: Bearer` (RFC 6750), refreshes first when the
   * token is due, and on a 401 refreshes and retries once (not a request whose body is a stream).
   */
  fetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response>;
  status(): Promise<StatusReport>;
  logout(options?: { revoke?: boolean }): Promise<LogoutResult>;
}

export function createClient(options: ClientOptions = {}): KeyturnClient {
  const app: AppIdentity =
    options.appName === undefined
      ? KEYTURN_APP
      : appIdentity({
          name: options.appName,
          command: options.command,
          envPrefix: options.envPrefix,
          version: options.version,
        });
  const env = settingsEnvironment(options.env ?? process.env, app);
  if (options.home !== undefined) env.KEYTURN_HOME = options.home;
  const quiet = () => undefined;
  const output: Output = {
    info: options.output?.info ?? quiet,
    warn: options.output?.warn ?? quiet,
    step: options.output?.step ?? quiet,
    debug: options.output?.debug ?? quiet,
  };
  const paths = resolvePaths(env, process.platform, app);
  const deps = createDeps(env, output, paths, app);
  /** Errors reach the author told in their app's words. */
  const told = (error: unknown): never => {
    throw isKeyturnError(error) ? error.forApp(app) : error;
  };
  const getProfile = lazyProfile(env, paths, {
    profile: options.profile,
    issuer: options.issuer,
    clientId: options.clientId,
    scopes: options.scopes,
    redirectUri: options.redirectUri,
    caFile: options.caFile,
  });

  const client: KeyturnClient = {
    async login(loginOptions = {}) {
      const { loginWithBrowser } = await import('./flows/login-browser.js');
      return loginWithBrowser(
        deps,
        {
          profile: await getProfile(),
          timeoutSeconds: loginOptions.timeoutSeconds ?? 300,
          open: loginOptions.open ?? true,
          ...(loginOptions.onAuthorizationUrl === undefined
            ? {}
            : { onAuthorizationUrl: loginOptions.onAuthorizationUrl }),
        },
        loginOptions.signal,
      );
    },
    async loginWithDevice(deviceOptions) {
      const { loginWithDevice } = await import('./flows/login-device.js');
      return loginWithDevice(
        deps,
        {
          profile: await getProfile(),
          timeoutSeconds: deviceOptions.timeoutSeconds ?? 900,
          onUserCode: deviceOptions.onUserCode,
        },
        deviceOptions.signal,
      );
    },
    async getAccessToken(tokenOptions = {}) {
      const { getAccessToken } = await import('./flows/token.js');
      return getAccessToken(
        deps,
        {
          profile: await getProfile(),
          ...(tokenOptions.minTtl === undefined ? {} : { minTtl: tokenOptions.minTtl }),
          ...(tokenOptions.forceRefresh === undefined ? {} : { forceRefresh: tokenOptions.forceRefresh }),
        },
        tokenOptions.signal,
      );
    },
    async fetch(input, init) {
      const { authorizedFetch } = await import('./flows/authorized-fetch.js');
      return authorizedFetch(
        {
          token: ({ forceRefresh, signal }) =>
            client.getAccessToken({ forceRefresh, ...(signal === undefined ? {} : { signal }) }),
          fetch: (request, init) => (options.fetch ?? globalThis.fetch)(request, init),
        },
        input,
        init,
      );
    },
    async status() {
      const { getStatus } = await import('./flows/status.js');
      return getStatus(deps, await getProfile());
    },
    async logout(logoutOptions = {}) {
      const { logout } = await import('./flows/logout.js');
      return logout(deps, { profile: await getProfile(), revoke: logoutOptions.revoke ?? true });
    },
  };
  return tellFor(client, told);
}

/** Every method of the client, with its errors told for the application. */
function tellFor(client: KeyturnClient, told: (error: unknown) => never): KeyturnClient {
  const wrapped: Record<string, unknown> = {};
  for (const [name, method] of Object.entries(client) as [
    string,
    (...args: unknown[]) => Promise<unknown>,
  ][]) {
    wrapped[name] = (...args: unknown[]) => method(...args).catch(told);
  }
  return wrapped as unknown as KeyturnClient;
}
