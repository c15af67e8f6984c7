import { describe, expect, it } from 'vitest';
import {
  authorizedFetch,
  isReplayable,
  type AuthorizedFetchPorts,
} from '../../src/flows/authorized-fetch.js';
import type { AccessToken } from '../../src/flows/token.js';

const token = (access_token: string): AccessToken => ({
  access_token,
  token_type: 'Bearer',
  expires_at: null,
  scope: null,
});

/** A resource that accepts only `good`, and records what it was sent. */
function resource(good: string) {
  const seen: { url: string; authorization: string | null; accept: string | null }[] = [];
  const fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
    const headers = new Headers(init?.headers);
    seen.push({
      url: String(input instanceof Request ? input.url : input),
      authorization: headers.get('authorization'),
      accept: headers.get('accept'),
    });
    return headers.get('authorization') === `Bearer ${good}`
      ? new Response('ok')
      : new Response('no', { status: 401, headers: { 'www-authenticate': 'Bearer error="invalid_token"' } });
  };
  return { fetch: fetch as typeof globalThis.fetch, seen };
}

/** A token source handing out `tokens` in turn, counting forced refreshes. */
function tokens(...list: string[]) {
  const asked: boolean[] = [];
  return {
    asked,
    token: async ({ forceRefresh }: { forceRefresh: boolean }) => {
      asked.push(forceRefresh);
      if (!forceRefresh) return token(list[0] as string);
      list.shift();
      return token(list[0] as string);
    },
  };
}

describe('authorizedFetch', () => {
  it('merges the Request’s headers and sets its own Authorization over the caller’s', async () => {
    const api = resource('t1');
    const source = tokens('t1');
    const request = new Request('https://api.example.invalid/x', { headers: { accept: 'text/plain' } });
    const response = await authorizedFetch({ ...source, fetch: api.fetch }, request, {
      headers: { authorization: 'Basic c3R1ZmY=' },
    });
    expect(response.status).toBe(200);
    expect(api.seen).toEqual([
      { url: 'https://api.example.invalid/x', authorization: 'Bearer t1', accept: 'text/plain' },
    ]);
  });

  it('on a 401, retries once with the forced refresh’s token, never twice', async () => {
    const api = resource('never');
    const source = tokens('t1', 't2', 't3');
    const response = await authorizedFetch({ ...source, fetch: api.fetch }, 'https://api.example.invalid/');
    expect(response.status).toBe(401);
    expect(api.seen.map((s) => s.authorization)).toEqual(['Bearer t1', 'Bearer t2']);
    expect(source.asked).toEqual([false, true]);
  });

  it('does not resend when the refresh gives the same token (an API key)', async () => {
    const api = resource('other');
    const source = { token: async () => token('sk-key') };
    const response = await authorizedFetch({ ...source, fetch: api.fetch }, 'https://api.example.invalid/');
    expect(response.status).toBe(401);
    expect(api.seen).toHaveLength(1);
  });

  it('lets onChallenge decide first: the hook the MCP extension uses', async () => {
    const api = resource('stepped-up');
    const source = tokens('t1', 'never-asked');
    const challenges: string[] = [];
    const ports: AuthorizedFetchPorts = {
      ...source,
      fetch: api.fetch,
      onChallenge: async (challenge) => {
        challenges.push(
          `${challenge.status} ${challenge.wwwAuthenticate} ${challenge.refused?.access_token}`,
        );
        return { retryWith: token('stepped-up') };
      },
    };
    const response = await authorizedFetch(ports, 'https://api.example.invalid/');
    expect(response.status).toBe(200);
    expect(challenges).toEqual(['401 Bearer error="invalid_token" t1']);
    expect(source.asked).toEqual([false]);
  });

  it('knows which bodies can be sent twice', () => {
    const url = 'https://api.example.invalid/';
    expect(isReplayable(url, undefined)).toBe(true);
    expect(isReplayable(url, { body: 'text' })).toBe(true);
    expect(isReplayable(url, { body: new URLSearchParams('a=1') })).toBe(true);
    expect(isReplayable(url, { body: new Uint8Array(3) })).toBe(true);
    expect(isReplayable(url, { body: new ReadableStream() })).toBe(false);
    expect(isReplayable(new Request(url, { method: 'POST', body: 'x' }), undefined)).toBe(false);
    expect(isReplayable(new Request(url), undefined)).toBe(true);
  });
});

describe('authorizedFetch with an extension that answers several challenges (MCP step-up)', () => {
  it('sends without a token when there is none, and answers up to maxRetries challenges of one request', async () => {
    const seen: (string | null)[] = [];
    const answers = [401, 403, 403, 403, 200];
    const api = async (_input: RequestInfo | URL, init?: RequestInit) => {
      seen.push(new Headers(init?.headers).get('authorization'));
      return new Response(null, { status: answers[seen.length - 1] ?? 200 });
    };
    let n = 0;
    const ports: AuthorizedFetchPorts = {
      fetch: api as typeof fetch,
      token: async () => undefined,
      maxRetries: 3,
      onChallenge: async () => ({ retryWith: token(`t${++n}`) }),
    };
    const response = await authorizedFetch(ports, 'https://mcp.example.invalid/mcp', {
      method: 'POST',
      body: '{}',
    });
    // Three retries allowed: the fourth answer (a 403) is handed back.
    expect(response.status).toBe(403);
    expect(seen).toEqual([null, 'Bearer t1', 'Bearer t2', 'Bearer t3']);
  });

  it('the plain rule does not retry a request sent without a token', async () => {
    let calls = 0;
    const ports: AuthorizedFetchPorts = {
      fetch: (async () => (calls++, new Response(null, { status: 401 }))) as typeof fetch,
      token: async () => undefined,
    };
    expect((await authorizedFetch(ports, 'https://api.example.invalid/')).status).toBe(401);
    expect(calls).toBe(1);
  });
});
