import { describe, expect, it } from 'vitest';
import { PROVIDER_RULES, matchProviderRule } from '../../src/core/providers.js';
import { classifyExchange } from '../../src/core/classify.js';

/** What each provider actually says (error, error_description), and the cause it means. */
const SAID: { error: string; description?: string; code: string }[] = [
  // Microsoft Entra
  {
    error: 'authorization_declined',
    description: 'AADSTS70000: The end user denied the authorization request.',
    code: 'access_denied',
  },
  {
    error: 'invalid_request',
    description:
      "AADSTS50011: The redirect URI 'http://localhost:1455/auth/callback' specified in the request does not match the redirect URIs configured for the application.",
    code: 'redirect_uri_mismatch',
  },
  {
    error: 'invalid_request',
    description: 'AADSTS500113: No reply address is registered for the application.',
    code: 'redirect_uri_mismatch',
  },
  {
    error: 'unauthorized_client',
    description: "AADSTS700016: Application with identifier 'abc' was not found in the directory 'contoso'.",
    code: 'invalid_client',
  },
  {
    error: 'invalid_client',
    description: 'AADSTS7000215: Invalid client secret provided.',
    code: 'invalid_client',
  },
  {
    error: 'invalid_client',
    description:
      "AADSTS7000218: The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
    code: 'unauthorized_client',
  },
  {
    error: 'invalid_scope',
    description: "AADSTS70011: The provided value for the input parameter 'scope' is not valid.",
    code: 'invalid_scope',
  },
  {
    error: 'invalid_grant',
    description: 'AADSTS65001: The user or administrator has not consented to use the application.',
    code: 'access_denied',
  },
  {
    error: 'invalid_grant',
    description: 'AADSTS53003: Access has been blocked by Conditional Access policies.',
    code: 'access_denied',
  },
  {
    error: 'invalid_request',
    description:
      "AADSTS9002326: Cross-origin token redemption is permitted only for the 'Single-Page Application' client-type.",
    code: 'unauthorized_client',
  },
  {
    error: 'invalid_client',
    description:
      "AADSTS700025: Client is public so neither 'client_assertion' nor 'client_secret' should be presented.",
    code: 'invalid_client',
  },
  {
    error: 'unauthorized_client',
    description: 'AADSTS7000112: Application is disabled.',
    code: 'invalid_client',
  },
  {
    error: 'invalid_grant',
    description:
      'AADSTS50105: Your administrator has configured the application to block users unless they are specifically granted access.',
    code: 'access_denied',
  },
  {
    error: 'invalid_grant',
    description: 'AADSTS700082: The refresh token has expired due to inactivity.',
    code: 'refresh_rejected',
  },
  {
    error: 'invalid_grant',
    description: 'AADSTS54005: OAuth2 Authorization code was already redeemed.',
    code: 'invalid_grant',
  },
  {
    error: 'invalid_request',
    description:
      'AADSTS50196: The server terminated an operation because it encountered a client request loop.',
    code: 'rate_limited',
  },
  // Google
  { error: 'deleted_client', description: 'The OAuth client was deleted.', code: 'invalid_client' },
  {
    error: 'org_internal',
    description: 'This client is restricted to users within its organization.',
    code: 'access_denied',
  },
  { error: 'admin_policy_enforced', code: 'access_denied' },
  { error: 'disabled_client', description: 'The OAuth client was disabled.', code: 'invalid_client' },
  { error: 'invalid_client', description: 'Invalid client type.', code: 'unauthorized_client' },
  { error: 'invalid_client', description: 'The OAuth client was not found.', code: 'invalid_client' },
  // GitHub (HTTP 200 with an error body)
  {
    error: 'incorrect_client_credentials',
    description: 'The client_id and/or client_secret passed are incorrect.',
    code: 'invalid_client',
  },
  {
    error: 'bad_verification_code',
    description: 'The code passed is incorrect or expired.',
    code: 'invalid_grant',
  },
  {
    error: 'bad_refresh_token',
    description: 'The refresh token passed is incorrect or expired.',
    code: 'refresh_rejected',
  },
  {
    error: 'device_flow_disabled',
    description: 'Device Flow must be explicitly enabled for this App',
    code: 'unauthorized_client',
  },
  {
    error: 'application_suspended',
    description: 'Your application has been suspended.',
    code: 'invalid_client',
  },
  {
    error: 'unverified_user_email',
    description: 'The user must have a verified primary email.',
    code: 'access_denied',
  },
  // Okta
  {
    error: 'invalid_request',
    description: "The 'redirect_uri' parameter must be a Login redirect URI in the client app settings",
    code: 'redirect_uri_mismatch',
  },
  {
    error: 'access_denied',
    description: 'User is not assigned to the client application.',
    code: 'access_denied',
  },
  {
    error: 'unauthorized_client',
    description:
      'The client is not authorized to use the provided grant type. Configured grant types: [authorization_code].',
    code: 'unauthorized_client',
  },
  {
    error: 'invalid_client',
    description: 'The client secret supplied for a confidential client is invalid.',
    code: 'invalid_client',
  },
  {
    error: 'access_denied',
    description: 'Policy evaluation failed for this request, please check the policy configurations.',
    code: 'access_denied',
  },
  // Auth0
  {
    error: 'access_denied',
    description: 'Service not enabled within domain: https://api.example',
    code: 'invalid_scope',
  },
  {
    error: 'unauthorized_client',
    description: "Grant type 'urn:ietf:params:oauth:grant-type:device_code' not allowed for the client.",
    code: 'unauthorized_client',
  },
  { error: 'invalid_grant', description: 'Unknown or invalid refresh token.', code: 'refresh_rejected' },
  {
    error: 'invalid_request',
    description: 'Callback URL mismatch. http://localhost:1455/cb is not in the list',
    code: 'redirect_uri_mismatch',
  },
  // Keycloak
  {
    error: 'invalid_redirect_uri',
    description: 'Invalid parameter: redirect_uri',
    code: 'redirect_uri_mismatch',
  },
  {
    error: 'unauthorized_client',
    description:
      'Client is not allowed to initiate OAuth 2.0 Device Authorization Grant. The flow is disabled for the client.',
    code: 'unauthorized_client',
  },
  { error: 'invalid_grant', description: 'Token is not active', code: 'refresh_rejected' },
  {
    error: 'unauthorized_client',
    description: 'Client not enabled to retrieve service account',
    code: 'unauthorized_client',
  },
  {
    error: 'unauthorized_client',
    description:
      'Client is not allowed to initiate browser login with given response_type. Standard flow is disabled for the client.',
    code: 'unauthorized_client',
  },
  { error: 'invalid_scope', description: 'Invalid scopes: openid bogus', code: 'invalid_scope' },
  {
    error: 'unauthorized_client',
    description: 'Invalid client or Invalid client credentials',
    code: 'invalid_client',
  },
  // oidc-provider
  {
    error: 'invalid_redirect_uri',
    description: "redirect_uri did not match any of the client's registered redirect_uris",
    code: 'redirect_uri_mismatch',
  },
  {
    error: 'invalid_request',
    description: "redirect_uri did not match any of the client's registered redirect_uris",
    code: 'redirect_uri_mismatch',
  },
  // generic phrasings
  {
    error: 'invalid_request',
    description: 'requested grant type is not allowed for this client',
    code: 'unauthorized_client',
  },
  {
    error: 'invalid_request',
    description: 'missing required parameter redirect_uri',
    code: 'redirect_uri_mismatch',
  },
];

