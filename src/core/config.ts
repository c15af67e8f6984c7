import { KeyturnError } from './errors.js';
import type { McpBinding } from './mcp.js';
import type { ProviderBinding } from './credentials.js';

/**
 * One client registration at one provider: the issuer (OIDC Discovery 1.0) or explicit endpoints
 * (RFC 8414 names), the client id (RFC 6749 §2.2), scopes and the loopback redirect URI (RFC 8252 §7.3).
 */
export interface Profile {
  name: string;
  issuer?: string;
  authorizationEndpoint?: string;
  tokenEndpoint?: string;
  deviceAuthorizationEndpoint?: string;
  revocationEndpoint?: string;
  clientId?: string;
  clientSecret?: string;
  scopes: string[];
  redirectUri: string;
  /**
   * May another loopback port be used when the redirect port is busy: `true` any free port (RFC 8252
   * §7.3 providers), or the other registered ports, in order (the seeds' CLI falls back from 1455 to 1457).
   */
  redirectPortFallback: boolean | number[];
  /** Extra authorization request parameters (`audience`, `access_type`, `prompt`, …). */
  authorizeParams?: Record<string, string>;
  /** Extra token request parameters (`audience`, `resource`). */
  tokenParams?: Record<string, string>;
  caFile?: string;
  store: 'file' | 'keyring' | 'auto';
  /** `keyturn credential git`: the username it answers (default `oauth2`) and the hosts it answers for. */
  gitUsername?: string;
  gitHosts?: string[];
  /** The protected resource (RFC 8707), an MCP server's URL: see SPEC.md "MCP servers". */
  resource?: string;
  /** This client's metadata document URL, its `client_id` where the server supports them. */
  clientMetadataUrl?: string;
  /** Set on the profile of one resource's sign-in: where and as which client it signs in. */
  mcp?: McpBinding;
}

export const DEFAULT_SCOPES = ['openid', 'profile', 'email', 'offline_access'];
export const DEFAULT_REDIRECT_URI = 'http://localhost:1455/auth/callback';

/** The config file's shape once parsed (TOML). */
export interface ConfigFile {
  default_profile?: string;
  profiles?: Record<string, Record<string, unknown>>;
}

/** Flags that override the profile. */
export interface ProfileFlags {
  profile?: string;
  issuer?: string;
  clientId?: string;
  scopes?: string[];
  redirectUri?: string;
  caFile?: string;
  resource?: string;
}

const STRING_KEYS = {
  issuer: 'issuer',
  authorization_endpoint: 'authorizationEndpoint',
  token_endpoint: 'tokenEndpoint',
  device_authorization_endpoint: 'deviceAuthorizationEndpoint',
  revocation_endpoint: 'revocationEndpoint',
  client_id: 'clientId',
  client_secret: 'clientSecret',
  redirect_uri: 'redirectUri',
  ca_file: 'caFile',
  git_username: 'gitUsername',
  resource: 'resource',
  client_metadata_url: 'clientMetadataUrl',
} as const;

const PROFILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

function configError(message: string): KeyturnError {
  return new KeyturnError('config_invalid', message);
}

