import { KeyturnError } from './errors.js';
import type { Profile } from './config.js';
import type { Credentials, ProviderBinding } from './credentials.js';

/**
 * The binding of stored credentials to the provider and client they were issued for, and the one
 * check every path that sends a token anywhere makes first (SPEC "A sign-in remembers its provider").
 */

/** What a sign-in made with this profile remembers: its provider configuration, never a secret. */
export function bindingOf(profile: Profile): ProviderBinding {
  const binding: ProviderBinding = {};
  const copy = <K extends keyof ProviderBinding>(key: K, value: ProviderBinding[K] | undefined) => {
    if (value !== undefined) binding[key] = value;
  };
  copy('issuer', profile.issuer);
  copy('authorization_endpoint', profile.authorizationEndpoint);
  copy('token_endpoint', profile.tokenEndpoint);
  copy('device_authorization_endpoint', profile.deviceAuthorizationEndpoint);
  copy('revocation_endpoint', profile.revocationEndpoint);
  copy('client_id', profile.clientId);
  copy('scopes', [...profile.scopes]);
  copy('redirect_uri', profile.redirectUri);
  copy('resource', profile.resource);
  copy(
    'authorize_params',
    profile.authorizeParams === undefined ? undefined : { ...profile.authorizeParams },
  );
  copy('token_params', profile.tokenParams === undefined ? undefined : { ...profile.tokenParams });
  return binding;
}

/** The binding stored with credentials; for credentials of keyturn 0.1, their issuer and client. */
export function storedBinding(
  credentials: Pick<Credentials, 'issuer' | 'client_id' | 'provider'>,
): ProviderBinding {
  if (credentials.provider !== undefined) return credentials.provider;
  const legacy: ProviderBinding = {};
  if (credentials.issuer !== undefined) legacy.issuer = credentials.issuer;
  if (credentials.client_id !== undefined) legacy.client_id = credentials.client_id;
  return legacy;
}

function sameIssuer(a: string, b: string): boolean {
  return a.replace(/\/+$/, '') === b.replace(/\/+$/, '');
}

function originOf(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}

/** The provider a binding names, in words: its issuer, else its token endpoint. */
function describe(
  issuer: string | undefined,
  tokenEndpoint: string | undefined,
  clientId: string | undefined,
) {
  const where = issuer ?? (tokenEndpoint === undefined ? 'no provider' : `token endpoint ${tokenEndpoint}`);
  return `${where} (client ${clientId ?? 'none'})`;
}

/** Why the profile names another provider or client than the credentials were issued for, if it does. */
export function bindingMismatch(bound: ProviderBinding, profile: Profile): string | undefined {
  if (
    profile.clientId !== undefined &&
    bound.client_id !== undefined &&
    bound.client_id !== profile.clientId
  ) {
    return 'client';
  }
  if (profile.issuer !== undefined && bound.issuer !== undefined) {
    if (!sameIssuer(profile.issuer, bound.issuer)) return 'issuer';
  } else {
    // Explicit endpoints on one side at least: the token endpoint's origin stands for the provider.
    const here = originOf(profile.issuer ?? profile.tokenEndpoint);
    const there = originOf(bound.issuer ?? bound.token_endpoint);
    if (here !== undefined && there !== undefined && here !== there) return 'issuer';
  }
  // Endpoints that receive tokens: an explicit one must be where the sign-in's was.
  const home = originOf(bound.issuer ?? bound.token_endpoint);
  const endpoints = [
    ['token_endpoint', profile.tokenEndpoint, bound.token_endpoint],
    ['revocation_endpoint', profile.revocationEndpoint, bound.revocation_endpoint],
  ] as const;
  for (const [key, now, then] of endpoints) {
    if (now === undefined) continue;
    const expected = originOf(then) ?? home;
    if (expected !== undefined && originOf(now) !== expected) return key;
  }
  return undefined;
}

/**
 * Stored credentials go only to the provider and client they were issued for: a profile that now
 * names another one (a flag, an environment variable, an edited config.toml) is refused with
 * `config_invalid`, naming both. Checked before every request that carries a stored token.
 */
export function checkBinding(credentials: Credentials, profile: Profile): void {
  const bound = storedBinding(credentials);
  const what = bindingMismatch(bound, profile);
  if (what === undefined) return;
  const flag = profile.name === 'default' ? '' : ` --profile ${profile.name}`;
  const then = describe(
    bound.issuer ?? (bound.token_endpoint === undefined ? credentials.issuer : undefined),
    bound.token_endpoint,
    bound.client_id,
  );
  const now =
    what === 'token_endpoint' || what === 'revocation_endpoint'
      ? `${what} ${String(what === 'token_endpoint' ? profile.tokenEndpoint : profile.revocationEndpoint)}`
      : describe(profile.issuer, profile.tokenEndpoint, profile.clientId);
  throw new KeyturnError(
    'config_invalid',
    `The sign-in of profile "${profile.name}" was made with ${then}, but the profile now names ${now}: its tokens are not sent there.`,
    {
      fix: ({ command, envPrefix }) => {
        const variables = envPrefix === undefined ? '' : `, ${envPrefix}_ISSUER, ${envPrefix}_CLIENT_ID`;
        return `Drop the setting that names the other provider (a flag${variables} or config.toml), or sign in to it: \`${command} login${flag}\`. To forget the stored sign-in without contacting any provider: \`${command} logout${flag} --no-revoke\`.`;
      },
      evidence: { profile: profile.name, mismatch: what },
    },
  );
}
