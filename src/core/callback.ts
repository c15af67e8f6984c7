/**
 * Screening of requests that reach the loopback callback server, before openid-client validates the
 * authorization response for real. Junk and stale requests get a 4xx and the sign-in keeps waiting;
 * only a request carrying this sign-in's `state` ends it.
 * @see https://www.rfc-editor.org/rfc/rfc8252#section-8.1 (loopback redirect)
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2 (authorization response)
 */

export const MAX_CALLBACK_URL_LENGTH = 8192;
const SINGLE_VALUED = ['code', 'state', 'error', 'error_description', 'error_uri', 'iss'] as const;

export type CallbackVerdict =
  | { kind: 'code'; params: URLSearchParams }
  | { kind: 'error'; params: URLSearchParams; error: string; errorDescription?: string }
  | { kind: 'reject'; status: number; reason: string; problem: CallbackProblem };

/** Why a request was turned away; `state_mismatch` is an answer to another (stale) sign-in. */
export type CallbackProblem =
  | 'too_long'
  | 'bad_request'
  | 'not_found'
  | 'method_not_allowed'
  | 'duplicate_parameter'
  | 'no_state'
  | 'state_mismatch'
  | 'no_code'
  | 'foreign_host';

export interface CallbackRequest {
  method: string;
  /** The request target as received (path and query). */
  target: string;
}

/** Decides what one request to the callback server means for the sign-in that expects `expectedState`. */
export function inspectCallback(
  req: CallbackRequest,
  expectedPath: string,
  expectedState: string,
): CallbackVerdict {
  if (req.target.length > MAX_CALLBACK_URL_LENGTH) {
    return { kind: 'reject', status: 414, reason: 'The request is too long.', problem: 'too_long' };
  }
  let url: URL;
  try {
    url = new URL(req.target, 'http://localhost');
  } catch {
    return { kind: 'reject', status: 400, reason: 'The request is not a valid URL.', problem: 'bad_request' };
  }
  if (url.pathname !== expectedPath) {
    return { kind: 'reject', status: 404, reason: 'Not the sign-in callback.', problem: 'not_found' };
  }
  if (req.method !== 'GET') {
    return {
      kind: 'reject',
      status: 405,
      reason: 'The callback accepts GET only.',
      problem: 'method_not_allowed',
    };
  }
  const params = url.searchParams;
  for (const name of SINGLE_VALUED) {
    if (params.getAll(name).length > 1) {
      return {
        kind: 'reject',
        status: 400,
        reason: `The parameter "${name}" appears more than once.`,
        problem: 'duplicate_parameter',
      };
    }
  }
  const state = params.get('state');
  if (state === null) {
    return {
      kind: 'reject',
      status: 400,
      reason: 'The callback has no state: it is not an answer to this sign-in.',
      problem: 'no_state',
    };
  }
  if (!constantTimeEqual(state, expectedState)) {
    return {
      kind: 'reject',
      status: 400,
      reason: 'The state does not match this sign-in (an old or foreign browser tab?).',
      problem: 'state_mismatch',
    };
  }
  const error = params.get('error');
  if (error !== null) {
    const description = params.get('error_description');
    return description === null
      ? { kind: 'error', params, error }
      : { kind: 'error', params, error, errorDescription: description };
  }
  if (params.get('code') === null || params.get('code') === '') {
    return {
      kind: 'reject',
      status: 400,
      reason: 'The callback carries no authorization code.',
      problem: 'no_code',
    };
  }
  return { kind: 'code', params };
}

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];

/**
 * DNS rebinding: a web page whose name now resolves to 127.0.0.1 is same-origin with the callback
 * server, and its requests carry its own name in `Host`. Only the loopback names of the redirect URI,
 * with the port in use, are served; a missing Host too is refused (RFC 9112 §3.2).
 * @see https://modelcontextprotocol.io/specification/2025-06-18/basic/transports#security-warning
 * @see https://www.rfc-editor.org/rfc/rfc9110#section-15.5.20 (421 Misdirected Request)
 */
export function isServedHost(host: string | undefined, port: number): boolean {
  if (host === undefined) return false;
  const authority = host.toLowerCase();
  return LOOPBACK_NAMES.some(
    (name) => authority === `${name}:${port}` || (port === 80 && authority === name),
  );
}

/** The answer to a request for another Host: it reaches neither the sign-in nor `/cancel`. */
export const FOREIGN_HOST: Extract<CallbackVerdict, { kind: 'reject' }> = {
  kind: 'reject',
  status: 421,
  reason: 'This server answers only to localhost, 127.0.0.1 and [::1].',
  problem: 'foreign_host',
};

/** Compares two strings without an early exit on the first difference. */
export function constantTimeEqual(a: string, b: string): boolean {
  let diff = a.length ^ b.length;
  const length = Math.max(a.length, b.length);
  for (let i = 0; i < length; i++) diff |= (a.charCodeAt(i) || 0) ^ (b.charCodeAt(i) || 0);
  return diff === 0;
}
