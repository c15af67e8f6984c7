import * as oidc from 'openid-client';
import { KeyturnError, isKeyturnError } from '../core/errors.js';
import { classifyExchange, type ExchangeFacts, type ExchangePhase } from '../core/classify.js';
import { assertSecureUrl, isLoopbackHost, type Profile } from '../core/config.js';
import type { McpBinding } from '../core/mcp.js';
import { NetworkError, responseFactsOf, type HttpClient } from './http.js';
import { normalisingFetch } from './oauth-fetch.js';
import { preflightAuthorization } from './probes/authorization.js';
import type {
  AuthorizationChecks,
  DeviceAuthorization,
  OAuthProvider,
  ProviderEndpoints,
  TokenSet,
} from '../core/ports.js';

/**
 * The thin wrapper over openid-client v6: every protocol step is the library's; this file only
 * builds its Configuration from a profile and turns its errors into catalog errors.
 */

export type OAuthConfig = oidc.Configuration;

function needsInsecure(urls: (string | undefined)[]): boolean {
  return urls.some((u) => u !== undefined && new URL(u).protocol === 'http:');
}

/**
 * Discovery (RFC 8414 / OIDC Discovery) when the profile names an issuer, with the profile's explicit
 * endpoints over the discovered ones for every request; the explicit endpoints alone for a provider
 * without discovery (no issuer, or an issuer whose discovery document does not exist).
 */
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
  const overridden = (server: oidc.ServerMetadata): oidc.Configuration => {
    const merged: oidc.ServerMetadata = { ...server };
    for (const [key, value] of Object.entries(explicit)) {
      if (value !== undefined) (merged as unknown as Record<string, string>)[key] = value;
    }
    const built = new oidc.Configuration(merged, profile.clientId, metadata, auth);
    if (needsInsecure([merged.issuer, ...Object.values(explicit)])) oidc.allowInsecureRequests(built);
    return built;
  };

  // Every answer openid-client reads passes the one normaliser (providers as they really answer).
  const fetch = normalisingFetch(http.fetch) as unknown as oidc.CustomFetch;
  let config: oidc.Configuration;
  if (profile.issuer === undefined) {
    config = overridden({ issuer: new URL(profile.tokenEndpoint as string).origin });
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
      // serverMetadata() is a copy: the configuration is built again over the merged metadata.
      if (Object.values(explicit).some((value) => value !== undefined)) {
        config = overridden(config.serverMetadata());
      }
    } catch (error) {
      const failure = oauthFailure(error, 'discovery');
      // A provider without discovery, its endpoints given: they are all there is to know.
      if (failure.code !== 'discovery_failed' || profile.tokenEndpoint === undefined) throw failure;
      config = overridden({ issuer: profile.issuer });
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

/** A token response as plain data, with the validated id token's claims. */
function tokenSet(tokens: oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers): TokenSet {
  const set: TokenSet = { access_token: tokens.access_token };
  if (tokens.token_type !== undefined) set.token_type = tokens.token_type;
  if (tokens.expires_in !== undefined) set.expires_in = tokens.expires_in;
  if (tokens.refresh_token !== undefined) set.refresh_token = tokens.refresh_token;
  if (tokens.id_token !== undefined) set.id_token = tokens.id_token;
  if (tokens.scope !== undefined) set.scope = tokens.scope;
  const claims = tokens.claims();
  if (claims !== undefined) set.claims = { ...claims };
  return set;
}

/**
 * The OAuth port of `deps` (core/ports.ts) over openid-client: configures the profile's provider
 * once, and maps every failure of every step to a catalog error with its phase.
 */
export async function createOAuthProvider(
  profile: Profile & { clientId: string },
  http: HttpClient,
  options: { timeoutMs?: number } = {},
): Promise<OAuthProvider> {
  const seconds = (ms: number | undefined) =>
    ms === undefined ? undefined : Math.max(1, Math.ceil(ms / 1000));
  const timeoutSeconds = seconds(options.timeoutMs);
  let config: OAuthConfig;
  try {
    config = await configure(profile, http, timeoutSeconds === undefined ? {} : { timeoutSeconds });
  } catch (error) {
    await http.close();
    throw oauthFailure(error, 'discovery');
  }
  const server = config.serverMetadata();
  const endpoints: ProviderEndpoints = { issuer: server.issuer };
  for (const key of [
    'authorization_endpoint',
    'token_endpoint',
    'device_authorization_endpoint',
    'revocation_endpoint',
  ] as const) {
    const value = server[key];
    if (typeof value === 'string') endpoints[key] = value;
  }
  if (Array.isArray(server.scopes_supported)) endpoints.scopes_supported = [...server.scopes_supported];
  /** One step: its failure as a catalog error of its phase. */
  const step = async <T>(phase: ExchangePhase, run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (error) {
      throw oauthFailure(error, phase);
    }
  };
  return {
    endpoints,
    async newChecks() {
      const codeVerifier = oidc.randomPKCECodeVerifier();
      return {
        codeVerifier,
        codeChallenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
        state: oidc.randomState(),
        nonce: oidc.randomNonce(),
      };
    },
    authorizationUrl: (parameters) => oidc.buildAuthorizationUrl(config, parameters).toString(),
    authorizationCodeGrant: (callbackUrl: URL, checks: AuthorizationChecks, parameters) =>
      step('token', async () =>
        tokenSet(
          await oidc.authorizationCodeGrant(
            config,
            callbackUrl,
            {
              pkceCodeVerifier: checks.pkceCodeVerifier,
              expectedState: checks.expectedState,
              ...(checks.expectedNonce === undefined ? {} : { expectedNonce: checks.expectedNonce }),
              idTokenExpected: checks.idTokenExpected,
            },
            parameters,
          ),
        ),
      ),
    refreshTokenGrant: (refreshToken, grantOptions = {}) =>
      step('refresh', async () => {
        const bound = seconds(grantOptions.timeoutMs);
        if (bound !== undefined) config.timeout = bound;
        return tokenSet(await oidc.refreshTokenGrant(config, refreshToken, grantOptions.parameters));
      }),
    deviceAuthorization: (parameters) =>
      step('device_authorization', async () => {
        const answer = await oidc.initiateDeviceAuthorization(config, parameters);
        return answer as DeviceAuthorization;
      }),
    pollDeviceAuthorization: async (authorization, signal, parameters) => {
      try {
        return tokenSet(
          await oidc.pollDeviceAuthorizationGrant(
            config,
            authorization as oidc.DeviceAuthorizationResponse,
            parameters,
            { signal },
          ),
        );
      } catch (error) {
        // Stopped by the caller (expiry, Ctrl-C): not a failure of the provider.
        throw signal.aborted ? error : oauthFailure(error, 'device_poll');
      }
    },
    revoke: (token, hint) =>
      step('revocation', () => oidc.tokenRevocation(config, token, { token_type_hint: hint })),
    preflight: (authorizationUrl, redirectUri) => preflightAuthorization(http, authorizationUrl, redirectUri),
    close: () => http.close(),
  };
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
