/**
 * An Auth0 tenant as documented, on loopback. Its issuer ends with a slash.
 *
 * @see https://auth0.com/docs/api/authentication (authorize, /oauth/token, /oauth/device/code,
 *   /oauth/revoke, /userinfo, /.well-known/jwks.json; token errors: 403 invalid_grant "Invalid
 *   authorization code" and "Unknown or invalid refresh token.", 401 access_denied/invalid_client)
 * @see https://auth0.com/docs/get-started/authentication-and-authorization-flow/device-authorization-flow/call-your-api-using-the-device-authorization-flow
 *   (device response with verification_uri_complete; while polling: 403 authorization_pending "User has
 *   yet to authorize device code.", 429 slow_down "You are polling faster than the specified interval
 *   of 5 seconds.", 403 expired_token, 403 access_denied)
 * @see https://auth0.com/docs/secure/tokens/refresh-tokens/refresh-token-rotation (a new refresh token
 *   each time; the old one is invalid after)
 * @see https://auth0.com/docs/authenticate/login/auth0-universal-login (the authorization request
 *   redirects to /u/login)
 */
import { html, json, type ClientRegistration } from './base.js';
import { startOidcStandIn, type Dialect, type OidcStandIn } from './oidc-engine.js';

export const AUTH0: Dialect = {
  paths: {
    discovery: '/.well-known/openid-configuration',
    authorize: '/authorize',
    token: '/oauth/token',
    device: '/oauth/device/code',
    revoke: '/oauth/revoke',
    jwks: '/.well-known/jwks.json',
    userinfo: '/userinfo',
    activate: '/activate',
  },
  issuer: (base) => `${base}/`,
  scopesSupported: [
    'openid',
    'profile',
    'offline_access',
    'name',
    'given_name',
    'family_name',
    'nickname',
    'email',
    'email_verified',
    'picture',
    'created_at',
    'identities',
    'phone',
    'address',
  ],
  discoveryExtra: (base) => ({
    mfa_challenge_endpoint: `${base}/mfa/challenge`,
    end_session_endpoint: `${base}/oidc/logout`,
  }),
  error(kind, interval) {
    switch (kind) {
      case 'authorization_pending':
        return json(403, {
          error: 'authorization_pending',
          error_description: 'User has yet to authorize device code.',
        });
      case 'slow_down':
        return json(429, {
          error: 'slow_down',
          error_description: `You are polling faster than the specified interval of ${interval} seconds.`,
        });
      case 'access_denied':
        return json(403, {
          error: 'access_denied',
          error_description:
            'User cancelled the confirmation prompt or consent page; the code expired; there was an error.',
        });
      case 'expired_token':
        return json(403, {
          error: 'expired_token',
          error_description: 'User has not authorized device code within the expected time.',
        });
      case 'bad_code':
        return json(403, { error: 'invalid_grant', error_description: 'Invalid authorization code' });
      case 'bad_refresh_token':
        return json(403, { error: 'invalid_grant', error_description: 'Unknown or invalid refresh token.' });
      case 'invalid_client':
        return json(401, { error: 'access_denied', error_description: 'Unauthorized' });
      case 'unsupported_grant_type':
        return json(403, {
          error: 'unauthorized_client',
          error_description: 'Grant type not allowed for the client.',
        });
    }
  },
  idTokenClaims: () => ({
    nickname: 'alice',
    picture: 'https://example.test/alice.png',
    updated_at: new Date().toISOString(),
    email_verified: true,
    sid: 'sid-1',
  }),
  deviceResponse: (grant, base) => ({
    device_code: grant.deviceCode,
    user_code: grant.userCode,
    verification_uri: `${base}/activate`,
    expires_in: 900,
    interval: grant.interval,
    verification_uri_complete: `${base}/activate?user_code=${grant.userCode}`,
  }),
  rotatesRefreshTokens: true,
  refreshNeedsOfflineAccess: true,
  authorizeRefusal: (kind) =>
    html(
      400,
      `<!DOCTYPE html><html><head><title>Error</title></head><body><h1>Oops!, something went wrong</h1><p>${kind === 'unknown_client' ? 'invalid_request: Unknown client: the client id is not registered' : 'Callback URL mismatch. The provided redirect_uri is not in the list of allowed callback URLs.'}</p></body></html>`,
    ),
  loginPath: '/u/login',
  loopbackAnyPort: false,
};

export function startAuth0(
  client: ClientRegistration,
  options: { interval?: number } = {},
): Promise<OidcStandIn> {
  return startOidcStandIn(AUTH0, client, options);
}
