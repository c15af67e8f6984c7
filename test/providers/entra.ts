/**
 * Microsoft Entra ID's v2.0 endpoints as documented, served for the real host name
 * login.microsoftonline.com on loopback (reached through test/providers/connect-proxy.ts, with a
 * test CA): the multi-tenant `common` authority, whose discovery `issuer` is the template
 * `https://login.microsoftonline.com/{tenantid}/v2.0` and whose id tokens carry the user's tenant in
 * `iss` and `tid`.
 *
 * @see https://learn.microsoft.com/en-us/entra/identity-platform/v2-protocols-oidc (discovery document,
 *   `{tenantid}` issuer for common/organizations/consumers, validating `iss` with `tid`)
 * @see https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-auth-code-flow (token
 *   response with ext_expires_in; refresh tokens with offline_access; error bodies with AADSTS codes,
 *   error_codes, trace_id, correlation_id)
 * @see https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-device-code (devicecode
 *   response with `message`; polling errors authorization_pending, authorization_declined,
 *   bad_verification_code, expired_token — all 400)
 * @see https://learn.microsoft.com/en-us/entra/identity-platform/reply-url ("localhost" loopback
 *   redirect URIs match on any port)
 */
import { randomUUID } from 'node:crypto';
import { html, json, type ClientRegistration, type StandInAnswer } from './base.js';
import { startOidcStandIn, type Dialect, type OidcStandIn } from './oidc-engine.js';

export const ENTRA_HOST = 'login.microsoftonline.com';
export const ENTRA_TENANT = '9188040d-6c67-4c5b-b112-36a304b66dad';

function aadError(status: number, error: string, code: number, text: string): StandInAnswer {
  const timestamp = new Date()
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z');
  const trace = randomUUID();
  const correlation = randomUUID();
  return json(status, {
    error,
    error_description: `AADSTS${code}: ${text} Trace ID: ${trace} Correlation ID: ${correlation} Timestamp: ${timestamp}`,
    error_codes: [code],
    timestamp,
    trace_id: trace,
    correlation_id: correlation,
    error_uri: `https://${ENTRA_HOST}/error?code=${code}`,
  });
}

export const ENTRA: Dialect = {
  paths: {
    discovery: '/common/v2.0/.well-known/openid-configuration',
    authorize: '/common/oauth2/v2.0/authorize',
    token: '/common/oauth2/v2.0/token',
    device: '/common/oauth2/v2.0/devicecode',
    revoke: '/common/oauth2/v2.0/logout',
    jwks: '/common/discovery/v2.0/keys',
    userinfo: '/oidc/userinfo',
    activate: '/devicelogin',
  },
  issuer: (base) => `${base}/{tenantid}/v2.0`,
  idTokenIssuer: (base) => `${base}/${ENTRA_TENANT}/v2.0`,
  scopesSupported: ['openid', 'profile', 'email', 'offline_access'],
  discoveryExtra: (base) => ({
    response_modes_supported: ['query', 'fragment', 'form_post'],
    end_session_endpoint: `${base}/common/oauth2/v2.0/logout`,
    tenant_region_scope: null,
    cloud_instance_name: 'microsoftonline.com',
    cloud_graph_host_name: 'graph.windows.net',
    msgraph_host: 'graph.microsoft.com',
    rbac_url: 'https://pas.windows.net',
    kerberos_endpoint: `${base}/common/kerberos`,
    request_uri_parameter_supported: false,
    frontchannel_logout_supported: true,
    http_logout_supported: true,
  }),
  error(kind) {
    switch (kind) {
      case 'authorization_pending':
        return aadError(
          400,
          'authorization_pending',
          70016,
          'OAuth 2.0 device flow error. Authorization is pending. Continue polling.',
        );
      case 'slow_down':
        return aadError(400, 'slow_down', 70016, 'OAuth 2.0 device flow error. Polling too frequently.');
      case 'access_denied':
        return aadError(
          400,
          'authorization_declined',
          70000,
          'The end user denied the authorization request.',
        );
      case 'expired_token':
        return aadError(
          400,
          'expired_token',
          70020,
          'The provided value for the input parameter device_code is expired.',
        );
      case 'bad_code':
        return aadError(
          400,
          'invalid_grant',
          70008,
          'The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.',
        );
      case 'bad_refresh_token':
        return aadError(
          400,
          'invalid_grant',
          700082,
          'The refresh token has expired due to inactivity. The token was issued on 2026-08-01T00:00:00Z and was inactive for 90.00:00:00.',
        );
      case 'invalid_client':
        return aadError(
          400,
          'unauthorized_client',
          700016,
          `Application with identifier 'x' was not found in the directory 'common'.`,
        );
      case 'unsupported_grant_type':
        return aadError(400, 'unsupported_grant_type', 70003, 'The app requested an unsupported grant type.');
    }
  },
  idTokenClaims: () => ({
    ver: '2.0',
    tid: ENTRA_TENANT,
    oid: '00000000-0000-0000-66f3-3332eca7ea81',
    preferred_username: 'alice@example.test',
    aio: 'Df2UVXL1ix',
  }),
  tokenExtra: { ext_expires_in: 3600 },
  deviceResponse: (grant) => ({
    user_code: grant.userCode.replace('-', '').slice(0, 9),
    device_code: grant.deviceCode,
    verification_uri: 'https://microsoft.com/devicelogin',
    expires_in: 900,
    interval: grant.interval,
    message: `To sign in, use a web browser to open the page https://microsoft.com/devicelogin and enter the code ${grant.userCode.replace('-', '').slice(0, 9)} to authenticate.`,
  }),
  deviceCodeGroups: [9],
  rotatesRefreshTokens: true,
  refreshNeedsOfflineAccess: true,
  authorizeRefusal: (kind) =>
    html(
      400,
      `<!DOCTYPE html><html><head><title>Sign in to your account</title></head><body><div id="errorDetails">${kind === 'unknown_client' ? "AADSTS700016: Application with identifier 'x' was not found in the directory 'common'." : 'AADSTS50011: The redirect URI specified in the request does not match the redirect URIs configured for the application.'}</div></body></html>`,
    ),
  loopbackAnyPort: true,
};

export function startEntra(
  client: ClientRegistration,
  tls: { key: string; cert: string },
  options: { interval?: number } = {},
): Promise<OidcStandIn> {
  return startOidcStandIn(ENTRA, client, { ...options, tls, publicBase: `https://${ENTRA_HOST}` });
}
