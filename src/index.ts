/**
 * keyturn as a library: sign your command-line tool in to an OAuth 2.0 / OpenID Connect provider,
 * keep it signed in, and say precisely why a sign-in fails — in your tool's own name.
 *
 * ```ts
 * import { createClient } from 'keyturn';
 * const client = createClient({ appName: 'acme', issuer: 'https://id.acme.example', clientId: 'acme-cli' });
 * await client.login();
 * const response = await client.fetch('https://api.acme.example/orders');
 * ```
 *
 * Every JSON-shaped result uses snake_case field names (`expires_at`), as the CLI's `--json` does.
 * @packageDocumentation
 */
import { resolvePaths } from './adapters/paths.js';
import { KEYTURN_APP, appIdentity, settingsEnvironment, type AppIdentity } from './core/app.js';
import type { Profile } from './core/config.js';
import type { DoctorReport, Finding, Severity } from './core/diagnosis.js';
import { browserSignInAdvice, type EnvironmentReport } from './core/environment.js';
import { isKeyturnError, type KeyturnError } from './core/errors.js';
import { describeProgress, describeUserCode, type ProgressEvent } from './core/progress.js';
import type { ApiKeyLoginResult } from './flows/login-api-key.js';
import type { DeviceUserCode } from './flows/login-device.js';
import type { LoginResult } from './flows/sign-in-result.js';
import type { LogoutResult } from './flows/logout.js';
import type { Deps, Output } from './flows/deps.js';
import type { StatusReport } from './flows/status.js';
import type { AccessToken } from './flows/token.js';
import { createDeps, lazyProfile } from './runtime.js';

export { KeyturnError, exitCodeFor, isKeyturnError } from './core/errors.js';
export { CATALOG, type ErrorCode } from './core/catalog.js';
export type {
  AccessToken,
  ApiKeyLoginResult,
  AppIdentity,
  DeviceUserCode,
  DoctorReport,
  Finding,
  LoginResult,
  LogoutResult,
  Output,
  Profile,
  ProgressEvent,
  Severity,
  StatusReport,
};

/** The success and failure texts of the page the browser shows after the sign-in. */
export interface CallbackPageTexts {
  /** Shown when the sign-in succeeded (default: "<app> is signed in. You can close this window…"). */
  success?: string;
  /** Shown above the reason when it failed (default: the fix of the failure). */
  failure?: string;
}

/** Options of {@link createClient}. Every one is optional: a client reads config.toml for the rest. */
export interface ClientOptions {
  /**
   * Your application's name (default `keyturn`): it names its config and data folders (XDG on
   * Linux), the callback page, the fixes ("Run `acme login`"), the keyring service and the
   * User-Agent. One path segment: letters, digits, `.`, `_`, `-`.
   */
  appName?: string;
  /** The command your users type, when it differs from `appName` (fixes name it). */
  command?: string;
  /**
   * Read your own environment variables: `'ACME'` reads `ACME_HOME`, `ACME_PROFILE`,
   * `ACME_STORE`, `ACME_CLIENT_SECRET`, … An application with its own `appName` never reads
   * `KEYTURN_*` variables, and without `envPrefix` it reads none of its own.
   */
  envPrefix?: string;
  /** Your application's version, for the User-Agent (`acme/1.0.0`). */
  version?: string;
  /** Profile name in config.toml (default: `<PREFIX>_PROFILE`, `default_profile`, "default"). */
  profile?: string;
  /** The OpenID Connect issuer URL (OIDC Discovery 1.0 reads its endpoints). */
  issuer?: string;
  /** Your OAuth client id (RFC 6749 §2.2): a public client, PKCE protects it. */
  clientId?: string;
  /** Scopes to request (default `openid profile email offline_access`). */
  scopes?: string[];
  /** The loopback redirect URI registered for your client (RFC 8252 §7.3). */
  redirectUri?: string;
  /** An extra PEM CA bundle to trust, added to Node's roots. */
  caFile?: string;
  /** An MCP server's URL (RFC 8707 resource): `fetch` signs in to it from its URL alone. */
  resource?: string;
  /** Secret of a pre-registered client (with `clientId`). */
  clientSecret?: string;
  /** HTTPS URL of this client's metadata document, its client id where the server supports them. */
  clientMetadataUrl?: string;
  /** One folder for config.toml, the credential file and locks; wins over the platform's folders. */
  home?: string;
  /** The environment to read settings from (default: `process.env`). */
  env?: Record<string, string | undefined>;
  /**
   * Where progress lines, warnings and debug lines go (default: nowhere). Events given to
   * `onProgress` are not also written here.
   */
  output?: Partial<Output>;
  /** Every progress event of a sign-in, as data: show them your way. */
  onProgress?: (event: ProgressEvent) => void;
  /** The texts of the page the browser shows when the sign-in ends. */
  callbackPage?: CallbackPageTexts;
  /** The transport of `client.fetch` (default: the global `fetch`). */
  fetch?: typeof globalThis.fetch;
}

