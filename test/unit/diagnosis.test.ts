import { describe, expect, it } from 'vitest';
import { KeyturnError } from '../../src/core/errors.js';
import {
  buildReport,
  formatFindings,
  noted,
  passed,
  problem,
  renderMarkdown,
  summaryLine,
  type ReportContext,
} from '../../src/core/diagnosis.js';
import { readAuthorizationAnswer } from '../../src/adapters/probes/authorization.js';
import { checkClock } from '../../src/core/clock.js';

const context: ReportContext = {
  generatedAt: '2026-01-01T00:00:00.000Z',
  keyturn: '0.1.0',
  node: 'v20.0.0',
  platform: 'linux x64',
  settings: { issuer: 'https://login.example.com', client_id: 'cli' },
  environment: { HTTPS_PROXY: 'http://proxy:3128' },
  exchanges: [{ method: 'POST', url: 'https://login.example.com/token', status: 400, ms: 12 }],
  durationMs: 420,
};

describe('the doctor report', () => {
  it('puts the cause first: errors, then warnings, notes and passed checks, each in the order found', () => {
    const report = buildReport('default', [
      passed('dns', 'login.example.com resolves'),
      noted('not_signed_in', 'Not signed in'),
      problem(new KeyturnError('clock_skew', 'clock is off'), 'warning'),
      problem(new KeyturnError('endpoint_blocked', 'a WAF said 403')),
      passed('connect', 'login.example.com:443 accepts connections'),
      problem(new KeyturnError('dns_failed', 'other.example.com does not resolve')),
    ]);
    expect(report.findings.map((f) => f.code)).toEqual([
      'endpoint_blocked',
      'dns_failed',
      'clock_skew',
      'not_signed_in',
      'dns',
      'connect',
    ]);
  });

  it('is ok exactly when no finding is an error', () => {
    const warningOnly = buildReport('p', [problem(new KeyturnError('clock_skew', 'x'), 'warning')]);
    expect(warningOnly.ok).toBe(true);
    expect(buildReport('p', [problem(new KeyturnError('clock_skew', 'x'))]).ok).toBe(false);
    expect(buildReport('p', []).ok).toBe(true);
  });

  it('says the same problem once', () => {
    const error = new KeyturnError('store_unreadable', 'The credential file /x/auth.json is not valid JSON.');
    expect(buildReport('p', [problem(error), problem(error)]).findings).toHaveLength(1);
  });

  it('carries the catalog title, the cause, the fix and the HTTP facts of an error', () => {
    const error = new KeyturnError('invalid_client', 'The provider answered invalid_client.', {
      httpStatus: 401,
      oauthError: 'invalid_client',
      evidence: { host: 'login.example.com' },
    });
    expect(problem(error)).toEqual({
      code: 'invalid_client',
      severity: 'error',
      title: 'The provider does not know this client',
      detail: 'The provider answered invalid_client.',
      fix: error.fix,
      evidence: { host: 'login.example.com', status: 401, oauth_error: 'invalid_client' },
    });
  });

  it('redacts secrets anywhere in findings, named ones and token-shaped ones', () => {
    const report = buildReport(
      'p',
      [
        problem(
          new KeyturnError('endpoint_blocked', 'blocked: refresh-secret-value-123 leaked', {
            evidence: {
              body_excerpt: 'access_token=abcdef123456 and eyJhbGciOi.eyJzdWIiOiJ4In0.c2ln',
              nested: ['refresh-secret-value-123'],
            },
          }),
        ),
      ],
      ['refresh-secret-value-123'],
    );
    const text = JSON.stringify(report);
    expect(text).not.toContain('refresh-secret-value-123');
    expect(text).not.toContain('abcdef123456');
    expect(text).not.toContain('eyJzdWIiOiJ4In0');
  });

  it('prints one line per check with ✓ / ! / ✗, then the cause and the fix under problems', () => {
    const report = buildReport('p', [
      passed('dns', 'login.example.com resolves'),
      problem(new KeyturnError('proxy_denied', 'The proxy refused the tunnel (403).'), 'error'),
      problem(new KeyturnError('clock_skew', 'The clock is 2 h behind.'), 'warning'),
    ]);
    expect(formatFindings(report).map((l) => l.text)).toEqual([
      '✗ The proxy refuses the connection [proxy_denied]',
      '    The proxy refused the tunnel (403).',
      `    fix: ${new KeyturnError('proxy_denied', '').fix}`,
      "! The local clock differs from the provider's [clock_skew]",
      '    The clock is 2 h behind.',
      `    fix: ${new KeyturnError('clock_skew', '').fix}`,
      '✓ login.example.com resolves',
    ]);
    expect(summaryLine(report)).toBe('1 error, 1 warning, 1 check passed');
  });

  it('renders Markdown with settings, findings, evidence, environment and requests, secrets redacted', () => {
    const secret = 'rt-the-refresh-token-itself';
    const report = buildReport(
      'work',
      [
        problem(
          new KeyturnError('invalid_client', `client rejected; token was ${secret}`, {
            evidence: { status: 401 },
          }),
        ),
      ],
      [secret],
    );
    const markdown = renderMarkdown(report, { ...context, settings: { ...context.settings, note: secret } }, [
      secret,
    ]);
    expect(markdown).toContain('**Result: 1 error**');
    expect(markdown).toContain('| issuer | https://login.example.com |');
    expect(markdown).toContain('### ✗ error: The provider does not know this client (`invalid_client`)');
    expect(markdown).toContain('"status": 401');
    expect(markdown).toContain('| HTTPS_PROXY | http://proxy:3128 |');
    expect(markdown).toContain('| POST | https://login.example.com/token | 400 | direct | 12 |');
    expect(markdown).not.toContain(secret);
  });
});

