import type { Profile } from '../core/config.js';
import { KeyturnError, isKeyturnError } from '../core/errors.js';
import { requireProvider } from '../core/config.js';
import { checkBinding } from '../core/binding.js';
import type { OAuthProvider } from '../core/ports.js';
import type { Deps } from './deps.js';
import { retrying } from './retry.js';
import { formatUtc } from '../core/duration.js';
import { notSignedIn } from './credentials.js';

/**
 * What a sign-out did: which tokens were revoked at the revocation endpoint (RFC 7009), whether
 * revocation was done, skipped, unsupported by the provider or failed, and whether credentials were removed.
 */
export interface LogoutResult {
  profile: string;
  revoked: string[];
  revocation: 'done' | 'skipped' | 'unsupported' | 'failed';
  removed: boolean;
}

/**
 * Revokes the refresh token, then the access token, at the revocation endpoint (RFC 7009), then
 * removes the profile's credentials. A failed revocation is reported and the credentials are removed
 * all the same: the user asked to be signed out here. The tokens go only to the provider they were
 * issued by (core/binding.ts): a profile that now names another one is refused before any request.
 */
export async function logout(
  deps: Deps,
  input: { profile: Profile; revoke: boolean },
): Promise<LogoutResult> {
  const store = await deps.store(input.profile);
  const credentials = await store.get(input.profile.name);
  if (credentials === undefined) throw notSignedIn(input.profile);
  const result: LogoutResult = {
    profile: input.profile.name,
    revoked: [],
    revocation: 'skipped',
    removed: false,
  };
  if (credentials.kind === 'oauth' && input.revoke) {
    checkBinding(credentials, input.profile);
    const profile = requireProvider({
      ...input.profile,
      issuer: input.profile.issuer ?? credentials.issuer,
      clientId: input.profile.clientId ?? credentials.client_id,
    });
    let provider: OAuthProvider | undefined;
    try {
      provider = await retrying(deps, () => deps.oauth(profile));
      if (provider.endpoints.revocation_endpoint === undefined) {
        result.revocation = 'unsupported';
        deps.output.warn('The provider has no revocation endpoint: the tokens stay valid until they expire.');
      } else {
        const tokens: [string | undefined, 'refresh_token' | 'access_token'][] = [
          [credentials.refresh_token, 'refresh_token'],
          [credentials.access_token, 'access_token'],
        ];
        for (const [token, hint] of tokens) {
          if (token === undefined) continue;
          const revoking = provider;
          try {
            await retrying(deps, () => revoking.revoke(token, hint));
          } catch (error) {
            // RFC 7009 §2.2.1: a provider may revoke no access tokens of a kind (self-contained JWTs,
            // as oidc-provider's resource-indicator tokens): it says unsupported_token_type. Refresh
            // tokens it must revoke; an access token it cannot just runs out.
            if (!(
              hint === 'access_token' &&
              isKeyturnError(error) &&
              error.oauthError === 'unsupported_token_type'
            ))
              throw error;
            deps.output.info(
              `The provider does not revoke this kind of access token (unsupported_token_type): it stays valid until it expires${expiresAt(credentials.expires_at)}.`,
            );
            continue;
          }
          result.revoked.push(hint);
        }
        result.revocation = 'done';
      }
    } catch (thrown) {
      if (!(thrown instanceof KeyturnError)) throw thrown;
      const error = thrown;
      result.revocation = 'failed';
      deps.output.warn(
        `Could not revoke the tokens at the provider (error[${error.code}]: ${error.message}). Removing them here anyway.`,
      );
    } finally {
      await provider?.close();
    }
  }
  result.removed = await store.delete(input.profile.name);
  return result;
}

function expiresAt(seconds: number | undefined): string {
  return seconds === undefined ? '' : ` (${formatUtc(seconds)})`;
}