/** Which profile is meant: flag, then KEYTURN_PROFILE, then `default_profile`, then `default`. */
export function selectProfileName(
  file: ConfigFile,
  env: Record<string, string | undefined>,
  flag?: string,
): string {
  return flag ?? nonEmpty(env.KEYTURN_PROFILE) ?? file.default_profile ?? 'default';
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

/** What else profile resolution may draw on besides the config file, the environment and flags. */
export interface ResolveContext {
  /** The provider configuration the profile's stored sign-in was made with (see core/binding.ts). */
  remembered?: ProviderBinding;
  /** The profile is being signed in to: a name that nothing defines yet is fine. */
  signIn?: boolean;
}

/** Checks a profile name (it names a keyring account and a lock file too). */
export function checkProfileName(name: string): string {
  if (!PROFILE_NAME.test(name)) {
    throw configError(`"${name}" is not a profile name (letters, digits, ".", "_" and "-").`);
  }
  return name;
}

/** The provider a client secret was given for: a later source naming another must not get it. */
interface SecretOwner {
  issuer: string | undefined;
  tokenEndpoint: string | undefined;
  clientId: string | undefined;
}

/**
 * Resolves a profile from its sources, later wins: what its stored sign-in remembers, the config
 * file, the environment, the flags. The one place a profile is put together (SPEC "A sign-in
 * remembers its provider"). Pure: the caller reads the file, the environment and the store.
 */
export function resolveProfile(
  file: ConfigFile,
  env: Record<string, string | undefined>,
  flags: ProfileFlags = {},
  context: ResolveContext = {},
): Profile {
  const name = checkProfileName(selectProfileName(file, env, flags.profile));
  // Own tables only: a profile named `constructor` or `toString` is not Object.prototype's member.
  const defined =
    file.profiles !== undefined && Object.hasOwn(file.profiles, name) ? file.profiles[name] : undefined;
  if (
    defined === undefined &&
    name !== 'default' &&
    context.remembered === undefined &&
    context.signIn !== true &&
    (flags.issuer ?? nonEmpty(env.KEYTURN_ISSUER)) === undefined
  ) {
    // Naming a profile that does not exist (flag, KEYTURN_PROFILE or default_profile) is a mistake
    // unless the issuer is given some other way.
    const known = Object.keys(file.profiles ?? {});
    throw new KeyturnError('config_invalid', `No profile "${name}" in config.toml.`, {
      fix:
        known.length > 0
          ? `Use one of: ${known.join(', ')}; or add a [profiles.${name}] table to config.toml.`
          : `Add a [profiles.${name}] table to config.toml, or pass --issuer and --client-id.`,
    });
  }
  if (defined !== undefined && (typeof defined !== 'object' || defined === null || Array.isArray(defined))) {
    throw configError(`profiles.${name} must be a table ([profiles.${name}]).`);
  }
  const table: Record<string, unknown> = defined ?? {};
  const profile: Profile = {
    name,
    scopes: [...DEFAULT_SCOPES],
    redirectUri: DEFAULT_REDIRECT_URI,
    redirectPortFallback: false,
    store: 'auto',
  };
  const target = profile as unknown as Record<string, unknown>;
  if (context.remembered !== undefined) applyRemembered(profile, context.remembered);
  const owner = (): SecretOwner => ({
    issuer: profile.issuer,
    tokenEndpoint: profile.tokenEndpoint,
    clientId: profile.clientId,
  });
  let secretOwner: SecretOwner | undefined;
  for (const [key, field] of Object.entries(STRING_KEYS)) {
    const value = table[key];
    if (value === undefined) continue;
    if (typeof value !== 'string') throw configError(`profiles.${name}.${key} must be a string.`);
    target[field] = value;
  }
  if (table.scopes !== undefined) profile.scopes = parseScopes(table.scopes, `profiles.${name}.scopes`);
  if (table.redirect_port_fallback !== undefined) {
    profile.redirectPortFallback = parsePortFallback(
      table.redirect_port_fallback,
      `profiles.${name}.redirect_port_fallback`,
    );
  }
  for (const [key, field] of [
    ['authorize_params', 'authorizeParams'],
    ['token_params', 'tokenParams'],
  ] as const) {
    if (table[key] !== undefined) profile[field] = parseParams(table[key], `profiles.${name}.${key}`);
  }
  if (table.store !== undefined) profile.store = parseStore(table.store, `profiles.${name}.store`);
  if (table.git_hosts !== undefined)
    profile.gitHosts = parseList(table.git_hosts, `profiles.${name}.git_hosts`);
  if (profile.clientSecret !== undefined) secretOwner = owner();

  // Environment.
  const envString = (variable: string, field: keyof Profile) => {
    const value = nonEmpty(env[variable]);
    if (value !== undefined) target[field] = value;
  };
  envString('KEYTURN_ISSUER', 'issuer');
  envString('KEYTURN_CLIENT_ID', 'clientId');
  envString('KEYTURN_CLIENT_SECRET', 'clientSecret');
  envString('KEYTURN_REDIRECT_URI', 'redirectUri');
  envString('KEYTURN_CA_FILE', 'caFile');
  if (nonEmpty(env.KEYTURN_CLIENT_SECRET) !== undefined) secretOwner = owner();
  const envScopes = nonEmpty(env.KEYTURN_SCOPES);
  if (envScopes !== undefined) profile.scopes = parseScopes(envScopes, 'KEYTURN_SCOPES');
  const envStore = nonEmpty(env.KEYTURN_STORE);
  if (envStore !== undefined) profile.store = parseStore(envStore, 'KEYTURN_STORE');

  // Flags.
  if (flags.issuer !== undefined) profile.issuer = flags.issuer;
  if (flags.clientId !== undefined) profile.clientId = flags.clientId;
  if (flags.scopes !== undefined && flags.scopes.length > 0)
    profile.scopes = parseScopes(flags.scopes, '--scope');
  if (flags.redirectUri !== undefined) profile.redirectUri = flags.redirectUri;
  if (flags.caFile !== undefined) profile.caFile = flags.caFile;
  if (flags.resource !== undefined) profile.resource = flags.resource;
  if (profile.resource !== undefined) profile.resource = assertSecureUrl(profile.resource, 'resource').href;
  if (profile.clientMetadataUrl !== undefined) {
    const url = assertSecureUrl(profile.clientMetadataUrl, 'client_metadata_url');
    // A client ID metadata document is served over https with a path (draft-ietf-oauth-client-id-metadata-document §3).
    if (url.protocol !== 'https:' || url.pathname === '/') {
      throw configError(
        `client_metadata_url must be an https:// URL with a path: "${profile.clientMetadataUrl}".`,
      );
    }
  }

  // A client secret goes only to the provider and client it was given with: an issuer, token
  // endpoint or client id named by a later source (a flag, KEYTURN_ISSUER) leaves it behind.
  if (secretOwner !== undefined && !sameOwner(secretOwner, owner())) delete profile.clientSecret;

  validateRedirectUri(profile.redirectUri);
  if (profile.issuer !== undefined) profile.issuer = normaliseIssuer(profile.issuer);
  return profile;
}

function sameOwner(a: SecretOwner, b: SecretOwner): boolean {
  const trim = (url: string | undefined) => url?.replace(/\/+$/, '');
  return (
    trim(a.issuer) === trim(b.issuer) &&
    trim(a.tokenEndpoint) === trim(b.tokenEndpoint) &&
    a.clientId === b.clientId
  );
}

/** The lowest source: what the stored sign-in was made with fills in what nothing else says. */
function applyRemembered(profile: Profile, remembered: ProviderBinding): void {
  const text = (value: unknown): string | undefined =>
    typeof value === 'string' && value !== '' ? value : undefined;
  const params = (value: unknown): Record<string, string> | undefined => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
    const entries = Object.entries(value).filter((e): e is [string, string] => typeof e[1] === 'string');
    return Object.fromEntries(entries);
  };
  const set = <K extends keyof Profile>(key: K, value: Profile[K] | undefined) => {
    if (value !== undefined) profile[key] = value;
  };
  set('issuer', text(remembered.issuer));
  set('authorizationEndpoint', text(remembered.authorization_endpoint));
  set('tokenEndpoint', text(remembered.token_endpoint));
  set('deviceAuthorizationEndpoint', text(remembered.device_authorization_endpoint));
  set('revocationEndpoint', text(remembered.revocation_endpoint));
  set('clientId', text(remembered.client_id));
  set('redirectUri', text(remembered.redirect_uri));
  set('resource', text(remembered.resource));
  set('authorizeParams', params(remembered.authorize_params));
  set('tokenParams', params(remembered.token_params));
  const scopes = remembered.scopes;
  if (Array.isArray(scopes) && scopes.length > 0 && scopes.every((s) => typeof s === 'string')) {
    profile.scopes = [...scopes];
  }
}

