/**
 * Fake `deps` for flow-level tests: a frozen clock that only `sleep` moves, fixed randomness, an
 * in-memory store with the real transaction semantics, an in-process lock, a scripted provider and
 * a callback server that the "browser" answers. Everything a flow does to the world is recorded.
 */
import { inspectCallback } from '../../../src/core/callback.js';
import { KEYTURN_APP } from '../../../src/core/app.js';
import type { Credentials } from '../../../src/core/credentials.js';
import type { EnvironmentReport } from '../../../src/core/environment.js';
import type {
  AuthorizationChecks,
  DeviceAuthorization,
  LockOptions,
  OAuthProvider,
  ProviderEndpoints,
  TokenSet,
} from '../../../src/core/ports.js';
import type { CredentialStore, CredentialsChange } from '../../../src/core/store.js';
import type {
  CallbackResult,
  CallbackServer,
  CallbackServerOptions,
} from '../../../src/adapters/loopback.js';
import type { Deps } from '../../../src/flows/deps.js';
import type { HttpClient } from '../../../src/adapters/http.js';
import type { Probes } from '../../../src/adapters/probes/index.js';

/** 2026-11-30T08:00:00Z: the frozen "now" of every flow test. */
export const T0 = Date.UTC(2026, 10, 30, 8, 0, 0);

export class MemoryStore implements CredentialStore {
  readonly kind = 'file' as const;
  readonly location = '(memory)';
  readonly profiles = new Map<string, Credentials>();
  /** Called inside every transaction, after the read and before the write: a test's "meanwhile". */
  duringUpdate: (() => void) | undefined;

  async get(profile: string): Promise<Credentials | undefined> {
    return this.profiles.get(profile);
  }

  async put(profile: string, credentials: Credentials): Promise<void> {
    this.profiles.set(profile, structuredClone(credentials));
  }

  async delete(profile: string): Promise<boolean> {
    return this.profiles.delete(profile);
  }

  async update(profile: string, change: CredentialsChange): Promise<Credentials | undefined> {
    const current = this.profiles.get(profile);
    const next = change(current);
    if (next === undefined) return current;
    this.profiles.set(profile, next);
    return next;
  }
}

export interface ProviderScript {
  endpoints?: Partial<ProviderEndpoints>;
  /** Answers of the token endpoint to the code grant, in order (an Error is thrown). */
  codeGrant?: (TokenSet | Error)[];
  /** Answers of the token endpoint to refresh grants, in order (an Error is thrown). */
  refreshGrant?: (TokenSet | Error)[];
  /** Runs inside the refresh request: what else happens in the world meanwhile. */
  duringRefresh?: () => void;
}

export interface Recorded {
  /** Every request the flow made of the provider, in order. */
  requests: { step: string; detail?: unknown }[];
  /** The URLs the flow asked the browser to open. */
  opened: string[];
  /** The pages the callback server answered the browser with. */
  pages: { kind: 'success' | 'failure'; title: string; detail: string }[];
  /** stderr lines, by kind. */
  info: string[];
  warn: string[];
  /** What `sleep` was asked to wait, in ms. */
  slept: number[];
  /** Named locks taken. */
  locks: string[];
  callbackServers: CallbackServerOptions[];
}

/** The probes a test scripts; any other one fails loudly if the flow calls it. */
function scriptedProbes(scripted: Partial<Probes> = {}): Probes {
  return new Proxy(scripted as Probes, {
    get: (target, name: string) => {
      const probe = (target as unknown as Record<string, unknown>)[name];
      // Not a thenable: `await deps.probes()` resolves to the probes themselves.
      if (probe !== undefined || name === 'then') return probe;
      return () => {
        throw new Error(`probe ${name} is not scripted in this test`);
      };
    },
  });
}

/** What the "browser" sends back to the loopback callback, given the authorization URL. */
export type BrowserAnswer = (authorizationUrl: URL) => Record<string, string>;

