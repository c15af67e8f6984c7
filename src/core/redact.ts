/**
 * Redaction for everything that may leave the process: reports, evidence, excerpts.
 * Anything shaped like a token, code, verifier or key is cut.
 */

const SECRET_PARAMS =
  /\b(access_token|refresh_token|id_token|code|code_verifier|client_secret|api_key|password|device_code|assertion|token)=([^&\s"'<>]+)/gi;
const JWT = /\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g;
const BEARER = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi;
// A JSON string value may hold escaped quotes: `"(?:[^"\\]|\\.)*"` runs to the real closing quote.
const JSON_SECRET =
  /"(access_token|refresh_token|id_token|code|code_verifier|client_secret|api_key|password|device_code|assertion|token)"\s*:\s*"(?:[^"\\]|\\.)*"/gi;
// user:password@ or a bare token@ (https://TOKEN@host) in a URL.
const URL_CREDENTIALS = /(\/\/)[^/?#@\s]+@/g;

export function redactText(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length >= 6) out = out.split(secret).join('[redacted]');
  }
  return out
    .replace(JSON_SECRET, '"$1":"[redacted]"')
    .replace(SECRET_PARAMS, '$1=[redacted]')
    .replace(JWT, '[redacted-jwt]')
    .replace(BEARER, '$1 [redacted]')
    .replace(URL_CREDENTIALS, '$1[redacted]@');
}

/** A short single-line excerpt of a response body for evidence. */
export function bodyExcerpt(body: string, max = 200): string {
  const text = redactText(
    body
      .replace(/<script[\s\S]*?<\/script>/gi, ' ')
      .replace(/<style[\s\S]*?<\/style>/gi, ' ')
      .replace(/<[^>]+>/g, ' ')
      .replace(/\s+/g, ' ')
      .trim(),
  );
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** Strips credentials from a URL for display (a proxy URL may carry user:password). */
export function displayUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.username || parsed.password) {
      parsed.username = '';
      parsed.password = '';
    }
    // A query may carry a code or a token too.
    return redactText(parsed.toString().replace(/\/$/, ''));
  } catch {
    return redactText(url);
  }
}
