import { KEYTURN_APP, renderText, type AppIdentity, type AppText } from './app.js';
import { CATALOG, isErrorCode, type ErrorCode } from './catalog.js';
import type { KeyturnError } from './errors.js';
import { redactText } from './redact.js';
import { inert } from './sanitize.js';

/**
 * The doctor's findings and report (the diagnosis catalog). Pure: the probes in
 * adapters/probes/ gather facts; this file shapes, orders, redacts and renders them.
 */

/** How much a finding matters: `error` fails the doctor, `ok` reports a check that passed. */
export type Severity = 'error' | 'warning' | 'info' | 'ok';

/** Names of checks, for findings that report a check passing (problems carry a catalog code). */
export type CheckName =
  | 'environment'
  | 'ca_files'
  | 'proxy'
  | 'store'
  | 'signed_in'
  | 'redirect_port'
  | 'dns'
  | 'connect'
  | 'tls'
  | 'clock'
  | 'discovery'
  | 'authorization_endpoint'
  | 'token_endpoint'
  | 'resource_challenge'
  | 'resource_metadata'
  | 'authorization_server_metadata'
  | 'registration'
  | 'refresh_token'
  | 'skipped';

/** One diagnosis of the doctor: a catalog code (or the name of a check that passed), the cause, the fix. */
export interface Finding {
  /** A catalog code when the finding names a problem; the check's name when it reports a check passing. */
  code: ErrorCode | CheckName;
  severity: Severity;
  title: string;
  /** The cause (or the fact checked) in a sentence. */
  detail: string;
  /** What to do, as a command or a setting; null when nothing is to be done. */
  fix: string | null;
  /** Facts: status, headers, host, port, pid, certificate names, clock offset…; never a secret. */
  evidence: Record<string, unknown>;
}

/** What `keyturn doctor --json` prints and `client.doctor()` returns: `ok` unless a finding is an error. */
export interface DoctorReport {
  ok: boolean;
  profile: string;
  findings: Finding[];
}

export function passed(code: CheckName, title: string, evidence: Record<string, unknown> = {}): Finding {
  return { code, severity: 'ok', title, detail: '', fix: null, evidence };
}

export function noted(
  code: ErrorCode | CheckName,
  title: string,
  detail = '',
  evidence: Record<string, unknown> = {},
  fix: AppText | null = null,
): Finding {
  return toldWith({ code, severity: 'info', title, detail, fix: null, evidence }, fix);
}

/** Fixes that name the application's command, kept so `findingsFor` can tell them for another app. */
const fixTexts = new WeakMap<Finding, AppText>();

function toldWith(finding: Finding, fix: AppText | null): Finding {
  if (fix === null) return finding;
  finding.fix = renderText(fix, KEYTURN_APP);
  if (typeof fix !== 'string') fixTexts.set(finding, fix);
  return finding;
}

/** The findings with their fixes told for `app` (`acme login` rather than `keyturn login`). */
export function findingsFor(findings: readonly Finding[], app: AppIdentity): Finding[] {
  return findings.map((finding) => {
    const fix = fixTexts.get(finding);
    return fix === undefined ? finding : { ...finding, fix: renderText(fix, app) };
  });
}

/** A problem, from the catalog error that describes it. */
export function problem(
  error: KeyturnError,
  severity: Exclude<Severity, 'ok'> = 'error',
  evidence: Record<string, unknown> = {},
): Finding {
  const facts: Record<string, unknown> = { ...error.evidence, ...evidence };
  if (error.httpStatus !== undefined && facts.status === undefined) facts.status = error.httpStatus;
  if (error.oauthError !== undefined) facts.oauth_error = error.oauthError;
  if (error.oauthErrorDescription !== undefined) facts.oauth_error_description = error.oauthErrorDescription;
  return toldWith(
    {
      code: error.code,
      severity,
      title: CATALOG[error.code].title,
      detail: error.message,
      fix: null,
      evidence: facts,
    },
    (app) => error.forApp(app).fix,
  );
}

const RANK: Record<Severity, number> = { error: 0, warning: 1, info: 2, ok: 3 };

/** Redacts every string in evidence (recursively): a report may be attached to a public ticket. */
export function redactEvidence(value: unknown, secrets: readonly string[]): unknown {
  if (typeof value === 'string') return redactText(value, secrets);
  if (Array.isArray(value)) return value.map((item) => redactEvidence(item, secrets));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, redactEvidence(item, secrets)]),
    );
  }
  return value;
}

/**
 * The report: findings ordered by severity (the cause first), then in the order the checks ran;
 * the same problem seen by several probes once (with where else it was seen); every string redacted.
 * `ok` is false when any finding is an error (SPEC: doctor exits 1 then).
 */
export function buildReport(
  profile: string,
  findings: readonly Finding[],
  secrets: readonly string[] = [],
): DoctorReport {
  const kept: Finding[] = [];
  for (const finding of findings) {
    const same =
      finding.severity === 'ok'
        ? undefined
        : kept.find(
            (k) => k.code === finding.code && k.severity === finding.severity && k.detail === finding.detail,
          );
    if (same !== undefined) continue;
    kept.push(finding);
  }
  const ordered = kept
    .map((finding, index) => ({ finding, index }))
    .sort((a, b) => RANK[a.finding.severity] - RANK[b.finding.severity] || a.index - b.index)
    .map(({ finding }) => ({
      ...finding,
      title: redactText(finding.title, secrets),
      detail: redactText(finding.detail, secrets),
      fix: finding.fix === null ? null : redactText(finding.fix, secrets),
      evidence: redactEvidence(finding.evidence, secrets) as Record<string, unknown>,
    }));
  return { ok: !ordered.some((f) => f.severity === 'error'), profile, findings: ordered };
}

