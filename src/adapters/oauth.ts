import * as oidc from 'openid-client';
import { KeyturnError, isKeyturnError } from '../core/errors.js';
import { classifyExchange, type ExchangeFacts, type ExchangePhase } from '../core/classify.js';
import { assertSecureUrl, isLoopbackHost, type Profile } from '../core/config.js';
import type { McpBinding } from '../core/mcp.js';
import { NetworkError, responseFactsOf, type HttpClient } from './http.js';
import { normalisingFetch } from './oauth-fetch.js';

/**
 * The thin wrapper over openid-client v6: every protocol step is the library's; this file only
 * builds its Configuration from a profile and turns its errors into catalog errors.
 */

export type OAuthConfig = oidc.Configuration;

function needsInsecure(urls: (string | undefined)[]): boolean {
  return urls.some((u) => u !== undefined && new URL(u).protocol === 'http:');
}

/** Discovery, or the explicit endpoints of the profile for providers without it. */
export async function configure(
  profile: Profile & { clientId: string },
  http: HttpClient,
  options: { timeoutSeconds?: number } = {},
): Promise<OAuthConfig> {
  if (profile.mcp !== undefined) return configureForResource(profile.mcp, http, options);
  const auth = profile.clientSecret ? oidc.ClientSecretPost(profile.clientSecret) : oidc.None();
  const metadata: Partial<oidc.ClientMetadata> = profile.clientSecret
    ? { client_id: profile.clientId }
    : { client_id: profile.clientId, token_endpoint_auth_method: 'none' };
  const explicit = {
    authorization_endpoint: profile.authorizationEndpoint,
    token_endpoint: profile.tokenEndpoint,
    device_authorization_endpoint: profile.deviceAuthorizationEndpoint,
    revocation_endpoint: profile.revocationEndpoint,
  };
  for (const [key, value] of Object.entries(explicit)) if (value !== undefined) assertSecureUrl(value, key);

  // Every answer openid-client reads passes the one normaliser (providers as they really answer).
  const fetch = normalisingFetch(http.fetch) as unknown as oidc.CustomFetch;
  let config: oidc.Configuration;
  if (profile.issuer === undefined || profile.tokenEndpoint !== undefined) {
    const issuer = profile.issuer ?? new URL(profile.tokenEndpoint as string).origin;
    const server: oidc.ServerMetadata = { issuer };
    for (const [key, value] of Object.entries(explicit)) {
      if (value !== undefined) (server as unknown as Record<string, string>)[key] = value;
    }
    config = new oidc.Configuration(server, profile.clientId, metadata, auth);
    if (needsInsecure([issuer, ...Object.values(explicit)])) oidc.allowInsecureRequests(config);
  } else {
    const issuerUrl = assertSecureUrl(profile.issuer, 'issuer');
    try {
      config = await oidc.discovery(issuerUrl, profile.clientId, metadata, auth, {
        [oidc.customFetch]: fetch,
        ...(issuerUrl.protocol === 'http:' && isLoopbackHost(issuerUrl.hostname)
          ? { execute: [oidc.allowInsecureRequests] }
          : {}),
        ...(options.timeoutSeconds === undefined ? {} : { timeout: options.timeoutSeconds }),
      });
    } catch (error) {
      throw oauthFailure(error, 'discovery');
    }
    // Explicit endpoints override discovered ones.
    const server = config.serverMetadata();
    for (const [key, value] of Object.entries(explicit)) {
      if (value !== undefined) (server as unknown as Record<string, string>)[key] = value;
    }
  }
  config[oidc.customFetch] = fetch;
  if (options.timeoutSeconds !== undefined) config.timeout = options.timeoutSeconds;
  return config;
}

/**
 * client_secret_basic with the id and secret form-encoded as application/x-www-form-urlencoded
 * serialises them (RFC 6749 §2.3.1): openid-client also escapes `-`, `.`, `_` and `*`, which servers
 * that skip the decoding step (the MCP conformance suite's among them) then do not recognise.
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-2.3.1
 */
export function clientSecretBasic(clientId: string, clientSecret: string): oidc.ClientAuth {
  const encode = (value: string) => new URLSearchParams({ v: value }).toString().slice(2);
  return (_as, _client, _body, headers) => {
    headers.set('authorization', `Basic ${btoa(`${encode(clientId)}:${encode(clientSecret)}`)}`);
  };
}

/**
 * The configuration of one MCP resource's sign-in: the discovered server metadata and the client
 * with its token endpoint authentication as registered (RFC 7591 §2, RFC 8414 §2).
 */
