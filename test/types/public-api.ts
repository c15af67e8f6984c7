/**
 * The public API as an author types it, checked by `tsc` (npm test's typecheck, after the build):
 * it imports `keyturn` by its package name, so it reads the published `exports` and `dist/*.d.ts`.
 * A renamed option, a removed method, a changed result field or event fails this file.
 * Nothing here runs.
 */
import {
  CATALOG,
  KeyturnError,
  createClient,
  exitCodeFor,
  isKeyturnError,
  type AccessToken,
  type ApiKeyLoginResult,
  type AppIdentity,
  type CallbackPageTexts,
  type ClientOptions,
  type DeviceUserCode,
  type DoctorReport,
  type EnvironmentJudgement,
  type ErrorCode,
  type Finding,
  type KeyturnClient,
  type LoginResult,
  type LogoutResult,
  type ProgressEvent,
  type Severity,
  type StatusReport,
} from 'keyturn';

/** `true` when A and B are the same type. */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
/** Fails to compile unless T is `true`. */
type Expect<T extends true> = T;
/** `true` when T has every key K (more keys are fine: adding is not breaking). */
type Has<T, K extends PropertyKey> = [K] extends [keyof T] ? true : false;

// Every option an author may pass today.
const options = {
  appName: 'acme',
  command: 'acme',
  envPrefix: 'ACME',
  version: '1.0.0',
  profile: 'work',
  issuer: 'https://id.acme.example',
  clientId: 'acme-cli',
  scopes: ['openid', 'offline_access'],
  redirectUri: 'http://127.0.0.1:18740/callback',
  caFile: '/etc/acme/ca.pem',
  home: '/tmp/acme',
  env: { ACME_PROFILE: 'work' },
  output: { info: (line: string) => console.error(line), warn: (line: string) => console.error(line) },
  onProgress: (event: ProgressEvent) => void event,
  callbackPage: {
    success: 'Signed in to Acme.',
    failure: 'Acme could not sign you in.',
  } satisfies CallbackPageTexts,
  fetch: globalThis.fetch,
} satisfies ClientOptions;

const client: KeyturnClient = createClient(options);
createClient();

export async function uses(signal: AbortSignal): Promise<void> {
  const login: LoginResult = await client.login({
    open: false,
    timeoutSeconds: 120,
    onAuthorizationUrl: (url: string) => void url,
    cancelOther: true,
    signal,
  });
  const device: LoginResult = await client.loginWithDevice({
    onUserCode: (code: DeviceUserCode) => void code.user_code,
    timeoutSeconds: 600,
    signal,
  });
  await client.loginWithDevice();
  const key: ApiKeyLoginResult = await client.loginWithApiKey('sk-…');
  const token: AccessToken = await client.getAccessToken({ minTtl: 120, forceRefresh: true, signal });
  const response: Response = await client.fetch('https://api.acme.example/orders', {
    method: 'POST',
    body: '{}',
  });
  await client.fetch(new Request('https://api.acme.example/'));
  await client.fetch(new URL('https://api.acme.example/'));
  const status: StatusReport = await client.status();
  const out: LogoutResult = await client.logout({ revoke: false });
  const report: DoctorReport = await client.doctor({ timeoutSeconds: 5 });
  const here: EnvironmentJudgement = await client.environment();
  const freed: boolean = await client.cancelOtherLogin({ signal });
  void [login, device, key, token, response, status, out, report, here, freed];

  // Results: snake_case, as the CLI's JSON.
  const subject: string | undefined = login.subject;
  const expiresAt: number | undefined = login.expires_at;
  const signedIn: boolean = status.signed_in;
  const fix: string | undefined = status.problem?.fix;
  const suggested: 'browser' | 'device' = here.suggested_login;
  const severity: Severity | undefined = report.findings[0]?.severity;
  void [subject, expiresAt, signedIn, fix, suggested, severity];

  // Errors: one class, catalog codes, the exit code of the CLI.
  try {
    await client.getAccessToken();
  } catch (error) {
    if (isKeyturnError(error) && error instanceof KeyturnError) {
      const code: ErrorCode = error.code;
      const said: string = `${error.message} ${error.fix} ${String(error.transient)}`;
      const exit: number = exitCodeFor(error);
      const app: AppIdentity = error.app;
      const other: KeyturnError = error.forApp(app);
      void [code, said, exit, other, CATALOG[code].title];
    }
  }
}

// Progress events: a discriminated union, narrowed by `type`.
export function show(event: ProgressEvent): string {
  switch (event.type) {
    case 'authorization_url':
      return event.url;
    case 'browser_opened':
    case 'browser_failed':
      return event.type;
    case 'user_code':
      return `${event.verification_uri} ${event.user_code} ${event.verification_uri_complete ?? ''} ${event.expires_in} ${event.interval}`;
    case 'waiting':
      return `${event.for} ${event.timeout_seconds}`;
    case 'signed_in':
      return `${event.profile} ${event.subject ?? ''}`;
  }
}

export type Checks = [
  Expect<
    Equal<
      ProgressEvent['type'],
      'authorization_url' | 'browser_opened' | 'browser_failed' | 'user_code' | 'waiting' | 'signed_in'
    >
  >,
  Expect<Has<AccessToken, 'access_token' | 'token_type' | 'expires_at' | 'scope'>>,
  Expect<Equal<AccessToken['expires_at'], number | null>>,
  Expect<Has<LoginResult, 'profile' | 'issuer' | 'subject' | 'email' | 'name' | 'expires_at' | 'store'>>,
  Expect<
    Has<
      StatusReport,
      | 'profile'
      | 'signed_in'
      | 'state'
      | 'kind'
      | 'issuer'
      | 'client_id'
      | 'subject'
      | 'expires_at'
      | 'expires_in'
      | 'has_refresh_token'
      | 'store'
      | 'problem'
    >
  >,
  Expect<Equal<StatusReport['kind'], 'oauth' | 'api_key' | null>>,
  Expect<Has<DoctorReport, 'ok' | 'profile' | 'findings'>>,
  Expect<Has<Finding, 'code' | 'severity' | 'title' | 'detail' | 'fix' | 'evidence'>>,
  Expect<Equal<Severity, 'error' | 'warning' | 'info' | 'ok'>>,
  Expect<Has<LogoutResult, 'profile' | 'revoked' | 'revocation' | 'removed'>>,
  Expect<
    Has<
      DeviceUserCode,
      'verification_uri' | 'verification_uri_complete' | 'user_code' | 'expires_in' | 'interval'
    >
  >,
  Expect<
    Has<
      EnvironmentJudgement,
      | 'ssh'
      | 'container'
      | 'wsl'
      | 'display'
      | 'can_open_browser'
      | 'browser_elsewhere'
      | 'suggested_login'
      | 'reasons'
      | 'findings'
      | 'advice'
    >
  >,
  Expect<Has<ApiKeyLoginResult, 'profile' | 'api_key' | 'store'>>,
  Expect<
    Has<
      typeof CATALOG,
      'not_signed_in' | 'refresh_rejected' | 'port_in_use' | 'no_browser' | 'endpoint_blocked'
    >
  >,
  Expect<Equal<ReturnType<typeof exitCodeFor>, number>>,
];
