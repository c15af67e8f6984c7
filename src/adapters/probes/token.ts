import type { Profile } from '../../core/config.js';
import { KeyturnError } from '../../core/errors.js';
import { passed, problem, type Finding } from '../../core/diagnosis.js';
import type { HttpClient } from '../http.js';
import { normalisingFetch } from '../oauth-fetch.js';
import { oauthFailure, oidc, type OAuthConfig } from '../oauth.js';
import { severityOf } from './authorization.js';

/**
 * Probes the token endpoint the way a careful engineer does with curl: the authorization-code grant
 * with a made-up code, this client's id (and secret), redirect URI and a PKCE verifier, through the
 * very code path `keyturn login` uses. A healthy provider answers `invalid_grant`; any other answer —
 * `invalid_client`, an HTML 403 from a WAF, a proxy's refusal — is itself the diagnosis.
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.3
 */
export async function probeToken(
  config: OAuthConfig,
  profile: Profile,
  http: HttpClient,
): Promise<Finding[]> {
  const server = config.serverMetadata();
  if (server.token_endpoint === undefined) return [];
  const endpoint = new URL(server.token_endpoint);
  const evidence = {
    url: `${endpoint.origin}${endpoint.pathname}`,
    client_id: config.clientMetadata().client_id,
  };
  // This probe's own client: its last failure (an HTML 403's status, server, excerpt) is read below.
  config[oidc.customFetch] = normalisingFetch(http.fetch) as unknown as oidc.CustomFetch;
  const state = oidc.randomState();
  // The callback a browser would bring back, with a code no provider ever issued.
  const callback = new URL(profile.redirectUri);
  callback.searchParams.set('code', `keyturn-doctor-${oidc.randomState()}`);
  callback.searchParams.set('state', state);
  if (server.authorization_response_iss_parameter_supported === true)
    callback.searchParams.set('iss', server.issuer);
  try {
    await oidc.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: oidc.randomPKCECodeVerifier(),
      expectedState: state,
    });
  } catch (error) {
    const failure = oauthFailure(error, 'token');
    if (failure.code === 'invalid_grant') {
      return [
        passed(
          'token_endpoint',
          `The token endpoint answers a made-up code with invalid_grant, as a healthy provider does`,
          { ...evidence, status: failure.httpStatus, oauth_error: failure.oauthError },
        ),
      ];
    }
    return [problem(failure, severityOf(failure), evidence)];
  }
  return [
    problem(
      new KeyturnError('internal', 'The token endpoint issued tokens for a made-up authorization code.', {
        fix: 'Report this to the provider: its token endpoint does not check authorization codes.',
        evidence,
      }),
      'warning',
    ),
  ];
}
