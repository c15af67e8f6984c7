/**
 * Keycloak as documented, on loopback: a realm's OIDC endpoints under /realms/{realm}/protocol/openid-connect.
 *
 * @see https://www.keycloak.org/securing-apps/oidc-layers (endpoints: auth, token, auth/device,
 *   revoke, certs, userinfo; the issuer is the realm URL)
 * @see https://www.keycloak.org/docs/latest/server_admin/#device-authorization-grant (device grant;
 *   polling answers 400 authorization_pending / slow_down / access_denied / expired_token)
 * Token endpoint errors as Keycloak's TokenEndpoint answers them (400 `invalid_grant` "Code not valid",
 *   "Token is not active" for a dead refresh token; 401 `unauthorized_client` "Invalid client or Invalid
 *   client credentials"); an unknown client or redirect URI is a 400 error page ("Client not found.",
 *   "Invalid parameter: redirect_uri"); an unknown scope is redirected back as error=invalid_scope.
 */
import { html, json, redirect, type ClientRegistration } from './base.js';
import { startOidcStandIn, type Dialect, type OidcStandIn } from './oidc-engine.js';

const REALM = '/realms/acme';
const OIDC = `${REALM}/protocol/openid-connect`;

const errorPage = (message: string) =>
  html(
    400,
    `<!DOCTYPE html><html><head><title>Sign in to acme</title></head><body><div id="kc-content"><div class="alert-error"><span class="kc-feedback-text">${message}</span></div><h1 id="kc-page-title">We are sorry...</h1></div></body></html>`,
  );

export const KEYCLOAK: Dialect = {
  paths: {
    discovery: `${REALM}/.well-known/openid-configuration`,
    authorize: `${OIDC}/auth`,
    token: `${OIDC}/token`,
    device: `${OIDC}/auth/device`,
    revoke: `${OIDC}/revoke`,
    jwks: `${OIDC}/certs`,
    userinfo: `${OIDC}/userinfo`,
    activate: `${REALM}/device`,
  },
  issuer: (base) => `${base}${REALM}`,
  scopesSupported: [
    'openid',
    'offline_access',
    'profile',
    'email',
    'address',
    'phone',
    'roles',
    'web-origins',
    'acr',
    'microprofile-jwt',
    'basic',
    'organization',
  ],
  discoveryExtra: () => ({ authorization_response_iss_parameter_supported: true }),
  error(kind) {
    switch (kind) {
      case 'authorization_pending':
        return json(400, {
          error: 'authorization_pending',
          error_description: 'The authorization request is still pending',
        });
      case 'slow_down':
        return json(400, { error: 'slow_down', error_description: 'Slow down' });
      case 'access_denied':
        return json(400, { error: 'access_denied', error_description: 'Takes precedence over other errors' });
      case 'expired_token':
        return json(400, { error: 'expired_token', error_description: 'Device code is expired' });
      case 'bad_code':
        return json(400, { error: 'invalid_grant', error_description: 'Code not valid' });
      case 'bad_refresh_token':
        return json(400, { error: 'invalid_grant', error_description: 'Token is not active' });
      case 'invalid_client':
        return json(401, {
          error: 'unauthorized_client',
          error_description: 'Invalid client or Invalid client credentials',
        });
      case 'unsupported_grant_type':
        return json(400, { error: 'unsupported_grant_type', error_description: 'Unsupported grant_type' });
    }
  },
  idTokenClaims: (clientId) => ({
    typ: 'ID',
    azp: clientId,
    preferred_username: 'alice',
    email_verified: true,
  }),
  tokenExtra: { refresh_expires_in: 1800, 'not-before-policy': 0, session_state: 'c0ffee' },
  deviceResponse: (grant, base) => ({
    device_code: grant.deviceCode,
    user_code: grant.userCode,
    verification_uri: `${base}${REALM}/device`,
    verification_uri_complete: `${base}${REALM}/device?user_code=${grant.userCode}`,
    expires_in: 600,
    interval: grant.interval,
  }),
  rotatesRefreshTokens: true,
  refreshNeedsOfflineAccess: false,
  authorizeRefusal: (kind) =>
    errorPage(kind === 'unknown_client' ? 'Client not found.' : 'Invalid parameter: redirect_uri'),
  invalidScope: (redirectUri, state) => {
    redirectUri.searchParams.set('error', 'invalid_scope');
    redirectUri.searchParams.set('error_description', 'Invalid scopes: openid unknown');
    if (state !== null) redirectUri.searchParams.set('state', state);
    return redirect(redirectUri.href);
  },
  loopbackAnyPort: false,
};

export function startKeycloak(
  client: ClientRegistration,
  options: { interval?: number } = {},
): Promise<OidcStandIn> {
  return startOidcStandIn(KEYCLOAK, client, options);
}
