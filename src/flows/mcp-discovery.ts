import * as oauth from 'oauth4webapi';
import { KeyturnError, isKeyturnError } from '../core/errors.js';
import { isLoopbackHost } from '../core/config.js';
import {
  authorizationServerMetadataCandidates,
  bearerChallenge,
  legacyAuthorizationServer,
  resourceMetadataCandidates,
  splitScopes,
  type BearerChallenge,
} from '../core/mcp.js';
import type { HttpClient } from '../adapters/http.js';

/**
 * The discovery chain of the MCP authorization spec (revision 2025-11-25, with the 2025-03-26
 * fallbacks): the server's Bearer challenge, its protected resource metadata (RFC 9728), its
 * authorization server's metadata (RFC 8414 / OpenID Connect discovery). Each answer is validated
 * by oauth4webapi's `process…Response`; this file only knows where to look, in which order.
 * @see https://modelcontextprotocol.io/specification/2025-11-25/basic/authorization
 */

/** The steps of the chain, named in findings and errors (`evidence.step`). */
export type DiscoveryStep =
  'challenge' | 'resource_metadata' | 'authorization_server_metadata' | 'pkce' | 'registration';

export interface Tried {
  url: string;
  status?: number;
  problem?: string;
}

export interface ResourceDiscovery {
  /** The resource identifier (RFC 8707 `resource`): the protected resource metadata's `resource`. */
  resource: string;
  challenge: BearerChallenge | undefined;
  /** Status of the unauthenticated request. */
  probeStatus: number | undefined;
  resourceMetadata: oauth.ResourceServer | undefined;
  resourceMetadataUrl: string | undefined;
  server: oauth.AuthorizationServer;
  serverMetadataUrl: string | undefined;
  /** 2025-03-26: no protected resource metadata; the MCP server's origin is the authorization server. */
  legacy: boolean;
  tried: Tried[];
}

type Fetch = HttpClient['fetch'];

/** http:// is spoken to loopback hosts only, as everywhere in keyturn. */
function allowsHttp(url: URL): boolean {
  return url.protocol === 'http:' && isLoopbackHost(url.hostname);
}

export function requestOptions(fetch: Fetch, url: URL, signal?: AbortSignal) {
  return {
    [oauth.customFetch]: fetch as unknown as typeof globalThis.fetch,
    ...(allowsHttp(url) ? { [oauth.allowInsecureRequests]: true } : {}),
    ...(signal === undefined ? {} : { signal }),
  };
}

function stepError(
  code: 'discovery_failed' | 'issuer_mismatch' | 'resource_mismatch' | 'pkce_unsupported',
  step: DiscoveryStep,
  message: string,
  tried: Tried[],
  fix?: string,
): KeyturnError {
  return new KeyturnError(code, message, {
    ...(fix === undefined ? {} : { fix }),
    evidence: { step, tried },
  });
}

async function get(fetch: Fetch, url: URL, signal?: AbortSignal): Promise<Response> {
  if (url.protocol !== 'https:' && !allowsHttp(url)) {
    throw new KeyturnError(
      'discovery_failed',
      `${url.href} must use https:// (plain http is allowed on loopback hosts only).`,
    );
  }
  return (await fetch(url.href, {
    method: 'GET',
    headers: { accept: 'application/json' },
    redirect: 'manual',
    ...(signal === undefined ? {} : { signal }),
  } as RequestInit)) as unknown as Response;
}

/**
 * Asks the resource without a token and reads its challenge. An MCP server answers a bare POST of
 * a JSON-RPC `ping` with 401 and `WWW-Authenticate: Bearer resource_metadata=…`.
 */
export async function probeResource(
  fetch: Fetch,
  resource: URL,
  signal?: AbortSignal,
): Promise<{ status: number; challenge: BearerChallenge | undefined }> {
  const response = (await fetch(resource.href, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'ping' }),
    ...(signal === undefined ? {} : { signal }),
  } as RequestInit)) as unknown as Response;
  await response.body?.cancel().catch(() => undefined);
  return { status: response.status, challenge: bearerChallenge(response.headers.get('www-authenticate')) };
}