/** Where the user is, judged as `keyturn login` and `keyturn doctor` judge it. */
export interface EnvironmentJudgement {
  platform: string;
  /** An SSH session. */
  ssh: boolean;
  /** The kind of container this runs in (`docker`, `podman`, `kubernetes`, `container`), or null. */
  container: string | null;
  /** Windows Subsystem for Linux: the browser and loopback relay live on the Windows side. */
  wsl: boolean;
  /** A graphical session. */
  display: boolean;
  /** The `BROWSER` variable, when set. */
  browser_override: string | null;
  /** Whether opening a browser here makes sense. */
  can_open_browser: boolean;
  /** Whether the browser the user looks at probably cannot reach this machine's loopback callback. */
  browser_elsewhere: boolean;
  /** The sign-in that works from here: the browser, or the device flow (RFC 8628). */
  suggested_login: 'browser' | 'device';
  /** What was found, one sentence each. */
  reasons: string[];
  /** The findings as `doctor` reports them (`no_browser`, `wsl`). */
  findings: { code: 'no_browser' | 'wsl'; detail: string; evidence: Record<string, string | boolean> }[];
  /** What to do instead of the browser sign-in, in your application's words; empty when nothing is in the way. */
  advice: string[];
}

/** A client for one profile: sign in, keep signed in, call APIs, diagnose. */
export interface KeyturnClient {
  /**
   * Browser sign-in: authorization code with PKCE S256, `state` and `nonce`, answered on the
   * loopback redirect (RFC 6749 §4.1, RFC 7636, RFC 8252, RFC 9207). `cancelOther` first stops
   * another sign-in of your application that still waits on the redirect port.
   */
  login(options?: {
    /** Open the system browser (default true, where one can be opened here). */
    open?: boolean;
    timeoutSeconds?: number;
    /** Called with the authorization URL; then it is not also written to `output.info`. */
    onAuthorizationUrl?: (url: string) => void;
    cancelOther?: boolean;
    signal?: AbortSignal;
  }): Promise<LoginResult>;
  /**
   * Device sign-in (RFC 8628): `onUserCode` (or `onProgress`'s `user_code` event, or
   * `output.info`) shows the user where to go and which code to enter.
   */
  loginWithDevice(options?: {
    onUserCode?: (code: DeviceUserCode) => void;
    timeoutSeconds?: number;
    signal?: AbortSignal;
  }): Promise<LoginResult>;
  /** Stores an API key as the profile's credential; `getAccessToken` and `fetch` then send it. */
  loginWithApiKey(key: string): Promise<ApiKeyLoginResult>;
  /**
   * A valid access token, refreshed first when it expires within `minTtl` seconds (default 60;
   * RFC 6749 §6, one refresh across processes); `forceRefresh` refreshes even a token that looks
   * valid, after an API refused it.
   */
  getAccessToken(options?: {
    minTtl?: number;
    forceRefresh?: boolean;
    signal?: AbortSignal;
  }): Promise<AccessToken>;
  /**
   * `fetch` with the sign-in: sends `Authorization: Bearer` (RFC 6750 §2.1), refreshes first when
   * the token is due, and on a 401 refreshes and sends the request once more (not a request whose
   * body is a stream). Hand it to an SDK as its `fetch`.
   * With `resource` (an MCP server), a 401 signs in from the server's URL alone (discovery,
   * registration, the browser) when there is nothing to refresh, a 403 `insufficient_scope` steps up
   * (at most twice per request), and the token goes to the resource's origin only: hand it to the
   * MCP SDK's `StreamableHTTPClientTransport` as its `fetch`.
   */
  fetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response>;
  /** Who is signed in, until when, in which store; `signed_in: false` when nobody is. Never a secret. */
  status(): Promise<StatusReport>;
  /** Revokes the tokens (RFC 7009) unless `revoke: false`, then removes the stored credentials. */
  logout(options?: { revoke?: boolean }): Promise<LogoutResult>;
  /** The findings of `keyturn doctor --json`: environment, store, port, DNS, TCP, TLS, proxy, clock, discovery, token endpoint. */
  doctor(options?: { timeoutSeconds?: number }): Promise<DoctorReport>;
  /** Where the user is (SSH, container, WSL, display) and which sign-in works from here. */
  environment(): Promise<EnvironmentJudgement>;
  /** Stops another sign-in of your application waiting on the redirect port; true when the port is free now. */
  cancelOtherLogin(options?: { signal?: AbortSignal }): Promise<boolean>;
}

