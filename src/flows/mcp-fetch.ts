import { isKeyturnError } from '../core/errors.js';
import type { Profile } from '../core/config.js';
import {
  MAX_STEP_UPS,
  bearerChallenge,
  splitScopes,
  stepUpScopes,
  type BearerChallenge,
} from '../core/mcp.js';
import type { Deps } from './deps.js';
import { getAccessToken, type AccessToken } from './token.js';
import { authorizedFetch } from './authorized-fetch.js';
import { loginToResource, storedResourceSignIn } from './mcp-login.js';

/**
 * `client.fetch` for a client made with `resource`: authorizedFetch (authorized-fetch.ts) with the MCP
 * rules in its `onChallenge`. A `fetch` that signs its requests to the MCP server, and that the MCP SDK's `StreamableHTTPClientTransport` can use as its own. Bearer from
 * the store, refreshed first when due; on a 401, a refresh (or a sign-in when there is nothing to
 * refresh) and one retry; on a 403 `insufficient_scope`, a step-up sign-in for the union of the
 * scopes held and challenged, at most MAX_STEP_UPS times for one request.
 * @see https://modelcontextprotocol.io/specification/2025-11-25/basic/authorization#step-up-authorization-flow
 */

export interface ResourceFetchOptions {
  /** The sign-in a 401 starts: the browser sign-in of `login()`. */
  signIn: { timeoutSeconds: number; open: boolean; onAuthorizationUrl?: (url: string) => void };
  clientName?: string;
  /** The fetch that talks to the MCP server (default: the global one). */
  fetch?: typeof globalThis.fetch;
}

type ResourceProfile = Profile & { resource: string };

export function createResourceFetch(
  deps: Deps,
  getProfile: () => Promise<ResourceProfile>,
  options: ResourceFetchOptions,
): (input: string | URL | Request, init?: RequestInit) => Promise<Response> {
  const send = options.fetch ?? globalThis.fetch;
  // One sign-in at a time per client: concurrent requests that all meet a 401 wait for the same one.
  let signingIn: Promise<void> | undefined;
  let lastRequested: string[] = [];

  const currentToken = async (
    base: ResourceProfile,
  ): Promise<{ token: AccessToken; scopes: string[]; refreshable: boolean } | undefined> => {
    const stored = await storedResourceSignIn(deps, base);
    if (stored === undefined) return undefined;
    try {
      const token = await getAccessToken(deps, { profile: stored.profile });
      return {
        token,
        scopes: splitScopes(token.scope),
        refreshable: stored.credentials.refresh_token !== undefined,
      };
    } catch (error) {
      // A dead or unusable sign-in is as good as none: the server's 401 starts a new one.
      if (isKeyturnError(error) && !error.transient) return undefined;
      throw error;
    }
  };

  const forceRefresh = async (base: ResourceProfile, seen: string): Promise<boolean> => {
    const stored = await storedResourceSignIn(deps, base);
    if (stored === undefined || stored.credentials.refresh_token === undefined) return false;
    if (stored.credentials.access_token !== seen) return true; // another request or process did already
    const { refreshCredentials } = await import('./refresh.js');
    try {
      const fresh = await refreshCredentials(deps, {
        profile: stored.profile,
        minTtl: Number.MAX_SAFE_INTEGER,
        store: await deps.store(stored.profile),
        seen: stored.credentials,
      });
      return fresh.kind === 'oauth' && fresh.access_token !== seen;
    } catch (error) {
      if (isKeyturnError(error) && !error.transient) return false;
      throw error;
    }
  };

  const signIn = (base: ResourceProfile, challenge: BearerChallenge | undefined, scopes?: string[]) => {
    signingIn ??= (async () => {
      try {
        if (scopes !== undefined) lastRequested = scopes;
        await loginToResource(deps, {
          profile: base,
          ...(challenge === undefined ? {} : { challenge }),
          ...(scopes === undefined ? {} : { scopes }),
          ...(options.clientName === undefined ? {} : { clientName: options.clientName }),
          ...options.signIn,
        });
      } finally {
        signingIn = undefined;
      }
    })();
    return signingIn;
  };

  return async (input, init) => {
    const base = await getProfile();
    const original = new Request(input, init);
    // The body is read once, so the request can be sent again after a sign-in.
    const body =
      original.method === 'GET' || original.method === 'HEAD' ? undefined : await original.arrayBuffer();
    const request: RequestInit = {
      method: original.method,
      headers: original.headers,
      ...(body === undefined ? {} : { body }),
      signal: original.signal,
      redirect: original.redirect,
    };
    // A token for this resource goes to this resource's origin only.
    if (new URL(original.url).origin !== new URL(base.resource).origin) return send(original.url, request);

    if (signingIn !== undefined) await signingIn.catch(() => undefined);
    let held = await currentToken(base);
    let retriedUnauthorized = false;
    let stepUps = 0;
    // authorizedFetch sends with the Bearer token and asks here about each 401 and 403.
    return authorizedFetch(
      {
        fetch: send,
        token: async () => held?.token,
        maxRetries: 1 + MAX_STEP_UPS,
        onChallenge: async ({ status, wwwAuthenticate, refused }) => {
          const challenge = bearerChallenge(wwwAuthenticate);
          if (status === 401 && !retriedUnauthorized) {
            retriedUnauthorized = true;
            const refreshed =
              held?.refreshable === true &&
              refused !== undefined &&
              (await forceRefresh(base, refused.access_token));
            if (!refreshed) await signIn(base, challenge);
          } else if (status === 403 && challenge?.error === 'insufficient_scope' && stepUps < MAX_STEP_UPS) {
            stepUps++;
            await signIn(
              base,
              challenge,
              stepUpScopes([...(held?.scopes ?? []), ...lastRequested], challenge.scopes ?? []),
            );
          } else return { respond: true };
          held = await currentToken(base);
          return held === undefined ? { respond: true } : { retryWith: held.token };
        },
      },
      original.url,
      request,
    );
  };
}
