import { describe, expect, it } from 'vitest';
import { KeyturnError } from '../../src/core/errors.js';
import {
  buildReport,
  formatFindings,
  noted,
  passed,
  problem,
  renderMarkdown,
} from '../../src/core/diagnosis.js';
import { tlsFinding } from '../../src/core/tls.js';

describe('the Markdown report, whole', () => {
  it('is laid out as documented: result, profile, findings with fix and evidence, environment, requests', () => {
    const report = buildReport('work', [
      passed('dns', 'id.example resolves', { host: 'id.example' }),
      noted('refresh_token', 'No refresh token will be asked for'),
      problem(new KeyturnError('dns_failed', 'api.example does not resolve', { fix: 'Check the name.' })),
    ]);
    const markdown = renderMarkdown(report, {
      generatedAt: 'T',
      keyturn: '1.0.0',
      node: 'v20',
      platform: 'linux x64',
      settings: { issuer: 'https://id.example' },
      environment: { HOME: '/home/u' },
      exchanges: [{ method: 'GET', url: 'https://id.example/', status: 200, ms: 3 }],
      durationMs: 50,
    });
    expect(markdown.split('\n')).toEqual([
      '# keyturn doctor report',
      '',
      'Generated T by keyturn 1.0.0 on Node v20 (linux x64), in 0.1 s.',
      '',
      '**Result: 1 error**, 0 warnings, 1 note, 1 check passed.',
      '',
      '## Profile',
      '',
      '| setting | value |',
      '| --- | --- |',
      '| profile | work |',
      '| issuer | https://id.example |',
      '',
      '## Findings',
      '',
      '### ✗ error: A provider host does not resolve (`dns_failed`)',
      '',
      'api.example does not resolve',
      '',
      '**Fix:** Check the name.',
      '',
      '### - info: No refresh token will be asked for (`refresh_token`)',
      '',
      '### ✓ ok: id.example resolves (`dns`)',
      '',
      '```json',
      '{',
      '  "host": "id.example"',
      '}',
      '```',
      '',
      '## Environment',
      '',
      '| fact | value |',
      '| --- | --- |',
      '| HOME | /home/u |',
      '',
      '## Requests',
      '',
      '| method | URL | answer | via | ms |',
      '| --- | --- | --- | --- | --- |',
      '| GET | https://id.example/ | 200 | direct | 3 |',
      '',
      'Secrets (tokens, codes, verifiers, client secrets, API keys) are redacted from this report.',
      '',
    ]);
  });
});

describe('findings, at their edges', () => {
  it('a note without detail has none; a problem’s evidence gets no keys for facts it lacks', () => {
    expect(noted('refresh_token', 'title').detail).toBe('');
    expect(Object.keys(problem(new KeyturnError('dns_failed', 'x')).evidence)).toEqual([]);
  });

  it('findings of one severity keep the order they were found in, however many', () => {
    const names = Array.from({ length: 12 }, (_, i) => `check ${i}`);
    const report = buildReport(
      'p',
      names.map((title) => passed('dns', title)),
    );
    expect(report.findings.map((f) => f.title)).toEqual(names);
  });

  it('a passed check that carries a catalog code is not shown as a problem; a note without fix shows no fix line', () => {
    const report = buildReport('p', [
      { code: 'not_signed_in', severity: 'ok', title: 'Signed in', detail: '', fix: null, evidence: {} },
      noted('refresh_token', 'No refresh token'),
    ]);
    expect(formatFindings(report).map((l) => l.text)).toEqual(['- No refresh token', '✓ Signed in']);
    expect(
      renderMarkdown(report, {
        generatedAt: 'T',
        keyturn: '1',
        node: 'v',
        platform: 'p',
        settings: {},
        environment: {},
        exchanges: [],
        durationMs: 0,
      }),
    ).not.toContain('**Fix:**');
  });
});

describe('TLS findings at their edges', () => {
  const NOW = Date.parse('2026-06-01T12:00:00Z');
  const fail = (_: unknown, message: string, fix?: string, evidence?: Record<string, unknown>) => ({
    code: 'tls_untrusted' as const,
    severity: 'error' as const,
    title: 't',
    detail: message,
    fix: fix ?? null,
    evidence: evidence ?? {},
  });
  const cert = (from: string, to: string) => ({
    subject: `CN=${from}`,
    issuer: 'CN=CA',
    valid_from: from,
    valid_to: to,
    fingerprint256: 'x',
  });

  it('a certificate valid until this very second, or from it, is not the stale one', () => {
    const edge = cert('2026-06-01T12:00:00.000Z', '2026-06-01T12:00:00.000Z');
    const stale = cert('2020-01-01T00:00:00.000Z', '2021-01-01T00:00:00.000Z');
    const finding = tlsFinding(
      { protocol: null, chain: [edge, stale], authorizationError: 'CERT_HAS_EXPIRED' },
      'the issuer',
      'id.example',
      {},
      fail,
      NOW,
    );
    expect(finding.detail).toContain('"CN=2020-01-01T00:00:00.000Z"');
  });

  it('no chain at all still gives sentences, for every kind of failure', () => {
    for (const facts of [
      { authorizationError: 'CERT_HAS_EXPIRED' },
      { authorizationError: 'SELF_SIGNED_CERT_IN_CHAIN' },
      { hostnameError: 'mismatch' },
    ]) {
      const finding = tlsFinding(
        { protocol: null, chain: [], ...facts },
        'the issuer',
        'id.example',
        {},
        fail,
        NOW,
      );
      expect(finding.detail).toMatch(/\?/);
    }
    const expired = tlsFinding(
      { protocol: null, chain: [], authorizationError: 'CERT_HAS_EXPIRED' },
      'n',
      'h',
      {},
      fail,
      NOW,
    );
    expect(expired.detail).toMatch(/^The certificate "\?" presented by n is valid from \? to \?, /);
    const untrusted = tlsFinding(
      { protocol: null, chain: [], authorizationError: 'X' },
      'n',
      'h',
      {},
      fail,
      NOW,
    );
    expect(untrusted.detail).toMatch(/^The certificate chain presented by n \(\?\) ends at "\?"/);
    expect(Object.keys(untrusted.evidence)).not.toContain('os_store_file');
    const host = tlsFinding({ protocol: null, chain: [], hostnameError: 'x' }, 'n', 'h', {}, fail, NOW);
    expect(host.detail).toBe('The certificate presented by n (?) does not name h; it names no other host.');
  });
});
