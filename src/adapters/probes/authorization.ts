import type { Profile } from '../../core/config.js';
import { authorizationParameters } from '../../core/authorization-request.js';
import type { KeyturnError } from '../../core/errors.js';
import { noted, passed, problem, type Finding } from '../../core/diagnosis.js';
import { noRefreshNotice } from '../../core/providers.js';
import {
  readAuthorizationAnswer,
  severityOf,
  type AuthorizationAnswer,
} from '../../core/authorization-answer.js';
import { NetworkError, type HttpClient } from '../http.js';
import { oauthFailure, oidc, type OAuthConfig } from '../oauth.js';

export {
  readAuthorizationAnswer,
  severityOf,
  type AuthorizationAnswer,
} from '../../core/authorization-answer.js';

/**
 * Asks the authorization endpoint for a sign-in with this client's id, redirect URI and scopes, as
 * `keyturn login` would, without following redirects, and reads the answer: catches `invalid_client`,
 * `redirect_uri_mismatch` and `invalid_scope` before a user meets them in the browser.
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.1
 */
export async function probeAuthorization(
  config: OAuthConfig,
  profile: Profile,
  http: HttpClient,
): Promise<Finding[]> {
  const endpoint = config.serverMetadata().authorization_endpoint;
  if (endpoint === undefined) return [];
  const codeChallenge = await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier());
  const { parameters, droppedScopes } = authorizationParameters(
    profile,
    config.serverMetadata().scopes_supported,
    {
      redirectUri: profile.redirectUri,
      codeChallenge,
      state: oidc.randomState(),
      nonce: oidc.randomNonce(),
    },
  );
  const url = oidc.buildAuthorizationUrl(config, parameters);
  const evidence = {
    url: `${url.origin}${url.pathname}`,
    client_id: config.clientMetadata().client_id,
    redirect_uri: profile.redirectUri,
  };
  let answer: AuthorizationAnswer;
  try {
    const response = await http.fetch(url, { redirect: 'manual', headers: { accept: 'text/html' } });
    answer = {
      url: url.href,
      status: response.status,
      body: (await response.text().catch(() => '')).slice(0, 65_536),
      ...optional('location', response.headers.get('location')),
      ...optional('contentType', response.headers.get('content-type')),
      ...optional('server', response.headers.get('server')),
      ...optional('cfMitigated', response.headers.get('cf-mitigated')),
    };
  } catch (error) {
    if (error instanceof NetworkError)
      return [problem(oauthFailure(error, 'authorization'), 'error', evidence)];
    throw error;
  }
  const verdict = readAuthorizationAnswer(answer, profile.redirectUri);
  // A sign-in that will end with the access token: said, not an error (SPEC "Providers as they really answer").
  const noRefresh =
    // Google's own way to a refresh token (`access_type = "offline"`) needs no offline_access.
    droppedScopes.length === 0 || profile.authorizeParams?.access_type === 'offline'
      ? []
      : [
          noted('refresh_token', 'No refresh token will be asked for', noRefreshNotice(droppedScopes), {
            dropped_scopes: droppedScopes,
          }),
        ];
  if ('accepted' in verdict) {
    return [
      ...noRefresh,
      passed(
        'authorization_endpoint',
        `The authorization endpoint accepts client ${evidence.client_id} with redirect URI ${profile.redirectUri}: it ${verdict.accepted}`,
        { ...evidence, status: answer.status },
      ),
    ];
  }
  return [...noRefresh, problem(verdict.refused, severityOf(verdict.refused), evidence)];
}

/** Causes a pre-flight is sure of: a login page would show the user an error instead of signing in. */
const PREFLIGHT_FAILURES = new Set([
  'invalid_client',
  'unauthorized_client',
  'redirect_uri_mismatch',
  'invalid_scope',
]);

/**
 * The pre-flight of `keyturn login`: asks the authorization endpoint for exactly the sign-in the browser
 * will be sent to, without following redirects, and returns the error a provider would show the user
 * on an error page (unknown client, unregistered redirect URI, invalid scope) instead of redirecting
 * back. Anything else — a login page, a redirect to one, a bot challenge, no answer — is left to the
 * browser: undefined.
 */
export async function preflightAuthorization(
  http: HttpClient,
  authorizationUrl: string,
  redirectUri: string,
  timeoutMs = 10_000,
): Promise<KeyturnError | undefined> {
  let answer: AuthorizationAnswer;
  try {
    const response = await http.fetch(authorizationUrl, {
      redirect: 'manual',
      headers: { accept: 'text/html' },
      signal: AbortSignal.timeout(timeoutMs),
    });
    answer = {
      url: authorizationUrl,
      status: response.status,
      body: (await response.text().catch(() => '')).slice(0, 65_536),
      ...optional('location', response.headers.get('location')),
      ...optional('contentType', response.headers.get('content-type')),
      ...optional('server', response.headers.get('server')),
    };
  } catch {
    return undefined;
  }
  const verdict = readAuthorizationAnswer(answer, redirectUri);
  if (
    'refused' in verdict &&
    verdict.refused.oauthError !== undefined &&
    PREFLIGHT_FAILURES.has(verdict.refused.code)
  ) {
    return verdict.refused;
  }
  return undefined;
}

function optional<K extends string>(key: K, value: string | null): Partial<Record<K, string>> {
  return value === null ? {} : ({ [key]: value } as Record<K, string>);
}
