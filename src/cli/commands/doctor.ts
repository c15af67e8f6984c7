import { writeFile } from 'node:fs/promises';
import { KeyturnError } from '../../core/errors.js';
import { formatFindings, renderMarkdown, summaryLine, type Severity } from '../../core/diagnosis.js';
import type { CommandContext } from '../context.js';
import type { Style } from '../output.js';

export interface DoctorOptions {
  timeout: number;
  profile?: string;
  clientId?: string;
  scope?: string[];
  redirectUri?: string;
  caFile?: string;
  resource?: string;
  report?: string;
  /** Diagnose OpenAI's Codex CLI sign-in instead of a keyturn profile. */
  codex?: boolean;
  issuer?: string;
}

const STYLES: Record<Severity, Style> = { error: 'error', warning: 'warning', info: 'dim', ok: 'ok' };

/** The flags that pick or shape a keyturn profile, which `doctor --codex` does not read. */
const PROFILE_FLAGS = [
  ['profile', '--profile'],
  ['clientId', '--client-id'],
  ['scope', '--scope'],
  ['redirectUri', '--redirect-uri'],
  ['caFile', '--ca-file'],
  ['resource', '--resource'],
] as const;

/** `doctor --codex --profile x` would diagnose something else than asked: say so instead of ignoring it. */
function refuseProfileFlags(options: DoctorOptions): void {
  const given = PROFILE_FLAGS.filter(([key]) => options[key] !== undefined).map(([, flag]) => flag);
  if (given.length === 0) return;
  throw new KeyturnError(
    'usage',
    `${given.join(', ')} ${given.length === 1 ? 'does' : 'do'} not apply to \`doctor --codex\`: it diagnoses the Codex CLI's own sign-in ($CODEX_HOME), not a keyturn profile.`,
    {
      fix: `Leave out ${given.join(', ')}; with --codex, --issuer (a stand-in to probe), --timeout, --report and --json apply.`,
    },
  );
}

/**
 * `keyturn doctor`: one line per check (✓ / ! / ✗), the cause and the fix under each problem, like
 * `gh auth status`; `--json` prints SPEC.md's document; `--report FILE` writes the Markdown report.
 * Exit 0 when no finding is an error, 1 otherwise (SPEC.md "Exit codes").
 */
export async function runDoctor(ctx: CommandContext, options: DoctorOptions): Promise<number> {
  const [{ runDoctor: doctor }, { VERSION }] = await Promise.all([
    import('../../flows/doctor.js'),
    import('../version.js'),
  ]);
  // --codex: that CLI's home and provider, with no keyturn profile (config.toml is not read).
  if (options.codex === true) refuseProfileFlags(options);
  const target =
    options.codex === true
      ? await (
          await import('../../adapters/codex-home.js')
        ).codexTarget(ctx.deps.env, {
          ...(options.issuer === undefined ? {} : { issuer: options.issuer }),
          now: ctx.deps.now,
          findPortHolder: ctx.deps.findPortHolder,
        })
      : undefined;
  const profile = target?.profile ?? (await ctx.profile());
  const { report, context, secrets } = await doctor(ctx.deps, {
    profile,
    ...(target === undefined ? {} : { target }),
    timeoutSeconds: options.timeout,
    version: VERSION,
  });
  if (options.report !== undefined) {
    try {
      await writeFile(options.report, renderMarkdown(report, context, secrets), { mode: 0o600 });
    } catch (error) {
      throw new KeyturnError(
        'usage',
        `Cannot write the report to ${options.report}: ${(error as Error).message}`,
        {
          fix: 'Pass `--report` a path in a folder you can write to.',
        },
      );
    }
  }
  if (ctx.json) ctx.output.json(report);
  else {
    // The human result goes to stdout (`keyturn doctor | grep`), like `status`; progress stays on stderr.
    const where = profile.resource ?? profile.issuer ?? profile.tokenEndpoint ?? 'no issuer';
    ctx.output.result(
      target === undefined
        ? `keyturn doctor: profile ${profile.name}, ${where}${profile.clientId ? `, client ${profile.clientId}` : ''}`
        : `keyturn doctor --codex: OpenAI Codex CLI at ${target.settings.codex_home ?? '?'}, ${where}, client ${profile.clientId ?? '?'}`,
    );
    for (const line of formatFindings(report)) {
      ctx.output.result(line.text, line.text.startsWith('    ') ? undefined : STYLES[line.severity]);
    }
    ctx.output.result(`${summaryLine(report)} (${(context.durationMs / 1000).toFixed(1)} s).`);
  }
  if (options.report !== undefined)
    ctx.output.info(`Report written to ${options.report} (secrets redacted).`);
  return report.ok ? 0 : 1;
}
