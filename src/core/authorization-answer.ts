import { classifyExchange, readErrorPage } from './classify.js';
import type { KeyturnError } from './errors.js';
import { bodyExcerpt } from './redact.js';

/**
 * What the authorization endpoint's answer to a sign-in request means, before any user is involved
 * (doctor's probe and login's pre-flight read it the same way). Pure: the caller makes the request.
 */

/** The authorization endpoint's answer to a sign-in request, before any user is involved. */
export interface AuthorizationAnswer {
  url: string;
  status: number;
  location?: string;
  contentType?: string;
  server?: string;
  /** Cloudflare's `cf-mitigated` header. */
  cfMitigated?: string;
  body: string;
}

function sameEndpoint(a: URL, b: URL): boolean {
  return a.origin === b.origin && a.pathname === b.pathname;
}

/**
 * Reads the answer: a redirect to the redirect URI carrying `error=` (RFC 6749 §4.1.2.1) or an error
 * page (the provider cannot redirect an unknown client or an unregistered redirect URI back) is the
 * diagnosis; a login page or a redirect to one means the client and the redirect URI are accepted.
 */
export function readAuthorizationAnswer(
  answer: AuthorizationAnswer,
  redirectUri: string,
): { accepted: string } | { refused: KeyturnError } {
  const facts = {
    phase: 'authorization' as const,
    url: answer.url,
    status: answer.status,
    ...(answer.contentType === undefined ? {} : { contentType: answer.contentType }),
    ...(answer.server === undefined ? {} : { server: answer.server }),
    ...(answer.cfMitigated === undefined ? {} : { cfMitigated: answer.cfMitigated }),
  };
  if (answer.status >= 300 && answer.status < 400 && answer.location !== undefined) {
    const target = new URL(answer.location, answer.url);
    const error = target.searchParams.get('error');
    // Back to the redirect URI with an error (RFC 6749 §4.1.2.1), or to another registered callback
    // with one (GitHub answers an unregistered redirect_uri so).
    const oauthShaped = error !== null && /^[a-z][a-z0-9]*(_[a-z0-9]+)+$/.test(error);
    if (error !== null && (sameEndpoint(target, new URL(redirectUri)) || oauthShaped)) {
      const description = target.searchParams.get('error_description');
      return {
        refused: classifyExchange({
          ...facts,
          oauthError: error,
          ...(description === null ? {} : { oauthErrorDescription: description }),
        }),
      };
    }
    return { accepted: `redirects to a sign-in page at ${target.origin}` };
  }
  if (answer.status >= 200 && answer.status < 300)
    return { accepted: `answers ${answer.status} (a sign-in page)` };
  let said: { error: string; description?: string } | undefined;
  if (answer.contentType !== undefined && /json/i.test(answer.contentType)) {
    try {
      const body = JSON.parse(answer.body) as { error?: unknown; error_description?: unknown };
      if (typeof body.error === 'string') {
        said = {
          error: body.error,
          ...(typeof body.error_description === 'string' ? { description: body.error_description } : {}),
        };
      }
    } catch {
      // not JSON after all
    }
  } else if (answer.cfMitigated === undefined) {
    said = readErrorPage(answer.body);
  }
  if (said !== undefined) {
    return {
      refused: classifyExchange({
        ...facts,
        oauthError: said.error,
        ...(said.description === undefined ? {} : { oauthErrorDescription: said.description }),
      }),
    };
  }
  return { refused: classifyExchange({ ...facts, bodyExcerpt: bodyExcerpt(answer.body) }) };
}

/** Rate limiting passes by itself: a warning, not a broken setup. */
export function severityOf(error: KeyturnError): 'error' | 'warning' {
  return error.code === 'rate_limited' ? 'warning' : 'error';
}
