import type { ErrorCode } from './catalog.js';

/**
 * What real providers say for each cause, as data. A row matches on the OAuth `error` value and/or a
 * pattern in `error_description`; the first matching row wins, so specific rows come first.
 * Facts in our own words; each row is tested in test/unit/providers.test.ts.
 */
export interface ProviderRule {
  provider: string;
  error?: string;
  description?: RegExp;
  code: ErrorCode;
  note: string;
}

export const PROVIDER_RULES: readonly ProviderRule[] = [
  // Microsoft Entra ID: AADSTS codes lead the error_description.
  {
    provider: 'Microsoft Entra',
    description: /AADSTS50011\b/,
    code: 'redirect_uri_mismatch',
    note: 'Entra: the reply URL is not registered for the app (AADSTS50011).',
  },
  {
    provider: 'Microsoft Entra',
    description: /AADSTS500113\b/,
    code: 'redirect_uri_mismatch',
    note: 'Entra: the app has no reply address registered (AADSTS500113).',
  },
  {
    provider: 'Microsoft Entra',
    description: /AADSTS700016\b/,
    code: 'invalid_client',
    note: 'Entra: no app with this client id in the tenant (AADSTS700016).',
  },
  {
    provider: 'Microsoft Entra',
    description: /AADSTS7000215\b/,
    code: 'invalid_client',
    note: 'Entra: the client secret is wrong or expired (AADSTS7000215).',
  },
  {
    provider: 'Microsoft Entra',
    description: /AADSTS7000218\b/,
    code: 'unauthorized_client',
    note: 'Entra: public client flows are off for this app ("Allow public client flows", AADSTS7000218).',
  },
  {
    provider: 'Microsoft Entra',
    description: /AADSTS70011\b/,
    code: 'invalid_scope',
    note: 'Entra: a requested scope is invalid (AADSTS70011).',
  },
  {
    provider: 'Microsoft Entra',
    description: /AADSTS(65001|65004|90094)\b/,
    code: 'access_denied',
    note: 'Entra: consent is missing or was declined; an administrator may have to grant it.',
  },
  {
    provider: 'Microsoft Entra',
    description: /AADSTS53003\b/,
    code: 'access_denied',
    note: 'Entra: blocked by a Conditional Access policy (AADSTS53003).',
  },
  {
    provider: 'Microsoft Entra',
    description: /AADSTS(700082|50173|700084|50133)\b/,
    code: 'refresh_rejected',
    note: 'Entra: the refresh token expired or was invalidated (inactivity or password change).',
  },
  {
    provider: 'Microsoft Entra',
    description: /AADSTS(70008|54005)\b/,
    code: 'invalid_grant',
    note: 'Entra: the authorization code expired or was already redeemed.',
  },
  {
    provider: 'Microsoft Entra',
    description: /AADSTS9002326\b/,
    code: 'unauthorized_client',
    note: 'Entra: the redirect URI is registered as a single-page application; register it under "Mobile and desktop applications" (AADSTS9002326).',
  },
  {
    provider: 'Microsoft Entra',
    description: /AADSTS700025\b/,
    code: 'invalid_client',
    note: 'Entra: the app is a public client, so no client secret may be sent: remove `client_secret` (AADSTS700025).',
  },
  {
    provider: 'Microsoft Entra',
    description: /AADSTS7000112\b/,
    code: 'invalid_client',
    note: 'Entra: the application is disabled in the tenant (AADSTS7000112).',
  },
  {
    provider: 'Microsoft Entra',
    description: /AADSTS(50105|50020)\b/,
    code: 'access_denied',
    note: 'Entra: this account is not assigned to the app or not part of the tenant; an administrator must add it.',
  },
  {
    provider: 'Microsoft Entra',
    error: 'authorization_declined',
    code: 'access_denied',
    note: 'Entra: the user declined the device sign-in (authorization_declined, its word for RFC 8628 access_denied).',
  },
  {
    provider: 'Microsoft Entra',
    description: /AADSTS(50196|50199)\b/,
    code: 'rate_limited',
    note: 'Entra: too many requests in a loop (AADSTS50196).',
  },
  // Google
  {
    provider: 'Google',
    error: 'deleted_client',
    code: 'invalid_client',
    note: 'Google: the OAuth client was deleted.',
  },
  {
    provider: 'Google',
    error: 'org_internal',
    code: 'access_denied',
    note: 'Google: the app is internal to another organisation.',
  },
  {
    provider: 'Google',
    error: 'admin_policy_enforced',
    code: 'access_denied',
    note: "Google: the Workspace administrator's policy blocks this app.",
  },
  {
    provider: 'Google',
    error: 'disabled_client',
    code: 'invalid_client',
    note: 'Google: the OAuth client is disabled.',
  },
  {
    provider: 'Google',
    error: 'invalid_client',
    description: /Invalid client type/i,
    code: 'unauthorized_client',
    note: 'Google: the device flow needs an OAuth client of type "TVs and Limited Input devices".',
  },
  {
    provider: 'Google',
    error: 'invalid_client',
    description: /client was not found/i,
    code: 'invalid_client',
    note: 'Google: no OAuth client with this id.',
  },
  // GitHub answers errors with HTTP 200 and its own codes.
  {
    provider: 'GitHub',
    error: 'incorrect_client_credentials',
    code: 'invalid_client',
    note: 'GitHub: the client id or secret is wrong.',
  },
  {
    provider: 'GitHub',
    error: 'bad_verification_code',
    code: 'invalid_grant',
    note: 'GitHub: the code is wrong or expired.',
  },
  {
    provider: 'GitHub',
    error: 'bad_refresh_token',
    code: 'refresh_rejected',
    note: 'GitHub: the refresh token is invalid or expired.',
  },
  {
    provider: 'GitHub',
    error: 'device_flow_disabled',
    code: 'unauthorized_client',
    note: 'GitHub: device flow is not enabled for this OAuth app.',
  },
  {
    provider: 'GitHub',
    error: 'application_suspended',
    code: 'invalid_client',
    note: 'GitHub: the OAuth app is suspended.',
  },
  {
    provider: 'GitHub',
    error: 'unverified_user_email',
    code: 'access_denied',
    note: 'GitHub: the account has no verified email.',
  },
  // Okta
  {
    provider: 'Okta',
    description: /must be a Login redirect URI/i,
    code: 'redirect_uri_mismatch',
    note: "Okta: add the URI to the app's Sign-in redirect URIs.",
  },
  {
    provider: 'Okta',
    description: /not assigned to the client application/i,
    code: 'access_denied',
    note: 'Okta: the user is not assigned to this app.',
  },
  {
    provider: 'Okta',
    description: /not authorized to use the provided grant type/i,
    code: 'unauthorized_client',
    note: 'Okta: enable the grant type in the app settings.',
  },
  {
    provider: 'Okta',
    description: /client secret supplied for a confidential client is invalid/i,
    code: 'invalid_client',
    note: 'Okta: the client secret is wrong; copy it again from the app settings.',
  },
  {
    provider: 'Okta',
    description: /Policy evaluation failed/i,
    code: 'access_denied',
    note: 'Okta: an access policy of the authorization server denies this client or user.',
  },
  // Auth0
  {
    provider: 'Auth0',
    description: /Service not enabled within domain/i,
    code: 'invalid_scope',
    note: 'Auth0: the API (audience) asked for is not defined in this tenant.',
  },
  {
    provider: 'Auth0',
    description: /Grant type '.*' not allowed for the client/i,
    code: 'unauthorized_client',
    note: "Auth0: enable the grant in the application's Advanced Settings > Grant Types.",
  },
  {
    provider: 'Auth0',
    error: 'invalid_grant',
    description: /Unknown or invalid refresh token/i,
    code: 'refresh_rejected',
    note: 'Auth0: the refresh token is unknown, rotated away or revoked.',
  },
  {
    provider: 'Auth0',
    description: /Callback URL mismatch/i,
    code: 'redirect_uri_mismatch',
    note: "Auth0: add the URI to the application's Allowed Callback URLs.",
  },
  // Keycloak
  {
    provider: 'Keycloak',
    description: /Invalid (parameter: )?redirect_uri/i,
    code: 'redirect_uri_mismatch',
    note: "Keycloak: add the URI to the client's Valid redirect URIs.",
  },
  {
    provider: 'Keycloak',
    description: /not allowed to initiate OAuth 2\.0 Device Authorization Grant/i,
    code: 'unauthorized_client',
    note: 'Keycloak: turn on "OAuth 2.0 Device Authorization Grant" for the client.',
  },
  {
    provider: 'Keycloak',
    error: 'invalid_grant',
    description:
      /(Token|Session) is not active|Session not active|Stale token|Maximum allowed refresh token reuse/i,
    code: 'refresh_rejected',
    note: 'Keycloak: the SSO session ended or the refresh token was reused.',
  },
  {
    provider: 'Keycloak',
    description: /Standard flow is disabled for the client|Client not enabled to retrieve service account/i,
    code: 'unauthorized_client',
    note: 'Keycloak: turn on the flow for the client ("Standard flow" for browser sign-in, "Service accounts").',
  },
  {
    provider: 'Keycloak',
    description: /Invalid scopes?:/i,
    code: 'invalid_scope',
    note: "Keycloak: a requested scope is not among the client's client scopes.",
  },
  {
    provider: 'Keycloak',
    description: /Invalid client( or Invalid client)? credentials|Client not found/i,
    code: 'invalid_client',
    note: 'Keycloak: unknown client or wrong credentials.',
  },
  // oidc-provider (the embedded issuer, and many Node deployments)
  {
    provider: 'oidc-provider',
    error: 'invalid_redirect_uri',
    code: 'redirect_uri_mismatch',
    note: "The URI is not among the client's registered redirect_uris.",
  },
  {
    provider: 'oidc-provider',
    description: /redirect_uri did not match any of the client's registered redirect_uris/i,
    code: 'redirect_uri_mismatch',
    note: "The URI is not among the client's registered redirect_uris.",
  },
  {
    provider: 'generic',
    error: 'invalid_request',
    description:
      /(grant|grant_type|device).*not (allowed|enabled|permitted|authorized) for (this|the) client/i,
    code: 'unauthorized_client',
    note: 'The provider does not allow this grant for the client.',
  },
  {
    provider: 'generic',
    error: 'invalid_request',
    description: /redirect_uri/i,
    code: 'redirect_uri_mismatch',
    note: 'The provider objects to the redirect URI.',
  },
];