export function counts(report: DoctorReport): Record<Severity, number> {
  const result: Record<Severity, number> = { error: 0, warning: 0, info: 0, ok: 0 };
  for (const finding of report.findings) result[finding.severity]++;
  return result;
}

export const MARKS: Record<Severity, string> = { error: '✗', warning: '!', info: '-', ok: '✓' };

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** "1 error, 2 warnings, 7 checks passed". */
export function summaryLine(report: DoctorReport): string {
  const n = counts(report);
  return `${plural(n.error, 'error')}, ${plural(n.warning, 'warning')}, ${plural(n.ok, 'check')} passed`;
}

/** Human lines, like `gh auth status`: one per check, then the cause and the fix under each problem. */
export function formatFindings(report: DoctorReport): { severity: Severity; text: string }[] {
  const lines: { severity: Severity; text: string }[] = [];
  for (const finding of report.findings) {
    const head =
      finding.severity !== 'ok' && isErrorCode(finding.code)
        ? `${finding.title} [${finding.code}]`
        : finding.title;
    lines.push({ severity: finding.severity, text: `${MARKS[finding.severity]} ${head}` });
    if (finding.detail !== '') lines.push({ severity: finding.severity, text: `    ${finding.detail}` });
    if (finding.fix !== null && finding.severity !== 'ok')
      lines.push({ severity: finding.severity, text: `    fix: ${finding.fix}` });
  }
  return lines;
}

/** What the Markdown report says besides the findings; every value is redacted on rendering. */
export interface ReportContext {
  generatedAt: string;
  keyturn: string;
  node: string;
  platform: string;
  /** Profile settings (never the client secret itself). */
  settings: Record<string, string>;
  /** Environment facts: display, SSH, container, WSL, proxy and CA variables… */
  environment: Record<string, string>;
  /** Every HTTP request the doctor made. */
  exchanges: { method: string; url: string; status?: number; error?: string; proxy?: string; ms: number }[];
  durationMs: number;
}

function cell(value: string): string {
  return value.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/**
 * The Markdown report of `keyturn doctor --report FILE`, to attach to a support ticket: findings with
 * their evidence, the environment and every request made. Every line passes through redaction, with
 * the secrets the store holds named explicitly, so not one of them can leak.
 */
export function renderMarkdown(
  report: DoctorReport,
  context: ReportContext,
  secrets: readonly string[] = [],
): string {
  const n = counts(report);
  const out: string[] = [];
  out.push('# keyturn doctor report', '');
  out.push(
    `Generated ${context.generatedAt} by keyturn ${context.keyturn} on Node ${context.node} (${context.platform}), in ${(context.durationMs / 1000).toFixed(1)} s.`,
    '',
  );
  out.push(
    `**Result: ${report.ok ? 'no errors' : plural(n.error, 'error')}**, ${plural(n.warning, 'warning')}, ${plural(n.info, 'note')}, ${plural(n.ok, 'check')} passed.`,
    '',
  );
  out.push('## Profile', '', '| setting | value |', '| --- | --- |');
  out.push(`| profile | ${cell(report.profile)} |`);
  for (const [key, value] of Object.entries(context.settings)) out.push(`| ${cell(key)} | ${cell(value)} |`);
  out.push('', '## Findings', '');
  for (const finding of report.findings) {
    out.push(
      `### ${MARKS[finding.severity]} ${finding.severity}: ${finding.title} (\`${finding.code}\`)`,
      '',
    );
    if (finding.detail !== '') out.push(finding.detail, '');
    if (finding.fix !== null && finding.severity !== 'ok') out.push(`**Fix:** ${finding.fix}`, '');
    if (Object.keys(finding.evidence).length > 0) {
      out.push('```json', JSON.stringify(finding.evidence, null, 2), '```', '');
    }
  }
  out.push('## Environment', '', '| fact | value |', '| --- | --- |');
  for (const [key, value] of Object.entries(context.environment))
    out.push(`| ${cell(key)} | ${cell(value)} |`);
  out.push('', '## Requests', '');
  if (context.exchanges.length === 0) out.push('None.');
  else {
    out.push('| method | URL | answer | via | ms |', '| --- | --- | --- | --- | --- |');
    for (const e of context.exchanges) {
      out.push(
        `| ${e.method} | ${cell(e.url)} | ${e.status ?? e.error ?? 'no answer'} | ${cell(e.proxy ?? 'direct')} | ${e.ms} |`,
      );
    }
  }
  out.push(
    '',
    'Secrets (tokens, codes, verifiers, client secrets, API keys) are redacted from this report.',
    '',
  );
  // The report's one gate: secrets cut, and no text from outside left able to drive a terminal.
  return inert(redactText(out.join('\n'), secrets), { multiline: true });
}
