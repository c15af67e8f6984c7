import { KeyturnError } from '../core/errors.js';
import { DEFAULT_MIN_TTL, jwtTimes } from '../core/expiry.js';
import type { Profile } from '../core/config.js';
import { getAccessToken, readCredentials } from './token.js';
import { nowSeconds, type Deps } from './deps.js';

/**
 * The token a helper hands to another program (`exec`, the git and kubectl helpers): the access
 * token, or the id token (what the Kubernetes OIDC authenticator verifies), valid for `minTtl` more
 * seconds, refreshed first when due.
 */

export type HelperTokenKind = 'access' | 'id';

export interface HelperTokenInput {
  profile: Profile;
  kind: HelperTokenKind;
  minTtl?: number;
}

export interface HelperToken {
  token: string;
  /** Unix seconds, when known. */
  expiresAt: number | undefined;
}

export async function getHelperToken(
  deps: Deps,
  input: HelperTokenInput,
  signal?: AbortSignal,
): Promise<HelperToken> {
  const minTtl = input.minTtl ?? DEFAULT_MIN_TTL;
  const access = await getAccessToken(deps, { profile: input.profile, minTtl }, signal);
  if (input.kind === 'access') {
    return { token: access.access_token, expiresAt: access.expires_at ?? undefined };
  }
  let idToken = await storedIdToken(deps, input.profile);
  if (idToken !== undefined && idTokenDue(idToken, nowSeconds(deps), minTtl)) {
    // The id token runs out before the access token (providers may give them different lifetimes):
    // the usual single-flight refresh, forced, renews both.
    await getAccessToken(deps, { profile: input.profile, minTtl, forceRefresh: true }, signal);
    idToken = await storedIdToken(deps, input.profile);
    if (idToken !== undefined && idTokenDue(idToken, nowSeconds(deps), minTtl)) {
      throw new KeyturnError(
        'refresh_rejected',
        'The provider renewed the access token but not the id token, which expires now.',
        { fix: ({ command }) => `Sign in again: \`${signIn(command, input.profile)}\`.` },
      );
    }
  }
  if (idToken === undefined) {
    throw new KeyturnError(
      'not_signed_in',
      `The sign-in of profile "${input.profile.name}" holds no id token (it did not ask for the \`openid\` scope, or it is an API key).`,
      {
        fix: ({ command }) =>
          `Sign in with the \`openid\` scope (\`${signIn(command, input.profile)}\`), or hand over the access token instead (\`--access-token\`).`,
      },
    );
  }
  return { token: idToken, expiresAt: jwtTimes(idToken)?.exp };
}

function idTokenDue(idToken: string, now: number, minTtl: number): boolean {
  const exp = jwtTimes(idToken)?.exp;
  return exp !== undefined && exp - now <= minTtl;
}

async function storedIdToken(deps: Deps, profile: Profile): Promise<string | undefined> {
  const credentials = await readCredentials(await deps.store(profile), profile);
  return credentials?.kind === 'oauth' ? credentials.id_token : undefined;
}

function signIn(command: string, profile: Profile): string {
  return `${command} login${profile.name === 'default' ? '' : ` --profile ${profile.name}`}`;
}
