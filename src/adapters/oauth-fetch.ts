import { normaliseOAuthAnswer } from '../core/oauth-answer.js';
import { inheritResponseFacts, type FetchLike } from './http.js';

/** Bodies beyond this are not OAuth answers (a token response is a few KB): passed through unread. */
const MAX_BODY = 1_048_576;

/**
 * The `customFetch` openid-client uses: asks for JSON (GitHub answers form-encoded otherwise) and
 * hands every answer through the one normaliser (core/oauth-answer.ts) before the library reads it.
 */
export function normalisingFetch(fetch: FetchLike, onChange?: (changes: string[]) => void): FetchLike {
  return async (input, init = {}) => {
    const headers = new Headers(init.headers);
    if (!headers.has('accept')) headers.set('accept', 'application/json');
    const response = await fetch(input, { ...init, headers });
    const contentType = response.headers.get('content-type') ?? undefined;
    // Redirects, empty answers and anything that is not JSON or a form (HTML pages, JWKS are JSON) go
    // through unchanged; only JSON and form bodies can be reshaped.
    if (response.status >= 300 && response.status < 400) return response;
    if (contentType !== undefined && !/json|x-www-form-urlencoded|text\/plain/i.test(contentType))
      return response;
    const length = Number(response.headers.get('content-length') ?? '0');
    if (length > MAX_BODY) return response;
    const body = await response.clone().text();
    const normalised = normaliseOAuthAnswer({
      status: response.status,
      body,
      ...(contentType === undefined ? {} : { contentType }),
    });
    if (normalised === undefined) return response;
    onChange?.(normalised.changes);
    // The copy above holds the whole body; the original's stream is not read again.
    await response.body?.cancel().catch(() => undefined);
    const reshaped = new Headers(response.headers);
    reshaped.set('content-type', normalised.contentType);
    reshaped.delete('content-length');
    reshaped.delete('content-encoding');
    if (normalised.retryAfter !== undefined && !reshaped.has('retry-after')) {
      reshaped.set('retry-after', String(normalised.retryAfter));
    }
    const result = new Response(normalised.body, {
      status: normalised.status,
      statusText: response.statusText,
      headers: reshaped,
    });
    // oauth4webapi reads `url` (e.g. for error messages); a constructed Response has none.
    Object.defineProperty(result, 'url', { value: response.url });
    inheritResponseFacts(response, result);
    return result;
  };
}
