import { KeyturnError, exitCodeFor } from '../core/errors.js';
import { formatDuration as duration, formatUtc } from '../core/duration.js';
import type { StatusReport } from '../flows/status.js';

/** `keyturn status`'s human report and exit code: the full CLI's (commands/status.ts) and the launcher's. */
export function formatStatus(report: StatusReport): string[] {
  const lines: string[] = [];
  const where =
    report.issuer === null
      ? ''
      : ` ${report.issuer}${report.client_id ? ` (client ${report.client_id})` : ''}`;
  lines.push(`${report.profile}:${where}`);
  if (report.kind === 'api_key') {
    lines.push(`  ✓ API key ${report.api_key}`);
  } else {
    const who = [report.name, report.email ? `<${report.email}>` : null].filter(Boolean).join(' ');
    const mark = report.state === 'sign_in_required' ? '✗' : '✓';
    const was = report.state === 'sign_in_required' ? 'Was signed in' : 'Signed in';
    lines.push(
      `  ${mark} ${was} as ${who || report.subject || 'unknown'}${report.subject ? ` (sub ${report.subject})` : ''}`,
    );
    const dead = report.state === 'sign_in_required';
    if (report.expires_in !== null && report.expires_at !== null) {
      const at = formatUtc(report.expires_at);
      if (dead) lines.push(`  ✗ Access token not served: the sign-in has ended (it expires ${at})`);
      else if (report.expires_in > 0)
        lines.push(`  ✓ Access token valid for ${duration(report.expires_in)} (until ${at})`);
      else {
        lines.push(
          `  ! Access token expired ${duration(report.expires_in)} ago (${at}); the next \`keyturn token\` refreshes it`,
        );
      }
    }
    if (dead && report.has_refresh_token) lines.push('  ✗ Refresh token rejected by the provider');
    else if (report.has_refresh_token) lines.push('  ✓ Refresh token held');
    else lines.push('  ! No refresh token: sign in again when the access token expires');
  }
  lines.push(
    `  - Store: ${report.store.kind} ${report.store.location}${report.store.note ? ` (${report.store.note})` : ''}`,
  );
  if (report.problem !== null) {
    lines.push(`  ✗ error[${report.problem.code}]: ${report.problem.message}`);
    lines.push(`    fix: ${report.problem.fix}`);
  }
  return lines;
}

/** Exit code 3 when sign-in is required (SPEC exit codes), else 0. */
export function statusExitCode(report: StatusReport): number {
  return report.state === 'sign_in_required' ? exitCodeFor(new KeyturnError('refresh_rejected', '')) : 0;
}
