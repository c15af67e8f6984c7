import * as oauth from 'oauth4webapi';
import { KeyturnError, isKeyturnError } from '../core/errors.js';
import type { Profile } from '../core/config.js';
import {
  chooseScopes,
  chooseTokenEndpointAuthMethod,
  resourceStoreKey,
  splitScopes,
  type BearerChallenge,
  type McpBinding,
} from '../core/mcp.js';
import type { OAuthCredentials } from '../core/credentials.js';
import type { Deps } from './deps.js';
import { discoverResource, requestOptions, type ResourceDiscovery } from './mcp-discovery.js';
import { loginWithBrowser, type BrowserLoginInput, type LoginResult } from './login-browser.js';

/**
 * Signing in to an MCP server from its URL alone (SPEC.md "MCP servers"): discovery, a client
 * (configured, a client ID metadata document, or dynamic registration as a native app), then the
 * browser sign-in of every other profile, with `resource` on both requests. The sign-in is stored
 * under the profile and resource, with its server and client, so `token` and refresh work offline.
 * @see https://modelcontextprotocol.io/specification/2025-11-25/basic/authorization
 */

/** The profile one resource's sign-in is stored and refreshed under. */
export function resourceProfile(base: Profile, binding: McpBinding): Profile {
  const resource = base.resource ?? binding.resource;
  const profile: Profile = {
    ...base,
    name: resourceStoreKey(base.name, resource),
    issuer: binding.server.issuer,
    clientId: binding.client_id,
    scopes: base.scopes,
    mcp: binding,
  };
  delete profile.clientSecret;
  if (binding.client_secret !== undefined) profile.clientSecret = binding.client_secret;
  for (const key of ['authorizationEndpoint', 'tokenEndpoint', 'deviceAuthorizationEndpoint'] as const) {
    delete profile[key];
  }
  return profile;
}

/** The stored sign-in of the profile's resource, if any (no network). */
export async function storedResourceSignIn(
  deps: Deps,
  base: Profile & { resource: string },
): Promise<{ profile: Profile; credentials: OAuthCredentials } | undefined> {
  const key = resourceStoreKey(base.name, base.resource);
  const store = await deps.store(base);
  const credentials = await store.get(key);
  if (credentials?.kind !== 'oauth' || credentials.mcp === undefined) return undefined;
  const profile = resourceProfile(base, credentials.mcp);
  profile.scopes = splitScopes(credentials.scope);
  return { profile, credentials };
}

/** The profile for `token --resource`: the stored sign-in's, else "not signed in" naming the resource. */
export async function tokenProfile(deps: Deps, base: Profile & { resource: string }): Promise<Profile> {
  const stored = await storedResourceSignIn(deps, base);
  if (stored !== undefined) return stored.profile;
  const flag = base.name === 'default' ? '' : ` --profile ${base.name}`;
  throw new KeyturnError('not_signed_in', `Not signed in to ${base.resource}.`, {
    fix: `Run \`keyturn login${flag} --resource ${base.resource}\`.`,
  });
}

export interface ResourceSignInInput {
  profile: Profile & { resource: string };
  /** The challenge of a 401 or 403 the caller already holds (skips the probe). */
  challenge?: BearerChallenge;
  /** Scopes to ask for instead of the challenge's (a step-up's union). */
  scopes?: string[];
  /** The application's name, sent as `client_name` at registration. */
  clientName?: string;
}

/** Discovery and a client: the profile a browser sign-in for the resource then uses. */
export async function prepareResourceSignIn(
  deps: Deps,
  input: ResourceSignInInput,
  signal?: AbortSignal,
): Promise<{ profile: Profile; discovery: ResourceDiscovery }> {
  const base = input.profile;
  const http = await deps.http(base);
  try {
    deps.output.step('Discovery', `asking ${base.resource} where it signs in`);
    const discovery = await discoverResource(http.fetch, base.resource, {
      ...(input.challenge === undefined ? {} : { challenge: input.challenge }),
      ...(signal === undefined ? {} : { signal }),
    });
    const previous = await storedResourceSignIn(deps, base).catch(() => undefined);
    const binding = await obtainClient(
      deps,
      http.fetch,
      base,
      discovery,
      previous?.credentials,
      input,
      signal,
    );
    const profile = resourceProfile(base, binding);
    profile.scopes =
      input.scopes ??
      chooseScopes({
        challenged: discovery.challenge?.scopes,
        resourceScopes: discovery.resourceMetadata?.scopes_supported,
        serverScopes: discovery.server.scopes_supported,
      });
    return { profile, discovery };
  } finally {
    await http.close();
  }
}

/** `keyturn login --resource URL` and the sign-ins `client.fetch` starts. */
export async function loginToResource(
  deps: Deps,
  input: ResourceSignInInput & Omit<BrowserLoginInput, 'profile'>,
  signal?: AbortSignal,
): Promise<LoginResult & { resource: string }> {
  const { profile, discovery } = await prepareResourceSignIn(deps, input, signal);
  const result = await loginWithBrowser(deps, { ...input, profile }, signal);
  return { ...result, resource: discovery.resource };
}

/**
 * RFC 7591 §3.2.1 requires `client_secret_expires_at` with every issued secret, and oauth4webapi
 * insists; servers in the wild (the MCP SDK's and the conformance suite's among them) leave it out.
 * Read its absence as 0, "does not expire", the RFC's own value for that.
 */
