import { describe, expect, it } from 'vitest';
import { KeyturnError } from '../../src/core/errors.js';
import {
  buildReport,
  counts,
  formatFindings,
  noted,
  passed,
  problem,
  redactEvidence,
  summaryLine,
  type Finding,
} from '../../src/core/diagnosis.js';

const finding = (code: Finding['code'], severity: Finding['severity'], detail: string): Finding => ({
  code,
  severity,
  title: `title of ${code}`,
  detail,
  fix: null,
  evidence: {},
});

describe('the doctor says one problem once, and never merges two different ones', () => {
  it('the same code, severity and cause seen by two probes is one finding: the first', () => {
    const first = {
      ...finding('dns_failed', 'error', 'id.example does not resolve'),
      evidence: { probe: 'dns' },
    };
    const again = {
      ...finding('dns_failed', 'error', 'id.example does not resolve'),
      evidence: { probe: 'tls' },
    };
    const report = buildReport('p', [first, again]);
    expect(report.findings).toHaveLength(1);
    expect(report.findings[0]?.evidence).toEqual({ probe: 'dns' });
  });

  it('the same cause under another code is another finding', () => {
    const report = buildReport('p', [
      finding('dns_failed', 'error', 'id.example is unreachable'),
      finding('connect_failed', 'error', 'id.example is unreachable'),
    ]);
    expect(report.findings.map((f) => f.code)).toEqual(['dns_failed', 'connect_failed']);
  });

  it('the same code with another cause is another finding (two hosts that do not resolve)', () => {
    const report = buildReport('p', [
      finding('dns_failed', 'error', 'id.example does not resolve'),
      finding('dns_failed', 'error', 'api.example does not resolve'),
    ]);
    expect(report.findings.map((f) => f.detail)).toEqual([
      'id.example does not resolve',
      'api.example does not resolve',
    ]);
  });

  it('the same code and cause at another severity is another finding', () => {
    const report = buildReport('p', [
      finding('clock_skew', 'warning', 'the clock is 2 min ahead'),
      finding('clock_skew', 'error', 'the clock is 2 min ahead'),
    ]);
    expect(report.findings.map((f) => f.severity)).toEqual(['error', 'warning']);
  });

  it('passed checks are each listed, even when they read alike', () => {
    const report = buildReport('p', [passed('dns', 'resolves'), passed('dns', 'resolves')]);
    expect(report.findings).toHaveLength(2);
  });
});

describe('what the report cuts and counts', () => {
  it('redacts a secret from the title and the fix as well as the cause', () => {
    const secret = 'sekrit-refresh-token-value';
    const report = buildReport(
      'p',
      [
        {
          ...finding('invalid_grant', 'error', `said ${secret}`),
          title: `t ${secret}`,
          fix: `run ${secret}`,
        },
      ],
      [secret],
    );
    const [only] = report.findings;
    expect(only?.title).toBe('t [redacted]');
    expect(only?.detail).toBe('said [redacted]');
    expect(only?.fix).toBe('run [redacted]');
  });

  it('redacts strings inside arrays and nested objects of evidence, and leaves other values as they are', () => {
    const secret = 'sekrit-client-secret';
    expect(
      redactEvidence({ list: [secret, 3], nested: { deep: `x ${secret}` }, n: 7, flag: true, none: null }, [
        secret,
      ]),
    ).toEqual({ list: ['[redacted]', 3], nested: { deep: 'x [redacted]' }, n: 7, flag: true, none: null });
  });

  it('counts each severity, and says "1 error" but "2 warnings" and "0 checks"', () => {
    const report = buildReport('p', [
      problem(new KeyturnError('dns_failed', 'a')),
      problem(new KeyturnError('clock_skew', 'b'), 'warning'),
      problem(new KeyturnError('clock_skew', 'c'), 'warning'),
      noted('not_signed_in', 'Not signed in'),
    ]);
    expect(counts(report)).toEqual({ error: 1, warning: 2, info: 1, ok: 0 });
    expect(summaryLine(report)).toBe('1 error, 2 warnings, 0 checks passed');
  });

  it('names the catalog code of a problem, not of a passed check or a note about a check, and shows no fix under a passed check', () => {
    const report = buildReport('p', [
      { ...passed('dns', 'id.example resolves'), fix: 'nothing to do' },
      noted('refresh_token', 'No refresh token will be asked for', 'offline_access is not offered'),
      problem(new KeyturnError('dns_failed', 'api.example does not resolve')),
    ]);
    const lines = formatFindings(report).map((l) => l.text);
    expect(lines[0]).toMatch(/^✗ .* \[dns_failed\]$/);
    expect(lines).toContain('- No refresh token will be asked for');
    expect(lines).toContain('    offline_access is not offered');
    expect(lines).toContain('✓ id.example resolves');
    expect(lines.join('\n')).not.toContain('nothing to do');
  });
});