describe('the provider table', () => {
  it.each(SAID)('$error "$description" means $code', ({ error, description, code }) => {
    expect(matchProviderRule(error, description)?.code).toBe(code);
    // …and the one classifier says the same at the exchange the row is about: a dead refresh token
    // at a refresh, everything else at the code exchange.
    const phase = code === 'refresh_rejected' ? 'refresh' : 'token';
    expect(
      classifyExchange({ phase, status: 400, oauthError: error, oauthErrorDescription: description }).code,
    ).toBe(code);
  });

  it('has a tested example for every row', () => {
    const used = new Set(SAID.map(({ error, description }) => matchProviderRule(error, description)));
    const untested = PROVIDER_RULES.filter((rule) => !used.has(rule)).map((r) => `${r.provider}: ${r.note}`);
    expect(untested).toEqual([]);
  });

  it('names the provider fact in the message', () => {
    const error = classifyExchange({
      phase: 'authorization',
      status: 400,
      oauthError: 'invalid_request',
      oauthErrorDescription: 'AADSTS50011: The redirect URI does not match.',
    });
    expect(error.message).toContain('reply URL is not registered');
  });

  it('lets a plain OAuth error through when no row knows its words', () => {
    expect(matchProviderRule('invalid_grant', 'grant request is invalid')).toBeUndefined();
  });
});
