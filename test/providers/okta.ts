/**
 * Okta's custom authorization server ("default") as documented, on loopback.
 *
 * @see https://developer.okta.com/docs/api/openapi/okta-oauth/guides/overview/ (endpoints
 *   /oauth2/default/v1/authorize, token, device/authorize, revoke, keys, userinfo; issuer
 *   https://{yourOktaDomain}/oauth2/default)
 * @see https://developer.okta.com/docs/guides/device-authorization-grant/main/ (device response with
 *   verification_uri …/activate, expires_in 600; polling errors with 400)
 * @see https://developer.okta.com/docs/reference/error-codes/ and the token endpoint's documented
 *   answers: 400 invalid_grant "The authorization code is invalid or has expired." / "The refresh token
 *   is invalid or expired.", 401 invalid_client "Client authentication failed. …"; a refresh token only
 *   with the offline_access scope; an unregistered redirect URI is an error page ("The
 *   'redirect_uri' parameter must be a Login redirect URI in the client app settings").
 */
import { html, json, type ClientRegistration } from './base.js';
import { startOidcStandIn, type Dialect, type OidcStandIn } from './oidc-engine.js';

const AS = '/oauth2/default';

const errorPage = (code: string, description: string) =>
  html(
    400,
    `<!DOCTYPE html><html><head><title>Okta - 400 Bad Request</title></head><body><h2>400 Bad Request</h2><p>Identity Provider: Unknown</p><p>Error Code: ${code}</p><p>Description: ${description}</p></body></html>`,
  );

export const OKTA: Dialect = {
  paths: {
    discovery: `${AS}/.well-known/openid-configuration`,
    authorize: `${AS}/v1/authorize`,
    token: `${AS}/v1/token`,
    device: `${AS}/v1/device/authorize`,
    revoke: `${AS}/v1/revoke`,
    jwks: `${AS}/v1/keys`,
    userinfo: `${AS}/v1/userinfo`,
    activate: '/activate',
  },
  issuer: (base) => `${base}${AS}`,
  scopesSupported: ['openid', 'profile', 'email', 'address', 'phone', 'offline_access', 'device_sso'],
  error(kind) {
    switch (kind) {
      case 'authorization_pending':
        return json(400, {
          error: 'authorization_pending',
          error_description: 'The device authorization is pending. Please try again later.',
        });
      case 'slow_down':
        return json(400, { error: 'slow_down', error_description: 'The client is polling too frequently.' });
      case 'access_denied':
        return json(400, {
          error: 'access_denied',
          error_description: 'The resource owner or authorization server denied the request.',
        });
      case 'expired_token':
        return json(400, { error: 'expired_token', error_description: 'The device code is expired.' });
      case 'bad_code':
        return json(400, {
          error: 'invalid_grant',
          error_description: 'The authorization code is invalid or has expired.',
        });
      case 'bad_refresh_token':
        return json(400, {
          error: 'invalid_grant',
          error_description: 'The refresh token is invalid or expired.',
        });
      case 'invalid_client':
        return json(401, {
          error: 'invalid_client',
          error_description:
            'Client authentication failed. Either the client or the client credentials are invalid.',
        });
      case 'unsupported_grant_type':
        return json(400, {
          error: 'unsupported_grant_type',
          error_description: 'The authorization grant type is not supported by the authorization server.',
        });
    }
  },
  idTokenClaims: () => ({
    ver: 1,
    idp: '00o1',
    preferred_username: 'alice@example.test',
    auth_time: Math.floor(Date.now() / 1000),
    amr: ['pwd'],
  }),
  deviceResponse: (grant, base) => ({
    device_code: grant.deviceCode,
    user_code: grant.userCode.replace('-', ''),
    verification_uri: `${base}/activate`,
    verification_uri_complete: `${base}/activate?user_code=${grant.userCode.replace('-', '')}`,
    expires_in: 600,
    interval: grant.interval,
  }),
  rotatesRefreshTokens: true,
  refreshNeedsOfflineAccess: true,
  authorizeRefusal: (kind) =>
    kind === 'unknown_client'
      ? errorPage('invalid_client', 'Invalid value for &#39;client_id&#39; parameter.')
      : errorPage(
          'invalid_request',
          'The &#39;redirect_uri&#39; parameter must be a Login redirect URI in the client app settings: https://example-admin.okta.com/admin/app/oidc_client/instance/0oa#tab-general',
        ),
  loginPath: '/login/login.htm',
  loopbackAnyPort: false,
};

export function startOkta(
  client: ClientRegistration,
  options: { interval?: number } = {},
): Promise<OidcStandIn> {
  return startOidcStandIn(OKTA, client, options);
}