function parseScopes(value: unknown, where: string): string[] {
  const list = typeof value === 'string' ? value.split(/[\s,]+/) : Array.isArray(value) ? value : undefined;
  if (list === undefined || !list.every((s) => typeof s === 'string')) {
    throw configError(`${where} must be a list of scope names.`);
  }
  const scopes = (list as string[]).flatMap((s) => s.split(/[\s,]+/)).filter((s) => s !== '');
  if (scopes.length === 0) throw configError(`${where} names no scope.`);
  return scopes;
}

function parseList(value: unknown, where: string): string[] {
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || !list.every((item) => typeof item === 'string')) {
    throw configError(`${where} must be a list of strings.`);
  }
  return list as string[];
}

function parsePortFallback(value: unknown, where: string): boolean | number[] {
  if (typeof value === 'boolean') return value;
  const valid = (port: unknown): port is number =>
    typeof port === 'number' && Number.isInteger(port) && port > 0 && port < 65536;
  if (Array.isArray(value) && value.length > 0 && value.every(valid)) return value;
  throw configError(`${where} must be true, false or a list of ports (for example [1457]).`);
}

/** Parameters the protocol sets itself cannot be overridden from config: they carry the security. */
const RESERVED_PARAMS = new Set([
  'client_id',
  'client_secret',
  'response_type',
  'redirect_uri',
  'state',
  'nonce',
  'code_challenge',
  'code_challenge_method',
  'code',
  'code_verifier',
  'grant_type',
  'refresh_token',
  'device_code',
  'scope',
]);