async function withSecretExpiry(response: Response): Promise<Response> {
  if (response.status !== 201) return response;
  const body = (await response
    .clone()
    .json()
    .catch(() => undefined)) as Record<string, unknown> | undefined;
  if (body === undefined || typeof body.client_secret !== 'string' || 'client_secret_expires_at' in body) {
    return response;
  }
  return new Response(JSON.stringify({ ...body, client_secret_expires_at: 0 }), {
    status: response.status,
    headers: response.headers,
  });
}

const SERVER_KEYS = [
  'issuer',
  'authorization_endpoint',
  'token_endpoint',
  'registration_endpoint',
  'revocation_endpoint',
  'scopes_supported',
  'code_challenge_methods_supported',
  'token_endpoint_auth_methods_supported',
  'authorization_response_iss_parameter_supported',
  'client_id_metadata_document_supported',
] as const;

function keptServer(server: oauth.AuthorizationServer): McpBinding['server'] {
  const kept: Record<string, unknown> = {};
  for (const key of SERVER_KEYS) if (server[key] !== undefined) kept[key] = server[key];
  return kept as McpBinding['server'];
}

/**
 * The client to sign in as, in the spec's order of preference: the profile's pre-registered client;
 * the one registered before with this same server; the profile's client ID metadata document where
 * the server supports them; dynamic client registration (RFC 7591) as a native application.
 * @see https://modelcontextprotocol.io/specification/2025-11-25/basic/authorization#client-registration-approaches
 */
async function obtainClient(
  deps: Deps,
  fetch: Parameters<typeof discoverResource>[0],
  base: Profile & { resource: string },
  discovery: ResourceDiscovery,
  previous: OAuthCredentials | undefined,
  input: ResourceSignInInput,
  signal?: AbortSignal,
): Promise<McpBinding> {
  const server = discovery.server;
  const supported = server.token_endpoint_auth_methods_supported;
  const common = {
    resource: discovery.resource,
    server: keptServer(server),
    ...(discovery.legacy ? { legacy: true } : {}),
  };
  if (base.clientId !== undefined) {
    return {
      ...common,
      client_id: base.clientId,
      ...(base.clientSecret === undefined ? {} : { client_secret: base.clientSecret }),
      token_endpoint_auth_method: chooseTokenEndpointAuthMethod({
        supported,
        hasSecret: base.clientSecret !== undefined,
      }),
      client_source: 'configured',
    };
  }
  const before = previous?.mcp;
  if (
    before !== undefined &&
    before.client_source !== 'configured' &&
    before.server.issuer === server.issuer &&
    (before.client_source !== 'metadata_document' || before.client_id === base.clientMetadataUrl)
  ) {
    deps.output.debug(`reusing the client ${before.client_id} registered with ${server.issuer}`);
    return { ...before, ...common, client_id: before.client_id };
  }
  if (base.clientMetadataUrl !== undefined && server.client_id_metadata_document_supported === true) {
    return {
      ...common,
      client_id: base.clientMetadataUrl,
      token_endpoint_auth_method: 'none',
      client_source: 'metadata_document',
    };
  }
  if (server.registration_endpoint === undefined) {
    throw new KeyturnError(
      'registration_refused',
      `The authorization server ${server.issuer} offers no dynamic client registration${
        server.client_id_metadata_document_supported === true ? '' : ' nor client ID metadata documents'
      }, and no client is configured for ${base.resource}.`,
      { evidence: { step: 'registration' } },
    );
  }
  const preferred = (supported ?? ['none']).includes('none')
    ? 'none'
    : chooseTokenEndpointAuthMethod({ supported, hasSecret: true });
  deps.output.step('Registration', `registering keyturn as a native app at ${server.registration_endpoint}`);
  const registrationUrl = new URL(server.registration_endpoint);
  let client: oauth.OmitSymbolProperties<oauth.Client>;
  try {
    const response = await oauth.dynamicClientRegistrationRequest(
      server,
      {
        client_name: input.clientName ?? deps.app.name,
        redirect_uris: [base.redirectUri],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: preferred,
        application_type: 'native',
      },
      requestOptions(fetch, registrationUrl, signal),
    );
    client = await oauth.processDynamicClientRegistrationResponse(await withSecretExpiry(response));
  } catch (error) {
    if (isKeyturnError(error)) throw error;
    const e = error as { error?: string; error_description?: string; status?: number; message?: string };
    const said =
      e.error === undefined ? (e.message ?? String(error)) : `${e.error}: ${e.error_description ?? ''}`;
    throw new KeyturnError(
      'registration_refused',
      `${server.registration_endpoint} refused to register keyturn (${said.trim()}).`,
      {
        evidence: { step: 'registration' },
        ...(e.status === undefined ? {} : { httpStatus: e.status }),
        ...(e.error === undefined ? {} : { oauthError: e.error }),
        cause: error,
      },
    );
  }
  const secret = typeof client.client_secret === 'string' ? client.client_secret : undefined;
  return {
    ...common,
    client_id: client.client_id,
    ...(secret === undefined ? {} : { client_secret: secret }),
    token_endpoint_auth_method: chooseTokenEndpointAuthMethod({
      registered:
        typeof client.token_endpoint_auth_method === 'string' ? client.token_endpoint_auth_method : undefined,
      supported,
      hasSecret: secret !== undefined,
    }),
    client_source: 'registered',
  };
}
