/**
 * The pure parts of signing in to an MCP server (MCP authorization, revision 2025-11-25): reading a
 * Bearer challenge, where to look for metadata and in which order, which scopes to ask for, and
 * where a resource's sign-in lives in the store. The requests themselves are oauth4webapi's.
 * @see https://modelcontextprotocol.io/specification/2025-11-25/basic/authorization
 */

/** One challenge of a `WWW-Authenticate` header: its scheme and auth-params (RFC 9110 §11.6.1). */
export interface Challenge {
  scheme: string;
  parameters: Record<string, string>;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+/;

/**
 * Parses a `WWW-Authenticate` header into its challenges (RFC 9110 §11.6.1): auth-params as
 * `name=token` or `name="quoted string"`, names lower-cased; a token68 is kept as `token68`.
 * oauth4webapi parses challenges only inside its own response processing, so this is ours.
 * @see https://www.rfc-editor.org/rfc/rfc9110#section-11.6.1
 */
export function parseWwwAuthenticate(header: string | null | undefined): Challenge[] {
  const challenges: Challenge[] = [];
  if (header === null || header === undefined) return challenges;
  let rest = header;
  let current: Challenge | undefined;
  const skip = (pattern: RegExp) => {
    const match = pattern.exec(rest);
    if (match !== null) rest = rest.slice(match[0].length);
    return match;
  };
  while (rest.length > 0) {
    skip(/^[\s,]+/);
    if (rest.length === 0) break;
    const name = skip(TOKEN);
    if (name === null) break;
    const afterName = rest;
    skip(/^\s*/);
    if (rest.startsWith('=') && !/^=+\s*(,|$)/.test(rest) && current !== undefined) {
      // An auth-param of the current challenge.
      rest = rest.slice(1);
      skip(/^\s*/);
      let value: string;
      if (rest.startsWith('"')) {
        let i = 1;
        value = '';
        while (i < rest.length && rest[i] !== '"') {
          if (rest[i] === '\\' && i + 1 < rest.length) i++;
          value += rest[i];
          i++;
        }
        rest = rest.slice(i + 1);
      } else {
        value = skip(/^[^\s,]*/)?.[0] ?? '';
      }
      current.parameters[name[0].toLowerCase()] = value;
      continue;
    }
    rest = afterName;
    current = { scheme: name[0].toLowerCase(), parameters: {} };
    challenges.push(current);
    skip(/^\s*/);
    const token68 = /^[A-Za-z0-9\-._~+/]+=*(?=\s*(,|$))/.exec(rest);
    // The lookahead already makes sure no `=` follows: `realm=x` is a parameter, not a token68.
    if (token68 !== null) {
      current.parameters.token68 = token68[0];
      rest = rest.slice(token68[0].length);
    }
  }
  return challenges;
}

/** The Bearer challenge's parameters the MCP authorization spec reads (RFC 6750 §3, RFC 9728 §5.1). */
export interface BearerChallenge {
  resourceMetadata?: string;
  scopes?: string[];
  error?: string;
}

export function bearerChallenge(header: string | null | undefined): BearerChallenge | undefined {
  const bearer = parseWwwAuthenticate(header).find((c) => c.scheme === 'bearer');
  if (bearer === undefined) return undefined;
  const out: BearerChallenge = {};
  const p = bearer.parameters;
  if (p.resource_metadata !== undefined && p.resource_metadata !== '')
    out.resourceMetadata = p.resource_metadata;
  if (p.scope !== undefined) out.scopes = splitScopes(p.scope);
  if (p.error !== undefined) out.error = p.error;
  return out;
}

export function splitScopes(scope: string | undefined | null): string[] {
  return (scope ?? '').split(/\s+/).filter((s) => s !== '');
}

/**
 * Where to look for the protected resource metadata, in the spec's order, and the `resource` each
 * answer must name: the challenge's `resource_metadata` (the resource is the URL requested, RFC 9728
 * §5.1 and §3.3), else the well-known URI inserted before the resource's path, else at the root
 * (whose resource is the origin).
 * @see https://modelcontextprotocol.io/specification/2025-11-25/basic/authorization#protected-resource-metadata-discovery-requirements
 */
export function resourceMetadataCandidates(
  serverUrl: URL,
  resourceMetadata?: string,
): { url: URL; expectedResource: URL }[] {
  const resource = new URL(serverUrl.href);
  resource.hash = '';
  const out: { url: URL; expectedResource: URL }[] = [];
  if (resourceMetadata !== undefined) {
    out.push({ url: new URL(resourceMetadata, serverUrl), expectedResource: resource });
    return out;
  }
  const path = resource.pathname === '/' ? '' : resource.pathname.replace(/\/$/, '');
  if (path !== '') {
    out.push({
      url: new URL(`/.well-known/oauth-protected-resource${path}`, resource.origin),
      expectedResource: resource,
    });
  }
  out.push({
    url: new URL('/.well-known/oauth-protected-resource', resource.origin),
    expectedResource: new URL(resource.origin),
  });
  return out;
}

export type MetadataKind = 'oauth2' | 'oidc';

/**
 * Where to look for an authorization server's metadata, in the spec's order: RFC 8414 with path
 * insertion, OpenID Connect discovery with path insertion, then with path appending; for an issuer
 * without a path, RFC 8414 then OpenID Connect discovery.
 * @see https://modelcontextprotocol.io/specification/2025-11-25/basic/authorization#authorization-server-metadata-discovery
 */
export function authorizationServerMetadataCandidates(issuer: URL): { url: URL; kind: MetadataKind }[] {
  const path = issuer.pathname === '/' ? '' : issuer.pathname.replace(/\/$/, '');
  const at = (p: string) => new URL(p, issuer.origin);
  if (path === '') {
    return [
      { url: at('/.well-known/oauth-authorization-server'), kind: 'oauth2' },
      { url: at('/.well-known/openid-configuration'), kind: 'oidc' },
    ];
  }
  return [
    { url: at(`/.well-known/oauth-authorization-server${path}`), kind: 'oauth2' },
    { url: at(`/.well-known/openid-configuration${path}`), kind: 'oidc' },
    { url: at(`${path}/.well-known/openid-configuration`), kind: 'oidc' },
  ];
}

/**
 * The 2025-03-26 revision, for servers without protected resource metadata: the authorization
 * server is the MCP server's origin, and where it has no metadata either, its endpoints are
 * `/authorize`, `/token` and `/register` there.
 * @see https://modelcontextprotocol.io/specification/2025-03-26/basic/authorization#2-3-3-fallbacks-for-servers-without-metadata-discovery
 */
export function legacyAuthorizationServer(serverUrl: URL): {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  registration_endpoint: string;
} {
  const origin = serverUrl.origin;
  return {
    issuer: origin,
    authorization_endpoint: `${origin}/authorize`,
    token_endpoint: `${origin}/token`,
    registration_endpoint: `${origin}/register`,
  };
}

/**
 * The scopes of a first sign-in: the challenge's `scope`, else the resource's `scopes_supported`,
 * else none (the parameter is left out). `offline_access` is added where the authorization server
 * lists it, so the sign-in can be refreshed (SEP-2207), and never where it does not.
 * @see https://modelcontextprotocol.io/specification/2025-11-25/basic/authorization#scope-selection-strategy
 */
export function chooseScopes(input: {
  challenged?: string[] | undefined;
  resourceScopes?: string[] | undefined;
  serverScopes?: string[] | undefined;
  configured?: string[] | undefined;
}): string[] {
  const base = input.challenged?.length
    ? input.challenged
    : input.resourceScopes?.length
      ? input.resourceScopes
      : (input.configured ?? []);
  const scopes = [...new Set(base)];
  if (
    input.serverScopes?.includes('offline_access') &&
    !scopes.includes('offline_access') &&
    scopes.length > 0
  ) {
    scopes.push('offline_access');
  }
  return scopes;
}

/** A step-up asks for what is held plus what the challenge names (MCP "Step-Up Authorization Flow"). */
export function stepUpScopes(held: string[], challenged: string[]): string[] {
  return [...new Set([...held, ...challenged])];
}

/** At most this many step-up sign-ins for one request. */
export const MAX_STEP_UPS = 2;

/** The store key of a resource's sign-in under a profile: one per profile and resource. */
export function resourceStoreKey(profileName: string, resource: string): string {
  return `${profileName}@${new URL(resource).href}`;
}

/** The token endpoint client authentication methods keyturn speaks (RFC 7591 §2). */
export type TokenEndpointAuthMethod = 'none' | 'client_secret_basic' | 'client_secret_post';

/**
 * How to authenticate at the token endpoint: as registered, else the first the server supports
 * that fits the client (a secret for the secret methods), else RFC 8414's default
 * `client_secret_basic` for a client with a secret and `none` without.
 */
export function chooseTokenEndpointAuthMethod(input: {
  registered?: string | undefined;
  supported?: string[] | undefined;
  hasSecret: boolean;
}): TokenEndpointAuthMethod {
  const known = (m: string | undefined): m is TokenEndpointAuthMethod =>
    m === 'none' || m === 'client_secret_basic' || m === 'client_secret_post';
  if (known(input.registered)) return input.registered;
  const fits = (m: TokenEndpointAuthMethod) => (m === 'none' ? !input.hasSecret : input.hasSecret);
  const supported = (input.supported ?? []).filter(known).filter(fits);
  if (supported[0] !== undefined) return supported[0];
  return input.hasSecret ? 'client_secret_basic' : 'none';
}

/**
 * Where one resource's sign-in signs in, and as which client: kept with its tokens in the store, so
 * `token --resource` and refresh need no discovery. The client secret is a secret (store only).
 */
export interface McpBinding {
  resource: string;
  /** The authorization server's metadata (RFC 8414), as discovered. */
  server: { issuer: string; token_endpoint?: string; authorization_endpoint?: string } & Record<
    string,
    unknown
  >;
  client_id: string;
  client_secret?: string;
  token_endpoint_auth_method: TokenEndpointAuthMethod;
  /** How the client came to be: the profile's, a client ID metadata document, or registration (RFC 7591). */
  client_source: 'configured' | 'metadata_document' | 'registered';
  /** 2025-03-26 fallback: the MCP server's origin served as authorization server. */
  legacy?: boolean;
}
