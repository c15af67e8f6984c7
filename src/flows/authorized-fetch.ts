import type { AccessToken } from './token.js';

/**
 * `client.fetch`: a `fetch` that carries the sign-in to a protected resource. It sends the access
 * token as a Bearer token (RFC 6750 §2.1), asks for a fresh one first when it is due, and when the
 * resource rejects it (401, RFC 6750 §3.1 `invalid_token`) refreshes — forced, the token may look
 * valid here — and sends the request once more. A request whose body cannot be sent twice (a stream)
 * is not retried: its 401 is returned as is.
 *
 * One function, one module: the MCP extension (resource discovery, sign-in on 401, step-up on 403
 * `insufficient_scope`) plugs in through `onChallenge`, not beside it.
 */

/** A resource's refusal: the status, its `WWW-Authenticate` challenge, the token that was refused. */
export interface Challenge {
  status: 401 | 403;
  /** The `WWW-Authenticate` header (RFC 9110 §11.6.1), or null when the resource sent none. */
  wwwAuthenticate: string | null;
  /** The request's URL. */
  url: string;
  /** The refused response; its body is unread. */
  response: Response;
  /** The access token the resource refused; undefined when none was sent (no sign-in yet). */
  refused: AccessToken | undefined;
  /** Whether the request can be sent again (its body is not a stream). */
  replayable: boolean;
  signal: AbortSignal | undefined;
}

/** What to do about a challenge: send the request again with this token, or hand the response back. */
export type ChallengeOutcome = { retryWith: AccessToken } | { respond: true };

export interface AuthorizedFetchPorts {
  /**
   * A valid access token (refreshed first when due); `forceRefresh` refreshes even a valid one.
   * Undefined sends the request without one (an MCP server's 401 then says how to sign in).
   */
  token(options: {
    forceRefresh: boolean;
    signal?: AbortSignal | undefined;
  }): Promise<AccessToken | undefined>;
  /** The transport the request goes out on. */
  fetch: typeof globalThis.fetch;
  /**
   * Decides about a 401 or 403 before the plain rule (401 → forced refresh, retry once; 403 → as is).
   * Returns `undefined` to leave it to the plain rule.
   */
  onChallenge?(challenge: Challenge): Promise<ChallengeOutcome | undefined>;
  /** How many challenges of one request may be answered by sending it again (default 1). */
  maxRetries?: number;
}

/** A body that can be sent a second time: none, or one held in memory (not a stream). */
export function isReplayable(input: RequestInfo | URL, init: RequestInit | undefined): boolean {
  const body = init?.body;
  if (body === undefined || body === null) {
    // A Request with a body of its own: that body is a stream, read once.
    return !(input instanceof Request && input.body !== null);
  }
  return !(body instanceof ReadableStream) && !isAsyncIterable(body);
}

function isAsyncIterable(value: unknown): boolean {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}

/** The plain rule: a 401 refreshes (forced) and retries once with a new token; anything else is returned. */
export async function plainChallengeRule(
  challenge: Challenge,
  ports: Pick<AuthorizedFetchPorts, 'token'>,
): Promise<ChallengeOutcome> {
  if (challenge.status !== 401 || !challenge.replayable || challenge.refused === undefined)
    return { respond: true };
  const fresh = await ports.token({ forceRefresh: true, signal: challenge.signal });
  // The same token again (an API key, or a provider that re-issued it) would only be refused again.
  if (fresh === undefined || fresh.access_token === challenge.refused.access_token) return { respond: true };
  return { retryWith: fresh };
}

function urlOf(input: RequestInfo | URL): string {
  if (typeof input === 'string') return input;
  if (input instanceof URL) return input.href;
  return input.url;
}

/**
 * Sends `input` with the sign-in's access token as `Authorization: Bearer` (RFC 6750 §2.1); on a 401
 * refreshes and retries once (see the module comment).
 * @see https://www.rfc-editor.org/rfc/rfc6750
 */
export async function authorizedFetch(
  ports: AuthorizedFetchPorts,
  input: RequestInfo | URL,
  init?: RequestInit,
): Promise<Response> {
  const signal = init?.signal ?? (input instanceof Request ? input.signal : undefined);
  const replayable = isReplayable(input, init);
  const send = (token: AccessToken | undefined): Promise<Response> => {
    const headers = new Headers(input instanceof Request ? input.headers : undefined);
    new Headers(init?.headers).forEach((value, name) => headers.set(name, value));
    if (token !== undefined) headers.set('authorization', `Bearer ${token.access_token}`);
    return ports.fetch(input, { ...init, headers });
  };

  let token = await ports.token({ forceRefresh: false, signal });
  let response = await send(token);
  for (let retries = 0; retries < (ports.maxRetries ?? 1); retries++) {
    if (response.status !== 401 && response.status !== 403) return response;
    const challenge: Challenge = {
      status: response.status,
      wwwAuthenticate: response.headers.get('www-authenticate'),
      url: urlOf(input),
      response,
      refused: token,
      replayable,
      signal: signal ?? undefined,
    };
    const outcome = (await ports.onChallenge?.(challenge)) ?? (await plainChallengeRule(challenge, ports));
    if ('respond' in outcome) return response;
    // The refused response is done with: free its connection before the retry.
    await response.body?.cancel().catch(() => undefined);
    token = outcome.retryWith;
    response = await send(token);
  }
  return response;
}
