import type { DoctorReport, Finding } from '../../src/core/diagnosis.js';
import { runCli } from './cli.js';

/**
 * Runs the built `keyturn doctor --json` as a user would, in a controlled environment: no proxy and
 * no extra CA unless the test sets one (the machine's own settings must not leak into the scenario).
 */
export const CLEAN_ENV: Record<string, string | undefined> = {
  HTTPS_PROXY: undefined,
  https_proxy: undefined,
  HTTP_PROXY: undefined,
  http_proxy: undefined,
  NO_PROXY: undefined,
  no_proxy: undefined,
  NODE_EXTRA_CA_CERTS: undefined,
  SSL_CERT_FILE: undefined,
  KEYTURN_STORE: 'file',
};

export interface DoctorResult {
  code: number | null;
  report: DoctorReport;
  stderr: string;
}

export async function runDoctor(
  args: string[],
  options: { home: string; env?: Record<string, string | undefined> },
): Promise<DoctorResult> {
  const result = await runCli(['doctor', '--json', ...args], {
    env: { ...CLEAN_ENV, KEYTURN_HOME: options.home, ...options.env },
  });
  let report: DoctorReport;
  try {
    report = JSON.parse(result.stdout) as DoctorReport;
  } catch {
    throw new Error(`doctor printed no JSON (exit ${result.code}):\n${result.stdout}\n${result.stderr}`);
  }
  return { code: result.code, report, stderr: result.stderr };
}

/** The codes of the findings with this severity, in report order. */
export function codes(report: DoctorReport, severity: Finding['severity'] = 'error'): string[] {
  return report.findings.filter((f) => f.severity === severity).map((f) => f.code);
}

/** Errors and warnings: what a healthy setup has none of. */
export function problems(report: DoctorReport): string[] {
  return report.findings
    .filter((f) => f.severity === 'error' || f.severity === 'warning')
    .map((f) => `${f.severity} ${f.code}: ${f.detail}`);
}

export function finding(report: DoctorReport, code: string): Finding {
  const found = report.findings.find((f) => f.code === code);
  if (found === undefined) throw new Error(`no ${code} finding in ${JSON.stringify(report, null, 2)}`);
  return found;
}
