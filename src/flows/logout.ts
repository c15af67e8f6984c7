import type { Profile } from '../core/config.js';
import { isKeyturnError } from '../core/errors.js';
import { requireProvider } from '../core/config.js';
import type { Deps } from './deps.js';
import { retrying } from './retry.js';
import { notSignedIn } from './token.js';

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
 * all the same: the user asked to be signed out here.
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
    const profile = requireProvider({
      ...input.profile,
      issuer: input.profile.issuer ?? credentials.issuer,
      clientId: input.profile.clientId ?? credentials.client_id,
    });
    const { configure, oauthFailure, oidc } = await import('../adapters/oauth.js');
    const http = await deps.http(profile);
    try {
      const config = await retrying(deps, () => configure(profile, http));
      if (config.serverMetadata().revocation_endpoint === undefined) {
        result.revocation = 'unsupported';
        deps.output.warn('The provider has no revocation endpoint: the tokens stay valid until they expire.');
      } else {
        const tokens: [string | undefined, string][] = [
          [credentials.refresh_token, 'refresh_token'],
          [credentials.access_token, 'access_token'],
        ];
        for (const [token, hint] of tokens) {
          if (token === undefined) continue;
          await retrying(deps, () =>
            oidc.tokenRevocation(config, token, { token_type_hint: hint }).catch((error: unknown) => {
              throw oauthFailure(error, 'revocation');
            }),
          );
          result.revoked.push(hint);
        }
        result.revocation = 'done';
      }
    } catch (thrown) {
      const error = isKeyturnError(thrown) ? thrown : oauthFailure(thrown, 'revocation');
      result.revocation = 'failed';
      deps.output.warn(
        `Could not revoke the tokens at the provider (error[${error.code}]: ${error.message}). Removing them here anyway.`,
      );
    } finally {
      await http.close();
    }
  }
  result.removed = await store.delete(input.profile.name);
  return result;
}