function parseParams(value: unknown, where: string): Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw configError(`${where} must be a table of strings (for example { audience = "https://api" }).`);
  }
  const params: Record<string, string> = {};
  for (const [key, item] of Object.entries(value)) {
    if (typeof item !== 'string') throw configError(`${where}.${key} must be a string.`);
    if (RESERVED_PARAMS.has(key)) {
      throw configError(
        `${where}.${key} cannot be set: keyturn sends ${key} itself${key === 'scope' ? ' (use `scopes`)' : ''}.`,
      );
    }
    params[key] = item;
  }
  return params;
}

function parseStore(value: unknown, where: string): Profile['store'] {
  if (value === 'file' || value === 'keyring' || value === 'auto') return value;
  throw configError(`${where} must be "file", "keyring" or "auto".`);
}

/** Loopback hosts, on which plain http is allowed (RFC 8252 §8.3). */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return (
    host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host) || host.endsWith('.localhost')
  );
}

/** RFC 8252 §7.3: the redirect URI is http on a loopback host with an explicit port. */
export function validateRedirectUri(value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw configError(`redirect_uri "${value}" is not a URL.`);
  }
  if (url.protocol !== 'http:' || !isLoopbackHost(url.hostname)) {
    throw configError(`redirect_uri must be http:// on localhost, 127.0.0.1 or [::1], not "${value}".`);
  }
  // RFC 6749 §3.1.2: no fragment; userinfo has no meaning on a loopback listener.
  if (url.hash !== '' || value.includes('#') || url.username !== '' || url.password !== '') {
    throw configError(`redirect_uri must not carry a fragment or user info: "${value}".`);
  }
  return url;
}

/** Refuses http:// issuers and endpoints except on loopback hosts (SPEC "Security floor"). */
export function assertSecureUrl(value: string, what: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw configError(`${what} "${value}" is not a URL.`);
  }
  if (url.protocol === 'https:') return url;
  if (url.protocol === 'http:' && isLoopbackHost(url.hostname)) return url;
  throw configError(`${what} must use https:// (plain http is allowed on loopback hosts only): "${value}".`);
}

function normaliseIssuer(issuer: string): string {
  assertSecureUrl(issuer, 'issuer');
  return issuer;
}

/** The profile is complete enough to talk to a provider. */
export function requireProvider(profile: Profile): Profile & { issuer?: string; clientId: string } {
  if (profile.issuer === undefined && profile.tokenEndpoint === undefined) {
    throw configError(`Profile "${profile.name}" has no issuer.`);
  }
  if (profile.clientId === undefined) throw configError(`Profile "${profile.name}" has no client_id.`);
  return profile as Profile & { clientId: string };
}