describe("reading the authorization endpoint's answer", () => {
  const redirectUri = 'http://127.0.0.1:1455/auth/callback';
  const url = 'https://login.example.com/authorize?client_id=cli';

  it('a redirect to a login page accepts the client and the redirect URI', () => {
    expect(
      readAuthorizationAnswer({ url, status: 302, location: '/login?x=1', body: '' }, redirectUri),
    ).toEqual({
      accepted: 'redirects to a sign-in page at https://login.example.com',
    });
  });

  it('a login page (200) accepts them', () => {
    expect(
      'accepted' in readAuthorizationAnswer({ url, status: 200, body: '<form>password</form>' }, redirectUri),
    ).toBe(true);
  });

  it('a redirect back carrying error= is the diagnosis (RFC 6749 §4.1.2.1)', () => {
    const verdict = readAuthorizationAnswer(
      {
        url,
        status: 302,
        location: `${redirectUri}?error=invalid_scope&error_description=bogus&state=s`,
        body: '',
      },
      redirectUri,
    );
    expect('refused' in verdict && verdict.refused.code).toBe('invalid_scope');
  });

  it('an error page naming the error is the diagnosis', () => {
    const verdict = readAuthorizationAnswer(
      { url, status: 400, contentType: 'text/html', body: '<p>Error 400: redirect_uri_mismatch</p>' },
      redirectUri,
    );
    expect('refused' in verdict && verdict.refused.code).toBe('redirect_uri_mismatch');
  });

  it('a JSON error is the diagnosis', () => {
    const verdict = readAuthorizationAnswer(
      { url, status: 400, contentType: 'application/json', body: '{"error":"unauthorized_client"}' },
      redirectUri,
    );
    expect('refused' in verdict && verdict.refused.code).toBe('unauthorized_client');
  });

  it('an HTML 403 naming no OAuth error is a block in front of the provider', () => {
    const verdict = readAuthorizationAnswer(
      {
        url,
        status: 403,
        contentType: 'text/html',
        server: 'cloudflare',
        body: '<h1>Sorry, you have been blocked</h1>',
      },
      redirectUri,
    );
    expect('refused' in verdict && verdict.refused.code).toBe('endpoint_blocked');
    expect('refused' in verdict && verdict.refused.evidence).toMatchObject({
      server: 'cloudflare',
      status: 403,
    });
  });
});

describe('comparing clocks with the Date header', () => {
  const received = Date.parse('2026-01-01T12:00:00Z');

  it('passes within 60 s', () => {
    expect(checkClock('Thu, 01 Jan 2026 11:59:30 GMT', received, 'idp')?.severity).toBe('ok');
  });

  it('names a clock 2 h ahead as clock_skew, with the offset', () => {
    const found = checkClock('Thu, 01 Jan 2026 10:00:00 GMT', received, 'idp');
    expect(found?.code).toBe('clock_skew');
    expect(found?.evidence.clock_offset_seconds).toBe(7200);
    expect(found?.detail).toContain('2.0 h ahead of');
  });

  it('says nothing without a usable Date header', () => {
    expect(checkClock(undefined, received, 'idp')).toBeUndefined();
    expect(checkClock('yesterday', received, 'idp')).toBeUndefined();
  });
});