/**
 * A client for one profile of your application. Nothing is read or loaded until a method is called.
 * @see https://www.rfc-editor.org/rfc/rfc8252 OAuth 2.0 for Native Apps
 */
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
  const info = options.output?.info ?? quiet;
  const output: Output = {
    info,
    warn: options.output?.warn ?? quiet,
    step: options.output?.step ?? quiet,
    debug: options.output?.debug ?? quiet,
    progress: (event) => show(event),
  };
  /** An event goes to `onProgress` when given, else as a line to `output.info`. */
  const show = (event: ProgressEvent, handled = false): void => {
    if (options.onProgress !== undefined) return options.onProgress(event);
    if (handled) return;
    const line = event.type === 'user_code' ? describeUserCode(event) : describeProgress(event, app);
    if (line !== undefined) info(line);
  };
  const paths = resolvePaths(env, process.platform, app);
  const deps = createDeps(env, output, paths, app);
  /** `deps` whose progress events the caller's own callback may take over from `output.info`. */
  const handing = (handled: (event: ProgressEvent) => boolean): Deps => ({
    ...deps,
    output: { ...output, progress: (event) => show(event, handled(event)) },
  });
  const getProfile = lazyProfile(env, paths, {
    profile: options.profile,
    issuer: options.issuer,
    clientId: options.clientId,
    scopes: options.scopes,
    redirectUri: options.redirectUri,
    caFile: options.caFile,
    resource: options.resource,
  });
  const environment = async () => {
    const { readEnvironment } = await import('./adapters/environment.js');
    return readEnvironment(env);
  };
  const getFullProfile = async (): Promise<Profile> => {
    const profile = await getProfile();
    if (options.clientSecret !== undefined) profile.clientSecret = options.clientSecret;
    if (options.clientMetadataUrl !== undefined) profile.clientMetadataUrl = options.clientMetadataUrl;
    return profile;
  };
  let resourceFetch: KeyturnClient['fetch'] | undefined;

  const client: KeyturnClient = {
    async login(loginOptions = {}) {
      const [{ loginWithBrowser }, profile, here] = await Promise.all([
        import('./flows/login-browser.js'),
        getProfile({ signIn: true }),
        environment(),
      ]);
      const onUrl = loginOptions.onAuthorizationUrl;
      const signIn = () =>
        loginWithBrowser(
          // A URL handed to onAuthorizationUrl is not also written to output.info.
          handing((event) => {
            if (event.type !== 'authorization_url' || onUrl === undefined) return false;
            onUrl(event.url);
            return true;
          }),
          {
            profile,
            timeoutSeconds: loginOptions.timeoutSeconds ?? 300,
            // Where no browser can be opened, do not try: the URL is shown and the sign-in waits.
            open: (loginOptions.open ?? true) && here.canOpenBrowser,
            ...(options.callbackPage === undefined ? {} : { callbackPage: options.callbackPage }),
          },
          loginOptions.signal,
        );
      try {
        return await signIn();
      } catch (error) {
        if (loginOptions.cancelOther !== true || !isKeyturnError(error) || error.code !== 'port_in_use')
          throw error;
        if (!(await cancelWaiting(profile.redirectUri, error, loginOptions.signal))) throw error;
        return signIn();
      }
    },
    async loginWithDevice(deviceOptions = {}) {
      const { loginWithDevice } = await import('./flows/login-device.js');
      const onUserCode = deviceOptions.onUserCode;
      return loginWithDevice(
        // A code handed to onUserCode is not also written to output.info.
        handing((event) => event.type === 'user_code' && onUserCode !== undefined),
        {
          profile: await getProfile({ signIn: true }),
          timeoutSeconds: deviceOptions.timeoutSeconds ?? 900,
          ...(onUserCode === undefined ? {} : { onUserCode }),
        },
        deviceOptions.signal,
      );
    },
    async loginWithApiKey(key) {
      const { loginWithApiKey } = await import('./flows/login-api-key.js');
      return loginWithApiKey(deps, {
        profile: await getProfile({ signIn: true }),
        readSecret: async () => key,
      });
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
      const profile = await getFullProfile();
      if (profile.resource !== undefined) {
        // An MCP server: discovery, sign-in on 401 and step-up on 403 (flows/mcp-fetch.ts).
        if (resourceFetch === undefined) {
          const { createResourceFetch } = await import('./flows/mcp-fetch.js');
          const resource = profile.resource;
          resourceFetch = createResourceFetch(deps, async () => ({ ...(await getFullProfile()), resource }), {
            signIn: { timeoutSeconds: 300, open: true },
            ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
          });
        }
        return resourceFetch(input, init);
      }
      const { authorizedFetch } = await import('./flows/authorized-fetch.js');
      return authorizedFetch(
        {
          token: ({ forceRefresh, signal }) =>
            client.getAccessToken({ forceRefresh, ...(signal === undefined ? {} : { signal }) }),
          fetch: (request, requestInit) => (options.fetch ?? globalThis.fetch)(request, requestInit),
        },
        input,
        init,
      );
    },
    async status() {
      const { getStatusOrSignedOut } = await import('./flows/status.js');
      return getStatusOrSignedOut(deps, await getProfile());
    },
    async logout(logoutOptions = {}) {
      const { logout } = await import('./flows/logout.js');
      return logout(deps, { profile: await getProfile(), revoke: logoutOptions.revoke ?? true });
    },
    async doctor(doctorOptions = {}) {
      const { runDoctor } = await import('./flows/doctor.js');
      const run = await runDoctor(deps, {
        profile: await getProfile(),
        timeoutSeconds: doctorOptions.timeoutSeconds ?? 5,
        ...(options.version === undefined ? {} : { version: options.version }),
      });
      return run.report;
    },
    async environment() {
      const [here, profile] = await Promise.all([environment(), getProfile()]);
      return judge(here, profile.redirectUri, app);
    },
    async cancelOtherLogin(cancelOptions = {}) {
      const profile = await getProfile();
      return cancelWaiting(profile.redirectUri, undefined, cancelOptions.signal);
    },
  };

  /**
   * Asks the sign-in waiting on the redirect port to stop (its callback server's cancel path, which
   * only a keyturn-based sign-in answers) and waits for the port to free.
   */
  async function cancelWaiting(
    redirectUri: string,
    busy: KeyturnError | undefined,
    signal: AbortSignal | undefined,
  ): Promise<boolean> {
    const { cancelWaitingLogin, waitForPortFree } = await import('./adapters/port-holder.js');
    const url = new URL(redirectUri);
    const host = String(busy?.evidence.host ?? url.hostname);
    const port = Number(busy?.evidence.port ?? (url.port || 80));
    if (!(await cancelWaitingLogin(host, port, signal))) return false;
    return waitForPortFree(url.hostname, port, 5_000, (ms) => deps.sleep(ms, signal));
  }

  return tellFor(client, app);
}