export function matchProviderRule(error: string, description: string | undefined): ProviderRule | undefined {
  return PROVIDER_RULES.find(
    (rule) =>
      (rule.error === undefined || rule.error === error) &&
      (rule.description === undefined || (description !== undefined && rule.description.test(description))),
  );
}

/**
 * The scopes to request from a provider: `offline_access` (OIDC Core §11) only where the provider's
 * `scopes_supported` lists it, or lists nothing. Google lists `["openid","email","profile"]` and shows
 * an `invalid_scope` error page for anything else; it gives refresh tokens for `access_type=offline`.
 * `dropped` names what was left out, so that `status` and `doctor` can say no refresh token will come.
 */
export function scopesToRequest(
  scopes: readonly string[],
  scopesSupported: unknown,
): { scopes: string[]; dropped: string[] } {
  if (!Array.isArray(scopesSupported) || scopesSupported.length === 0) {
    return { scopes: [...scopes], dropped: [] };
  }
  const listed = new Set(scopesSupported.filter((s): s is string => typeof s === 'string'));
  const dropped = scopes.filter((s) => s === 'offline_access' && !listed.has(s));
  return { scopes: scopes.filter((s) => !dropped.includes(s)), dropped };
}

/** Said at sign-in (and by `status`/`doctor`) when the provider will give no refresh token. */
export function noRefreshNotice(dropped: readonly string[]): string {
  return `The provider does not list ${dropped.join(', ')} among its scopes: no refresh token will be asked for, so you will sign in again when the access token expires (unless the profile's \`authorize_params\` ask for one the provider's way, e.g. \`access_type = "offline"\` for Google).`;
}

