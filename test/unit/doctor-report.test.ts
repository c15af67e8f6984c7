import { describe, expect, it } from 'vitest';
import { KeyturnError } from '../../src/core/errors.js';
import { KEYTURN_APP } from '../../src/core/app.js';
import {
  buildReport,
  findingsFor,
  MARKS,
  noted,
  passed,
  problem,
  renderMarkdown,
  type ReportContext,
} from '../../src/core/diagnosis.js';

const CONTEXT: ReportContext = {
  generatedAt: '2026-01-01T00:00:00.000Z',
  keyturn: '0.1.0',
  node: 'v20.0.0',
  platform: 'linux x64',
  settings: {},
  environment: {},
  exchanges: [],
  durationMs: 1250,
};

describe('the Markdown report', () => {
  it('a clean report says "no errors", counts notes and checks, and lists no requests', () => {
    const report = buildReport('default', [
      passed('dns', 'resolves'),
      noted('not_signed_in', 'Not signed in'),
    ]);
    const markdown = renderMarkdown(report, CONTEXT);
    expect(markdown).toContain(
      'Generated 2026-01-01T00:00:00.000Z by keyturn 0.1.0 on Node v20.0.0 (linux x64), in 1.3 s.',
    );
    expect(markdown).toContain('**Result: no errors**, 0 warnings, 1 note, 1 check passed.');
    expect(markdown).toContain('## Requests\n\nNone.');
    expect(markdown).toContain('| profile | default |');
    expect(markdown.startsWith('# keyturn doctor report\n\n')).toBe(true);
    expect(
      markdown.endsWith(
        'Secrets (tokens, codes, verifiers, client secrets, API keys) are redacted from this report.\n',
      ),
    ).toBe(true);
  });

  it('two errors are "2 errors"; a passed check shows no fix and no empty evidence block', () => {
    const report = buildReport('p', [
      problem(new KeyturnError('dns_failed', 'a does not resolve')),
      problem(new KeyturnError('dns_failed', 'b does not resolve')),
      { ...passed('connect', 'connects'), fix: 'never shown' },
    ]);
    const markdown = renderMarkdown(report, CONTEXT);
    expect(markdown).toContain('**Result: 2 errors**, 0 warnings, 0 notes, 1 check passed.');
    expect(markdown).toContain('### ✓ ok: connects (`connect`)\n\n## Environment');
    expect(markdown).not.toContain('never shown');
    expect(markdown).toContain(`**Fix:** ${new KeyturnError('dns_failed', '').fix}`);
  });

  it('table cells escape "|" and keep to one line', () => {
    const markdown = renderMarkdown(buildReport('a|b', []), {
      ...CONTEXT,
      settings: { 'k|1': 'v\nw' },
      environment: { E: 'x|y' },
    });
    expect(markdown).toContain('| profile | a\\|b |');
    expect(markdown).toContain('| k\\|1 | v w |');
    expect(markdown).toContain('| E | x\\|y |');
  });

  it('each request says its answer: the status, else the error, else "no answer", and the proxy it went through', () => {
    const markdown = renderMarkdown(buildReport('p', []), {
      ...CONTEXT,
      exchanges: [
        { method: 'GET', url: 'https://a.example/x', status: 200, ms: 5 },
        { method: 'GET', url: 'https://b.example/x', error: 'ECONNRESET', proxy: 'http://proxy:3128', ms: 6 },
        { method: 'POST', url: 'https://c.example/x', ms: 7 },
      ],
    });
    expect(markdown).toContain('| method | URL | answer | via | ms |\n| --- | --- | --- | --- | --- |');
    expect(markdown).toContain('| GET | https://a.example/x | 200 | direct | 5 |');
    expect(markdown).toContain('| GET | https://b.example/x | ECONNRESET | http://proxy:3128 | 6 |');
    expect(markdown).toContain('| POST | https://c.example/x | no answer | direct | 7 |');
  });

  it('no text from outside can drive the terminal it is printed on; its lines stay lines', () => {
    const report = buildReport('p', [
      problem(new KeyturnError('internal', 'said \u001b]0;pwned\u0007 this')),
    ]);
    const markdown = renderMarkdown(report, CONTEXT);
    expect(markdown).not.toContain('\u001b');
    expect(markdown).toContain('said \ufffd this');
    expect(markdown.split('\n').length).toBeGreaterThan(10);
  });

  it('the marks are ✗ ! - ✓', () => {
    expect(MARKS).toEqual({ error: '✗', warning: '!', info: '-', ok: '✓' });
  });
});

describe('findings told for another application', () => {
  const acme = { ...KEYTURN_APP, name: 'acme', command: 'acme', envPrefix: 'ACME' };

  it('a fix that names the command names the application’s; a fixed text stays as it is', () => {
    const signIn = problem(new KeyturnError('not_signed_in', 'nobody'));
    const plain = noted('refresh_token', 'No refresh token', '', {}, 'Ask the provider.');
    const silent = noted('refresh_token', 'Nothing to do');
    const [told, same, none] = findingsFor([signIn, plain, silent], acme);
    expect(signIn.fix).toContain('keyturn login');
    expect(told?.fix).toContain('acme login');
    expect(told?.fix).not.toContain('keyturn');
    expect(same).toBe(plain);
    expect(plain.fix).toBe('Ask the provider.');
    expect(none?.fix).toBeNull();
  });

  it('a note with a fix told by a function is told for the application', () => {
    const note = noted(
      'refresh_token',
      'No refresh token',
      'detail',
      { a: 1 },
      ({ command }) => `Run ${command} login.`,
    );
    expect(note).toMatchObject({
      severity: 'info',
      detail: 'detail',
      evidence: { a: 1 },
      fix: 'Run keyturn login.',
    });
    expect(findingsFor([note], acme)[0]?.fix).toBe('Run acme login.');
  });

  it('a problem’s evidence keeps a status it already has, and takes the OAuth facts', () => {
    const error = new KeyturnError('invalid_grant', 'no', {
      httpStatus: 400,
      oauthError: 'invalid_grant',
      oauthErrorDescription: 'expired',
      evidence: { status: 401 },
    });
    expect(problem(error, 'warning', { extra: true })).toMatchObject({
      severity: 'warning',
      evidence: {
        status: 401,
        oauth_error: 'invalid_grant',
        oauth_error_description: 'expired',
        extra: true,
      },
    });
  });
});