/** The environment report in the library's words and snake_case. */
function judge(here: EnvironmentReport, redirectUri: string, app: AppIdentity): EnvironmentJudgement {
  const port = Number(new URL(redirectUri).port || 80);
  return {
    platform: here.platform,
    ssh: here.ssh,
    container: here.container ?? null,
    wsl: here.wsl,
    display: here.display,
    browser_override: here.browserOverride ?? null,
    can_open_browser: here.canOpenBrowser,
    browser_elsewhere: here.browserElsewhere,
    suggested_login: here.browserElsewhere || here.wsl ? 'device' : 'browser',
    reasons: [...here.reasons],
    findings: here.findings.map((finding) => ({ ...finding })),
    advice: browserSignInAdvice(here, port, app.command),
  };
}

/** Every method of the client, with its errors told in the application's words. */
function tellFor(client: KeyturnClient, app: AppIdentity): KeyturnClient {
  const told = (error: unknown): never => {
    throw isKeyturnError(error) ? error.forApp(app) : error;
  };
  const wrapped: Record<string, unknown> = {};
  for (const [name, method] of Object.entries(client) as [
    string,
    (...args: unknown[]) => Promise<unknown>,
  ][]) {
    wrapped[name] = (...args: unknown[]) => method(...args).catch(told);
  }
  return wrapped as unknown as KeyturnClient;
}