/** What keyturn knows about a provider people sign in to, for `doctor` and the README. */
export interface ProviderKnowledge {
  id: 'github' | 'google' | 'entra' | 'okta' | 'auth0' | 'keycloak' | 'openai';
  name: string;
  /** What differs from the standard, and what keyturn does about it (one line each). */
  notes: string[];
  /** How to get a refresh token where `offline_access` is not the way (or not listed). */
  refreshTokens?: string;
  /** Loopback ports its clients are registered with, in fallback order. */
  ports?: number[];
}

const KNOWLEDGE: Record<ProviderKnowledge['id'], ProviderKnowledge> = {
  github: {
    id: 'github',
    name: 'GitHub',
    notes: [
      'OAuth errors come with HTTP 200 and answers are form-encoded unless JSON is asked for: keyturn asks for JSON and judges answers by their `error` field.',
      'No OpenID Connect: name authorization_endpoint, token_endpoint and device_authorization_endpoint, and GitHub scopes (e.g. "read:user").',
      'OAuth apps: the browser flow needs the client secret (`KEYTURN_CLIENT_SECRET`); the device flow must be enabled in the app settings.',
      'OAuth apps’ tokens never expire and come without a refresh token: valid until revoked. GitHub Apps’ user tokens expire after 8 hours and are refreshed with a refresh token that lives 6 months (`refresh_token_expires_in`).',
    ],
  },
  google: {
    id: 'google',
    name: 'Google',
    notes: [
      'The device flow names its page `verification_url` and polls answer 428 (pending) and 403 (slow_down, access_denied): keyturn reads both.',
      'The device flow needs an OAuth client of type "TVs and Limited Input devices"; desktop and device clients send their client secret (`KEYTURN_CLIENT_SECRET`).',
      '`scopes_supported` lists only openid, email and profile: keyturn leaves `offline_access` out.',
    ],
    refreshTokens:
      'Google gives a refresh token for `access_type = "offline"` (and `prompt = "consent"` to get one again): set them in the profile’s `authorize_params`.',
  },
  entra: {
    id: 'entra',
    name: 'Microsoft Entra ID',
    notes: [
      'The common, organizations and consumers authorities publish the issuer template https://login.microsoftonline.com/{tenantid}/v2.0; each id token’s `iss` is checked against the template with its `tid`.',
      'Device sign-in needs "Allow public client flows" on the app registration; loopback redirect URIs ("http://localhost") match on any port.',
      'Errors carry AADSTS codes in `error_description`; keyturn maps the common ones to catalog codes.',
    ],
  },
  okta: {
    id: 'okta',
    name: 'Okta',
    notes: [
      'Use the authorization server’s issuer (https://YOUR_DOMAIN/oauth2/default), not the org URL, for tokens your APIs accept.',
      'A refresh token needs the Refresh Token grant enabled on the app and the `offline_access` scope; refresh tokens rotate.',
      'The device flow must be enabled as a grant type on the app and on the authorization server’s access policy.',
    ],
  },
  auth0: {
    id: 'auth0',
    name: 'Auth0',
    notes: [
      'The issuer ends with a slash (https://TENANT.auth0.com/): write it so.',
      'Polling answers come with 403 (pending) and 429 (slow_down), and a bad code or refresh token with 403 invalid_grant: judged by their `error` field, never as a block.',
      'For an access token your API accepts, set `authorize_params = { audience = "https://your-api" }`; refresh tokens need "Allow Offline Access" on that API.',
    ],
  },
  keycloak: {
    id: 'keycloak',
    name: 'Keycloak',
    notes: [
      'The issuer is the realm URL (https://HOST/realms/REALM).',
      'Bad client credentials answer `unauthorized_client` with 401; keyturn reads the description ("Invalid client credentials") as invalid_client.',
      'The device grant is a per-client switch ("OAuth 2.0 Device Authorization Grant").',
    ],
  },
  openai: {
    id: 'openai',
    name: 'OpenAI (auth.openai.com)',
    notes: [
      'Its CLI’s client registers the loopback ports 1455 and then 1457: `redirect_port_fallback = [1457]`.',
      'A dead refresh token is named: refresh_token_expired, refresh_token_reused (another process or device refreshed first), refresh_token_invalidated (signed out or password changed): sign in again.',
      'A workspace may be enforced (the Codex CLI’s `forced_chatgpt_workspace_id`): signing in with an account of another workspace is refused.',
    ],
    ports: [1455, 1457],
  },
};

