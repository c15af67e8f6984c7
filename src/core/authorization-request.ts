import type { Profile } from './config.js';
import { scopesToRequest } from './providers.js';

export interface AuthorizationChecks {
  redirectUri: string;
  codeChallenge: string;
  state: string;
  nonce: string;
}

/**
 * The parameters of one authorization request (RFC 6749 §4.1.1, RFC 7636 §4.3, OIDC Core §3.1.2.1),
 * the same for `login` and for the doctor's probe of it: the profile's `authorize_params` first, then
 * the protocol's own, which nothing overrides. `offline_access` only where the provider lists it.
 */
export function authorizationParameters(
  profile: Pick<Profile, 'scopes' | 'authorizeParams'>,
  scopesSupported: unknown,
  checks: AuthorizationChecks,
): { parameters: Record<string, string>; droppedScopes: string[] } {
  const { scopes, dropped } = scopesToRequest(profile.scopes, scopesSupported);
  const parameters: Record<string, string> = {
    ...profile.authorizeParams,
    redirect_uri: checks.redirectUri,
    code_challenge: checks.codeChallenge,
    code_challenge_method: 'S256',
    state: checks.state,
  };
  // No scope at all leaves the parameter out (RFC 6749 §3.3: the server's default).
  if (scopes.length > 0) parameters.scope = scopes.join(' ');
  if (scopes.includes('openid')) parameters.nonce = checks.nonce;
  // offline_access needs consent to be asked for at most OIDC providers (OIDC Core §11).
  if (scopes.includes('offline_access') && parameters.prompt === undefined) parameters.prompt = 'consent';
  return { parameters, droppedScopes: dropped };
}