function configureForResource(
  binding: McpBinding,
  http: HttpClient,
  options: { timeoutSeconds?: number },
): OAuthConfig {
  const secret = binding.client_secret;
  const auth =
    binding.token_endpoint_auth_method === 'client_secret_basic' && secret !== undefined
      ? clientSecretBasic(binding.client_id, secret)
      : binding.token_endpoint_auth_method === 'client_secret_post' && secret !== undefined
        ? oidc.ClientSecretPost(secret)
        : oidc.None();
  const config = new oidc.Configuration(
    binding.server as oidc.ServerMetadata,
    binding.client_id,
    { client_id: binding.client_id, token_endpoint_auth_method: binding.token_endpoint_auth_method },
    auth,
  );
  const endpoints = [
    binding.server.issuer,
    binding.server.token_endpoint,
    binding.server.authorization_endpoint,
  ];
  if (needsInsecure(endpoints)) {
    for (const url of endpoints) if (url !== undefined) assertSecureUrl(url, 'authorization server');
    oidc.allowInsecureRequests(config);
  }
  config[oidc.customFetch] = http.fetch as unknown as oidc.CustomFetch;
  if (options.timeoutSeconds !== undefined) config.timeout = options.timeoutSeconds;
  return config;
}

function findInChain<T>(error: unknown, test: (e: unknown) => e is T): T | undefined {
  let current: unknown = error;
  for (let depth = 0; current !== undefined && current !== null && depth < 6; depth++) {
    if (test(current)) return current;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Turns anything openid-client (or our HTTP layer under it) throws into a catalog error. */
export function oauthFailure(error: unknown, phase: ExchangePhase): KeyturnError {
  if (isKeyturnError(error)) return error;
  const network = findInChain(error, (e): e is NetworkError => e instanceof NetworkError);
  if (network !== undefined) {
    return classifyExchange({ phase, url: network.url, network: network.facts });
  }
  const e = error as {
    code?: string;
    error?: string;
    error_description?: string;
    status?: number;
    message?: string;
  };
  // The facts of the answer travel on the error (its Response), never beside it.
  const last = responseFactsOf(error);
  const fromLast: Partial<ExchangeFacts> =
    last === undefined
      ? {}
      : {
          url: last.url,
          status: last.status,
          ...(last.contentType === undefined ? {} : { contentType: last.contentType }),
          ...(last.server === undefined ? {} : { server: last.server }),
          ...(last.retryAfter === undefined ? {} : { retryAfter: last.retryAfter }),
          ...(last.bodyExcerpt === undefined ? {} : { bodyExcerpt: last.bodyExcerpt }),
          ...(last.cfMitigated === undefined ? {} : { cfMitigated: last.cfMitigated }),
          ...(last.oauthError === undefined ? {} : { oauthError: last.oauthError }),
          ...(last.oauthErrorDescription === undefined
            ? {}
            : { oauthErrorDescription: last.oauthErrorDescription }),
        };
  // openid-client rewords oauth4webapi's errors ("invalid response encountered"); the cause says which check failed.
  const detail =
    `${e.message ?? ''} ${(error as { cause?: { message?: unknown } }).cause?.message ?? ''}`.trim();
  switch (e.code) {
    case oidc.AuthorizationResponseError.name:
    case 'OAUTH_AUTHORIZATION_RESPONSE_ERROR':
    case 'OAUTH_RESPONSE_BODY_ERROR':
    case 'OAUTH_WWW_AUTHENTICATE_CHALLENGE':
      return classifyExchange({
        ...fromLast,
        phase,
        ...(e.status === undefined ? {} : { status: e.status }),
        oauthError: e.error ?? fromLast.oauthError ?? 'invalid_request',
        ...(e.error_description === undefined ? {} : { oauthErrorDescription: e.error_description }),
      });
    case 'OAUTH_RESPONSE_IS_NOT_JSON':
    case 'OAUTH_RESPONSE_IS_NOT_CONFORM':
    case 'OAUTH_PARSE_ERROR':
      // What answered is judged by what it was (status, content type), never by an invented status.
      return classifyExchange({ ...fromLast, phase });
    case 'OAUTH_INVALID_RESPONSE': {
      // An OAuth error in a 200 answer (GitHub) reaches openid-client as a token response without a token.
      const body = (e as { cause?: { body?: { error?: unknown; error_description?: unknown } } }).cause?.body;
      if (typeof body?.error === 'string') {
        return classifyExchange({
          ...fromLast,
          phase,
          oauthError: body.error,
          ...(typeof body.error_description === 'string'
            ? { oauthErrorDescription: body.error_description }
            : {}),
        });
      }
      if (/"iss"/.test(detail)) {
        return new KeyturnError(
          'issuer_mismatch',
          `The authorization response came from a different issuer (RFC 9207): ${detail}`,
        );
      }
      if (/state/.test(detail)) return new KeyturnError('state_mismatch', detail);
      break;
    }
    case 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED':
      if (phase === 'discovery' || /issuer/i.test(detail)) {
        return new KeyturnError(
          'issuer_mismatch',
          `The discovery document names a different issuer: ${detail}`,
        );
      }
      break;
    case 'OAUTH_JWT_TIMESTAMP_CHECK_FAILED':
      return new KeyturnError(
        'clock_skew',
        `The id_token's timestamps do not fit this machine's clock (${e.message ?? ''}): the local clock is probably wrong.`,
      );
    default:
      break;
  }
  if (error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError')) {
    return classifyExchange({ phase, network: { code: error.name } });
  }
  if (last !== undefined && e.code === undefined) return classifyExchange({ ...fromLast, phase });
  return new KeyturnError('internal', `${phase}: ${(error as Error)?.message ?? String(error)}`, {
    cause: error,
  });
}

export { oidc };