/**
 * Which provider a profile talks to, from its issuer or endpoints' host (or path, for Keycloak's
 * realms); undefined for any other provider, which needs no knowledge to work.
 */
export function identifyProvider(urls: readonly (string | undefined)[]): ProviderKnowledge | undefined {
  for (const raw of urls) {
    if (raw === undefined) continue;
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      continue;
    }
    const host = url.hostname.toLowerCase();
    const is = (domain: string) => host === domain || host.endsWith(`.${domain}`);
    if (host === 'github.com' || (url.pathname.startsWith('/login/oauth/') && host.startsWith('github.')))
      return KNOWLEDGE.github;
    if (is('accounts.google.com') || is('oauth2.googleapis.com')) return KNOWLEDGE.google;
    if (
      is('login.microsoftonline.com') ||
      is('login.microsoftonline.us') ||
      is('login.partner.microsoftonline.cn')
    )
      return KNOWLEDGE.entra;
    if (is('okta.com') || is('oktapreview.com') || is('okta-emea.com')) return KNOWLEDGE.okta;
    if (is('auth0.com')) return KNOWLEDGE.auth0;
    if (host === 'auth.openai.com') return KNOWLEDGE.openai;
    if (/^\/(auth\/)?realms\/[^/]+/.test(url.pathname)) return KNOWLEDGE.keycloak;
  }
  return undefined;
}

/** The knowledge of one provider by its id (README, tests). */
export function providerKnowledge(id: ProviderKnowledge['id']): ProviderKnowledge {
  return KNOWLEDGE[id];
}

/**
 * A discovery `issuer` that is a template rather than an issuer: Entra's multi-tenant authorities
 * (common, organizations, consumers) publish `https://login.microsoftonline.com/{tenantid}/v2.0`, and
 * each id token's `iss` names the user's tenant (its `tid`).
 * @see https://learn.microsoft.com/en-us/entra/identity-platform/v2-protocols-oidc
 */
export function isIssuerTemplate(issuer: string): boolean {
  return issuer.includes('{tenantid}');
}