/** Walks the chain from the resource's URL (and the challenge, when the caller has one). */
export async function discoverResource(
  fetch: Fetch,
  resourceUrl: string,
  options: { challenge?: BearerChallenge; signal?: AbortSignal } = {},
): Promise<ResourceDiscovery> {
  const serverUrl = new URL(resourceUrl);
  const tried: Tried[] = [];
  let challenge = options.challenge;
  let probeStatus: number | undefined;
  if (challenge === undefined) {
    const probe = await probeResource(fetch, serverUrl, options.signal);
    probeStatus = probe.status;
    challenge = probe.challenge;
  }

  // Protected resource metadata (RFC 9728): the challenge's URL, else the well-known URIs.
  let resourceMetadata: oauth.ResourceServer | undefined;
  let resourceMetadataUrl: string | undefined;
  for (const candidate of resourceMetadataCandidates(serverUrl, challenge?.resourceMetadata)) {
    const response = await get(fetch, candidate.url, options.signal);
    if (response.status !== 200) {
      await response.body?.cancel().catch(() => undefined);
      tried.push({ url: candidate.url.href, status: response.status });
      continue;
    }
    try {
      resourceMetadata = await oauth.processResourceDiscoveryResponse(candidate.expectedResource, response);
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === oauth.JSON_ATTRIBUTE_COMPARISON) {
        throw stepError(
          'resource_mismatch',
          'resource_metadata',
          `The protected resource metadata at ${candidate.url.href} is for another resource than ${candidate.expectedResource.href}: not signing in, a token for it could be replayed elsewhere.`,
          [...tried, { url: candidate.url.href, status: 200, problem: 'resource differs' }],
        );
      }
      tried.push({ url: candidate.url.href, status: 200, problem: (error as Error).message });
      continue;
    }
    resourceMetadataUrl = candidate.url.href;
    break;
  }

  let server: oauth.AuthorizationServer | undefined;
  let serverMetadataUrl: string | undefined;
  let legacy = false;
  let resource = serverUrl.href;
  if (resourceMetadata !== undefined) {
    resource = new URL(resourceMetadata.resource).href;
    const issuerValue = resourceMetadata.authorization_servers?.[0];
    if (issuerValue === undefined) {
      throw stepError(
        'discovery_failed',
        'resource_metadata',
        `The protected resource metadata at ${resourceMetadataUrl ?? '?'} names no authorization server.`,
        tried,
      );
    }
    const issuer = new URL(issuerValue);
    ({ server, url: serverMetadataUrl } = await serverMetadata(fetch, issuer, tried, false, options.signal));
    if (server === undefined) {
      throw stepError(
        'discovery_failed',
        'authorization_server_metadata',
        `No metadata for the authorization server ${issuer.href} at any well-known path (${tried
          .filter((t) => t.url.startsWith(issuer.origin))
          .map((t) => `${t.url} → ${t.status ?? t.problem ?? '?'}`)
          .join(', ')}).`,
        tried,
        `Its operator must serve RFC 8414 metadata (\`/.well-known/oauth-authorization-server\`) or OpenID discovery for ${issuer.href}.`,
      );
    }
  } else {
    // 2025-03-26: no protected resource metadata; the server's origin is its authorization server.
    legacy = true;
    const origin = new URL(serverUrl.origin);
    ({ server, url: serverMetadataUrl } = await serverMetadata(fetch, origin, tried, true, options.signal));
    if (server === undefined) {
      server = { ...legacyAuthorizationServer(serverUrl), code_challenge_methods_supported: ['S256'] };
    }
    if (probeStatus !== undefined && probeStatus !== 401 && challenge === undefined) {
      throw stepError(
        'discovery_failed',
        'challenge',
        `${serverUrl.href} answered ${probeStatus} without a token and has no protected resource metadata at any well-known path (${tried
          .map((t) => `${t.url} → ${t.status ?? t.problem ?? '?'}`)
          .join(', ')}).`,
        tried,
        'Check the MCP server URL (it usually ends in `/mcp`).',
      );
    }
  }

  // The MCP spec forbids signing in without PKCE S256 advertised (RFC 8414 `code_challenge_methods_supported`).
  if (!legacy && !(server.code_challenge_methods_supported ?? []).includes('S256')) {
    throw stepError(
      'pkce_unsupported',
      'pkce',
      `The authorization server ${server.issuer} does not list S256 in code_challenge_methods_supported (${JSON.stringify(
        server.code_challenge_methods_supported ?? null,
      )}).`,
      tried,
    );
  }
  return {
    resource,
    challenge,
    probeStatus,
    resourceMetadata,
    resourceMetadataUrl,
    server,
    serverMetadataUrl,
    legacy,
    tried,
  };
}

/**
 * The authorization server's metadata from the first well-known URI that has it, `issuer` compared
 * exactly (RFC 8414 §3.3). In 2025-03-26 mode the metadata is the MCP server's own, found at its
 * origin; its `issuer` need only share that origin.
 */
async function serverMetadata(
  fetch: Fetch,
  issuer: URL,
  tried: Tried[],
  legacy: boolean,
  signal?: AbortSignal,
): Promise<{ server: oauth.AuthorizationServer | undefined; url: string | undefined }> {
  const candidates = legacy
    ? authorizationServerMetadataCandidates(issuer).slice(0, 1)
    : authorizationServerMetadataCandidates(issuer);
  for (const candidate of candidates) {
    const response = await get(fetch, candidate.url, signal);
    if (response.status !== 200) {
      await response.body?.cancel().catch(() => undefined);
      tried.push({ url: candidate.url.href, status: response.status });
      continue;
    }
    let expected = issuer;
    if (legacy) {
      const named = (await response
        .clone()
        .json()
        .catch(() => undefined)) as { issuer?: unknown } | undefined;
      if (typeof named?.issuer === 'string' && URL.canParse(named.issuer)) {
        const url = new URL(named.issuer);
        if (url.origin === issuer.origin) expected = url;
      }
    }
    try {
      return { server: await oauth.processDiscoveryResponse(expected, response), url: candidate.url.href };
    } catch (error) {
      if ((error as { code?: string }).code === oauth.JSON_ATTRIBUTE_COMPARISON) {
        const named = ((error as { cause?: { body?: { issuer?: unknown } } }).cause?.body?.issuer ??
          '?') as string;
        throw stepError(
          'issuer_mismatch',
          'authorization_server_metadata',
          `The metadata at ${candidate.url.href} names the issuer "${named}", not "${issuer.href}" as the resource metadata says.`,
          [...tried, { url: candidate.url.href, status: 200, problem: 'issuer differs' }],
          `The operator of ${issuer.origin} must make \`authorization_servers\` and \`issuer\` identical (RFC 8414 §3.3).`,
        );
      }
      tried.push({ url: candidate.url.href, status: 200, problem: (error as Error).message });
    }
  }
  return { server: undefined, url: undefined };
}

/** Network failures during discovery keep their catalog code; anything else is a discovery failure. */
export function discoveryFailure(error: unknown, resource: string): KeyturnError {
  if (isKeyturnError(error)) return error;
  return new KeyturnError(
    'discovery_failed',
    `Discovery for ${resource} failed: ${(error as Error).message}`,
    {
      cause: error,
    },
  );
}

export { splitScopes };