export function fakeDeps(
  script: ProviderScript = {},
  options: {
    store?: MemoryStore;
    browser?: BrowserAnswer;
    environment?: Partial<EnvironmentReport>;
    probes?: Partial<Probes>;
  } = {},
): { deps: Deps; store: MemoryStore; recorded: Recorded; clock: { now: number } } {
  const clock = { now: T0 };
  const store = options.store ?? new MemoryStore();
  const recorded: Recorded = {
    requests: [],
    opened: [],
    pages: [],
    info: [],
    warn: [],
    slept: [],
    locks: [],
    callbackServers: [],
  };
  const codeAnswers = [...(script.codeGrant ?? [])];
  const refreshAnswers = [...(script.refreshGrant ?? [])];
  const next = (answers: (TokenSet | Error)[], step: string): TokenSet => {
    const answer = answers.shift();
    if (answer === undefined) throw new Error(`the test provider has no answer left for ${step}`);
    if (answer instanceof Error) throw answer;
    return answer;
  };
  let waiting: ((result: CallbackResult) => void) | undefined;
  let answered: CallbackResult | undefined;
  let server: { options: CallbackServerOptions; redirectUri: string } | undefined;

  const provider: OAuthProvider = {
    endpoints: {
      issuer: 'https://id.example.com',
      authorization_endpoint: 'https://id.example.com/authorize',
      token_endpoint: 'https://id.example.com/token',
      revocation_endpoint: 'https://id.example.com/revoke',
      ...script.endpoints,
    },
    // A provider that would redirect back: the pre-flight finds nothing to refuse.
    async preflight() {
      return undefined;
    },
    async newChecks() {
      return { codeVerifier: 'verifier-1', codeChallenge: 'challenge-1', state: 'state-1', nonce: 'nonce-1' };
    },
    authorizationUrl(parameters) {
      const url = new URL(provider.endpoints.authorization_endpoint as string);
      for (const [key, value] of Object.entries(parameters)) url.searchParams.set(key, value);
      return url.toString();
    },
    async authorizationCodeGrant(callbackUrl: URL, checks: AuthorizationChecks) {
      recorded.requests.push({
        step: 'authorization_code',
        detail: { callbackUrl: callbackUrl.href, checks },
      });
      return next(codeAnswers, 'the code grant');
    },
    async refreshTokenGrant(refreshToken) {
      recorded.requests.push({ step: 'refresh_token', detail: refreshToken });
      script.duringRefresh?.();
      return next(refreshAnswers, 'a refresh');
    },
    async deviceAuthorization(): Promise<DeviceAuthorization> {
      throw new Error('not scripted');
    },
    async pollDeviceAuthorization(): Promise<TokenSet> {
      throw new Error('not scripted');
    },
    async revoke(token, hint) {
      recorded.requests.push({ step: 'revoke', detail: { token, hint } });
    },
    async close() {},
  };

  let lockQueue: Promise<unknown> = Promise.resolve();
  const deps: Deps = {
    app: KEYTURN_APP,
    env: {},
    now: () => clock.now,
    async sleep(ms) {
      recorded.slept.push(ms);
      clock.now += ms;
    },
    random: () => 0.5,
    paths: {
      configFile: '/nonexistent/config.toml',
      dataDir: '/nonexistent',
      authFile: '/nonexistent/auth.json',
      lockDir: '/nonexistent',
    },
    output: {
      info: (message) => recorded.info.push(message),
      warn: (message) => recorded.warn.push(message),
      step: () => undefined,
      debug: () => undefined,
    },
    store: async () => store,
    // The doctor's probes get a client to hand around; the fake probes never send anything with it.
    http: async () =>
      ({
        fetch: () => Promise.reject(new Error('flows under test send nothing over plain HTTP')),
        route: () => ({ kind: 'direct' }),
        proxyFor: () => undefined,
        caSources: [],
        observe: () => undefined,
        close: async () => undefined,
      }) as unknown as HttpClient,
    oauth: async () => {
      recorded.requests.push({ step: 'configure' });
      return provider;
    },
    async callbackServer(serverOptions) {
      recorded.callbackServers.push(serverOptions);
      server = { options: serverOptions, redirectUri: serverOptions.redirectUri };
      const fake: CallbackServer = {
        redirectUri: serverOptions.redirectUri,
        port: Number(new URL(serverOptions.redirectUri).port),
        wait: () =>
          new Promise((resolve) => {
            if (answered !== undefined) resolve(answered);
            else waiting = resolve;
          }),
        close: async () => undefined,
        paste: () => ({ accepted: false, reason: 'no terminal in this test' }),
      };
      return fake;
    },
    lock: async <T>(name: string, fn: () => Promise<T>, _options?: LockOptions): Promise<T> => {
      recorded.locks.push(name);
      const run = lockQueue.then(fn);
      lockQueue = run.catch(() => undefined);
      return run;
    },
    environment: async () =>
      ({
        platform: 'linux',
        ssh: false,
        wsl: false,
        display: true,
        canOpenBrowser: true,
        browserElsewhere: false,
        reasons: [],
        findings: [],
        ...options.environment,
      }) as EnvironmentReport,
    async openBrowser(url) {
      recorded.opened.push(url);
      const answer = options.browser;
      if (answer === undefined || server === undefined) return true;
      // The browser comes back to the loopback redirect URI with the provider's answer.
      const redirect = new URL(server.redirectUri);
      const query = new URLSearchParams(answer(new URL(url)));
      const verdict = inspectCallback(
        { method: 'GET', target: `${redirect.pathname}?${query}` },
        redirect.pathname,
        server.options.expectedState,
      );
      if (verdict.kind === 'reject') throw new Error(`the callback rejected the answer: ${verdict.reason}`);
      const currentUrl = new URL(redirect);
      currentUrl.search = verdict.params.toString();
      answered = {
        verdict,
        currentUrl,
        respond: async (kind, title, detail) => {
          recorded.pages.push({ kind, title, detail });
        },
      };
      waiting?.(answered);
      return true;
    },
    findPortHolder: async () => undefined,
    probes: async () => scriptedProbes(options.probes),
  };
  return { deps, store, recorded, clock };
}
