import { classifyExchange, readErrorPage } from '../../core/classify.js';
import type { Profile } from '../../core/config.js';
import type { KeyturnError } from '../../core/errors.js';
import { passed, problem, type Finding } from '../../core/diagnosis.js';
import { bodyExcerpt } from '../../core/redact.js';
import { NetworkError, type HttpClient } from '../http.js';
import { oauthFailure, oidc, type OAuthConfig } from '../oauth.js';

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
    if (sameEndpoint(target, new URL(redirectUri)) && error !== null) {
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

/**
 * Asks the authorization endpoint for a sign-in with this client's id, redirect URI and scopes, as
 * `keyturn login` would, without following redirects, and reads the answer: catches `invalid_client`,
 * `redirect_uri_mismatch` and `invalid_scope` before a user meets them in the browser.
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.1
 */
export async function probeAuthorization(
  config: OAuthConfig,
  profile: Profile,
  http: HttpClient,
): Promise<Finding[]> {
  const endpoint = config.serverMetadata().authorization_endpoint;
  if (endpoint === undefined) return [];
  const codeChallenge = await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier());
  const parameters: Record<string, string> = {
    redirect_uri: profile.redirectUri,
    scope: profile.scopes.join(' '),
    code_challenge: codeChallenge,
    code_challenge_method: 'S256',
    state: oidc.randomState(),
  };
  if (profile.scopes.includes('openid')) parameters.nonce = oidc.randomNonce();
  if (profile.scopes.includes('offline_access')) parameters.prompt = 'consent';
  const url = oidc.buildAuthorizationUrl(config, parameters);
  const evidence = {
    url: `${url.origin}${url.pathname}`,
    client_id: config.clientMetadata().client_id,
    redirect_uri: profile.redirectUri,
  };
  let answer: AuthorizationAnswer;
  try {
    const response = await http.fetch(url, { redirect: 'manual', headers: { accept: 'text/html' } });
    answer = {
      url: url.href,
      status: response.status,
      body: (await response.text().catch(() => '')).slice(0, 65_536),
      ...optional('location', response.headers.get('location')),
      ...optional('contentType', response.headers.get('content-type')),
      ...optional('server', response.headers.get('server')),
      ...optional('cfMitigated', response.headers.get('cf-mitigated')),
    };
  } catch (error) {
    if (error instanceof NetworkError)
      return [problem(oauthFailure(error, 'authorization'), 'error', evidence)];
    throw error;
  }
  const verdict = readAuthorizationAnswer(answer, profile.redirectUri);
  if ('accepted' in verdict) {
    return [
      passed(
        'authorization_endpoint',
        `The authorization endpoint accepts client ${evidence.client_id} with redirect URI ${profile.redirectUri}: it ${verdict.accepted}`,
        { ...evidence, status: answer.status },
      ),
    ];
  }
  return [problem(verdict.refused, severityOf(verdict.refused), evidence)];
}

function optional<K extends string>(key: K, value: string | null): Partial<Record<K, string>> {
  return value === null ? {} : ({ [key]: value } as Record<K, string>);
}

/** Rate limiting passes by itself: a warning, not a broken setup. */
export function severityOf(error: KeyturnError): 'error' | 'warning' {
  return error.code === 'rate_limited' ? 'warning' : 'error';
}
