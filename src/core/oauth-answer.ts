/**
 * Providers as they really answer: reshapes an OAuth endpoint's answer into the form RFC 6749,
 * RFC 8628 and OIDC describe, so that openid-client / oauth4webapi can judge it. Only the shape
 * changes — the protocol steps stay the library's. Judged by the body as well as the status:
 *
 * - GitHub answers every OAuth error with HTTP 200, and form-encoded unless JSON is asked for.
 *   @see https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps
 * - Google names the device page `verification_url` and polls answer `authorization_pending` with
 *   428 and `slow_down` with 403.
 *   @see https://developers.google.com/identity/protocols/oauth2/limited-input-device
 * - A `slow_down` body may carry the new `interval` (GitHub); it becomes a `Retry-After`, which the
 *   poller honours on top of its own +5 s (RFC 8628 §3.5).
 *
 * Pure: status + content type + body text in, the normalised answer (or `undefined`: unchanged) out.
 */

export interface OAuthAnswer {
  status: number;
  contentType?: string;
  body: string;
}

export interface NormalisedAnswer {
  status: number;
  contentType: string;
  body: string;
  /** Seconds, for a `Retry-After` header the answer lacks (from a `slow_down` body's `interval`). */
  retryAfter?: number;
  /** What was reshaped, in a few words each (for debug output; never a value). */
  changes: string[];
}

/** RFC 6749 §5.1, RFC 8628 §3.2 and vendors' numeric fields, which some providers send as strings. */
const NUMERIC_FIELDS = ['expires_in', 'refresh_token_expires_in', 'interval', 'ext_expires_in'];

/** RFC 8628 §3.5: the polling answers a client keeps polling on; §5.2 says they come with 400. */
const POLLING_ERRORS = new Set(['authorization_pending', 'slow_down']);

const FORM = /^application\/x-www-form-urlencoded\b/i;
const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\b/i;
/** A form-encoded body sent as text/plain or without a type: starts like an OAuth answer does. */
const LOOKS_LIKE_FORM = /^(access_token|error|device_code)=[^&\s]*(&[\w.-]+=[^&\s]*)*$/;

function parseForm(body: string): Record<string, unknown> {
  const object: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(body)) object[key] = value;
  return object;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The answer's body as an object, and whether it was form-encoded; undefined when it is neither. */
function readBody(answer: OAuthAnswer): { body: Record<string, unknown>; form: boolean } | undefined {
  const type = (answer.contentType ?? '').trim();
  const text = answer.body.trim();
  if (FORM.test(type) || (!JSON_TYPE.test(type) && LOOKS_LIKE_FORM.test(text))) {
    return { body: parseForm(text), form: true };
  }
  if (!JSON_TYPE.test(type)) return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    return isObject(parsed) ? { body: parsed, form: false } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Reshapes one answer, or returns `undefined` when it already has the standard shape (or is not an
 * OAuth JSON/form answer at all: an HTML page, a WAF's 403, an empty body).
 */
export function normaliseOAuthAnswer(answer: OAuthAnswer): NormalisedAnswer | undefined {
  const read = readBody(answer);
  if (read === undefined) return undefined;
  const { body } = read;
  const changes: string[] = read.form ? ['form-encoded body read as JSON'] : [];
  let status = answer.status;
  let retryAfter: number | undefined;

  for (const field of NUMERIC_FIELDS) {
    const value = body[field];
    if (typeof value === 'string' && /^\d+(\.\d+)?$/.test(value.trim())) {
      body[field] = Number(value);
      if (!read.form) changes.push(`${field} as a number`);
    }
  }
  // RFC 8628 §3.2 names it verification_uri; Google (and drafts before the RFC) say verification_url.
  if (body.verification_uri === undefined && typeof body.verification_url === 'string') {
    body.verification_uri = body.verification_url;
    changes.push('verification_url as verification_uri');
  }
  if (body.verification_uri_complete === undefined && typeof body.verification_url_complete === 'string') {
    body.verification_uri_complete = body.verification_url_complete;
    changes.push('verification_url_complete as verification_uri_complete');
  }

  const error = body.error;
  if (typeof error === 'string' && error !== '') {
    // An OAuth error is an error whatever the status says (RFC 6749 §5.2: 400, or 401 for a client
    // that failed to authenticate). Rate limits and server errors keep their status: they are retried.
    if (status >= 200 && status < 300) {
      status = 400;
      changes.push(`error "${error}" sent with HTTP ${answer.status}: status 400`);
    } else if (POLLING_ERRORS.has(error) && status !== 400) {
      changes.push(`${error} sent with HTTP ${answer.status}: status 400`);
      status = 400;
    }
    if (error === 'slow_down' && typeof body.interval === 'number' && body.interval > 0) {
      retryAfter = Math.ceil(body.interval);
      changes.push('slow_down interval as Retry-After');
    }
  }

  if (changes.length === 0) return undefined;
  return {
    status,
    contentType: 'application/json',
    body: JSON.stringify(body),
    ...(retryAfter === undefined ? {} : { retryAfter }),
    changes,
  };
}
