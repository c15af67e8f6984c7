import type { Profile } from '../core/config.js';
import { bindingOf } from '../core/binding.js';
import { credentialsFromTokenResponse } from '../core/expiry.js';
import { isIssuerTemplate } from '../core/providers.js';
import type { OAuthCredentials } from '../core/credentials.js';
import type { CredentialStore } from '../core/store.js';
import type { TokenSet } from '../core/ports.js';
import { emit, nowSeconds, type Deps } from './deps.js';

/** What a successful sign-in (browser or device) reports: who, where, until when; never a secret. */
export interface LoginResult {
  profile: string;
  issuer: string;
  subject?: string;
  email?: string;
  name?: string;
  /** When the access token expires, in seconds since the epoch. */
  expires_at?: number;
  store: string;
}

/**
 * The common end of every OAuth sign-in: keeps the id_token claims `status` shows, stores the
 * credentials for the profile with the provider configuration they were issued under (so the
 * profile is complete from then on, and its tokens go nowhere else), and reports who signed in
 * (OIDC Core §2, RFC 6749 §5.1).
 */
export async function storeSignIn(
  deps: Deps,
  profile: Profile & { clientId: string },
  issuer: string,
  tokens: TokenSet,
  store: CredentialStore,
): Promise<LoginResult> {
  const idClaims = tokens.claims;
  const claims: NonNullable<OAuthCredentials['claims']> = {};
  for (const key of ['sub', 'email', 'name', 'preferred_username'] as const) {
    const value = idClaims?.[key];
    if (typeof value === 'string') claims[key] = value;
  }
  // A template issuer (Entra's `{tenantid}`) is not an issuer: the sign-in stays bound to the one the
  // profile names, and the user is told the tenant's own, from the id token (openid-client checked it).
  const template = isIssuerTemplate(issuer);
  const bound = template && profile.issuer !== undefined ? profile.issuer : issuer;
  const shown = template && typeof idClaims?.iss === 'string' ? idClaims.iss : issuer;
  const credentials = credentialsFromTokenResponse(
    tokens,
    {
      issuer: bound,
      client_id: profile.clientId,
      claims,
      provider: bindingOf(profile),
      ...(profile.mcp === undefined ? {} : { mcp: profile.mcp }),
    },
    nowSeconds(deps),
  );
  await store.put(profile.name, credentials);
  deps.output.step('Store', `saved the tokens for profile "${profile.name}" in ${store.location}`);
  emit(deps, { type: 'signed_in', profile: profile.name, subject: claims.sub ?? null });
  const outcome: LoginResult = { profile: profile.name, issuer: shown, store: store.kind };
  if (claims.sub !== undefined) outcome.subject = claims.sub;
  if (claims.email !== undefined) outcome.email = claims.email;
  if (claims.name !== undefined) outcome.name = claims.name;
  if (credentials.expires_at !== undefined) outcome.expires_at = credentials.expires_at;
  return outcome;
}
