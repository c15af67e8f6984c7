import { KeyturnError } from '../core/errors.js';
import { checkBinding } from '../core/binding.js';
import type { Profile } from '../core/config.js';
import type { Credentials, OAuthCredentials } from '../core/credentials.js';
import type { CredentialStore } from '../core/store.js';

/**
 * A token to send, and until when (the token response's fields, RFC 6749 §5.1; `expires_at` in
 * seconds since the epoch, null when the provider gave no lifetime). For an API-key sign-in the key,
 * with `token_type: 'api_key'`.
 */
export interface AccessToken {
  access_token: string;
  token_type: string;
  expires_at: number | null;
  scope: string | null;
}

export function notSignedIn(profile: Profile): KeyturnError {
  const flag = profile.name === 'default' ? '' : ` --profile ${profile.name}`;
  return new KeyturnError('not_signed_in', `Profile "${profile.name}" is not signed in.`, {
    fix: ({ command }) =>
      `Run \`${command} login${flag}\` (or \`${command} login${flag} --device\` where no browser can reach this machine).`,
  });
}

/** The error a dead refresh token left behind: the same message, without a network call. */
export function deadSignIn(credentials: OAuthCredentials): KeyturnError | undefined {
  const dead = credentials.refresh_dead;
  if (dead === undefined) return undefined;
  return new KeyturnError('refresh_rejected', dead.message, { fix: dead.fix });
}

export function toAccessToken(credentials: Credentials): AccessToken {
  if (credentials.kind === 'api_key') {
    return { access_token: credentials.api_key, token_type: 'api_key', expires_at: null, scope: null };
  }
  return {
    access_token: credentials.access_token,
    token_type: credentials.token_type,
    expires_at: credentials.expires_at ?? null,
    scope: credentials.scope ?? null,
  };
}

/** The profile's credentials, bound to the provider the profile names (core/binding.ts), or not_signed_in. */
export async function readCredentials(store: CredentialStore, profile: Profile): Promise<Credentials> {
  const credentials = await store.get(profile.name);
  if (credentials === undefined) throw notSignedIn(profile);
  checkBinding(credentials, profile);
  return credentials;
}
