import type { Profile } from '../../core/config.js';
import { KeyturnError, isKeyturnError } from '../../core/errors.js';
import { noted, passed, problem, type Finding } from '../../core/diagnosis.js';
import { configure, oauthFailure, type OAuthConfig } from '../oauth.js';
import { NetworkError, type HttpClient } from '../http.js';

/** What the discovery document's own answer showed, besides openid-client's verdict on it. */
export interface DiscoveryAnswer {
  url: string;
  status?: number;
  contentType?: string;
  /** The Date header and when the answer arrived: the clock check. */
  date?: string;
  receivedAt?: number;
  /** The `issuer` the document names. */
  issuer?: string;
}

export interface DiscoveryOutcome {
  findings: Finding[];
  config?: OAuthConfig;
  answer?: DiscoveryAnswer;
}

/** OpenID Connect Discovery 1.0 §4: the issuer, without a trailing slash, + /.well-known/openid-configuration. */
export function discoveryUrl(issuer: string): string {
  return `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
}

async function fetchAnswer(http: HttpClient, url: string, now: () => number): Promise<DiscoveryAnswer> {
  const answer: DiscoveryAnswer = { url };
  try {
    const response = await http.fetch(url, { headers: { accept: 'application/json' } });
    answer.receivedAt = now();
    answer.status = response.status;
    answer.contentType = response.headers.get('content-type') ?? undefined;
    answer.date = response.headers.get('date') ?? undefined;
    const body: unknown = await response.json().catch(() => undefined);
    const issuer = (body as { issuer?: unknown } | undefined)?.issuer;
    if (typeof issuer === 'string') answer.issuer = issuer;
  } catch (error) {
    if (!(error instanceof NetworkError)) throw error;
  }
  return answer;
}

/**
 * Fetches the discovery document twice at once: as curl would (status, content type, Date, the
 * `issuer` it names: evidence) and through openid-client (the verdict, and the Configuration every
 * later probe uses, the profile's explicit endpoints over the discovered ones). Profiles with explicit
 * endpoints and no issuer skip discovery.
 * @see https://openid.net/specs/openid-connect-discovery-1_0.html#ProviderConfig
 */
export async function probeDiscovery(
  profile: Profile & { clientId: string },
  http: HttpClient,
  timeoutSeconds: number,
  now: () => number,
): Promise<DiscoveryOutcome> {
  if (profile.issuer === undefined || profile.tokenEndpoint !== undefined || profile.mcp !== undefined) {
    try {
      const config = await configure(profile, http, { timeoutSeconds });
      return {
        config,
        findings: [
          noted(
            'discovery',
            profile.mcp === undefined
              ? 'Discovery not used: the profile names its endpoints explicitly'
              : 'Discovery: done by the MCP discovery chain (above)',
          ),
        ],
      };
    } catch (error) {
      return { findings: [problem(isKeyturnError(error) ? error : oauthFailure(error, 'discovery'))] };
    }
  }
  const url = discoveryUrl(profile.issuer);
  const [answer, configured] = await Promise.all([
    fetchAnswer(http, url, now),
    configure(profile, http, { timeoutSeconds }).then(
      (config) => ({ config }),
      (error: unknown) => ({ error: isKeyturnError(error) ? error : oauthFailure(error, 'discovery') }),
    ),
  ]);
  const facts: Record<string, unknown> = { url };
  if (answer.status !== undefined) facts.status = answer.status;
  if (answer.contentType !== undefined) facts.content_type = answer.contentType;
  if ('config' in configured) {
    return {
      config: configured.config,
      answer,
      findings: [
        passed(
          'discovery',
          `Discovery: ${url} describes issuer ${configured.config.serverMetadata().issuer}`,
          facts,
        ),
      ],
    };
  }
  const error = configured.error;
  if (error.code === 'issuer_mismatch' && answer.issuer !== undefined) {
    return {
      answer,
      findings: [
        problem(
          new KeyturnError(
            'issuer_mismatch',
            `The discovery document at ${url} names issuer "${answer.issuer}", not the configured "${profile.issuer}".`,
            {
              fix: `Set \`issuer = "${answer.issuer}"\` (exactly, trailing slash included) if that is the provider you mean; otherwise a proxy or a wrong URL is serving another provider's document.`,
              evidence: { ...facts, expected: profile.issuer, discovered: answer.issuer },
            },
          ),
        ),
      ],
    };
  }
  return { answer, findings: [problem(error, 'error', facts)] };
}
