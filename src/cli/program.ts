import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { usageError } from '../core/errors.js';
import type { CommonOptions } from './context.js';
import type { ParsedCommand } from './context.js';
import { VERSION } from './version.js';

export { VERSION } from './version.js';

function seconds(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+(\.\d+)?$/.test(value) || !Number.isFinite(n) || n <= 0) {
      throw new InvalidArgumentError(`${name} takes a positive number of seconds.`);
    }
    return n;
  };
}

/** `--min-ttl S` of every command that hands out a token. */
function minTtlOption(): Option {
  return new Option('--min-ttl <seconds>', 'refresh first when the token expires within this long')
    .argParser(seconds('--min-ttl'))
    .default(60);
}

function port(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 0 || n > 65_535) throw new InvalidArgumentError('--port takes 0-65535.');
  return n;
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** The options that select and override a profile. */
function withProfile(command: Command): Command {
  return command
    .option(
      '--profile <name>',
      'profile from config.toml (default: KEYTURN_PROFILE, default_profile, "default")',
    )
    .option('--issuer <url>', 'OIDC issuer URL (overrides the profile)')
    .option('--client-id <id>', 'OAuth client id (overrides the profile)')
    .option('--scope <scope>', 'scope to request; repeatable (overrides the profile)', collect)
    .option('--redirect-uri <uri>', 'loopback redirect URI (default http://localhost:1455/auth/callback)')
    .option('--ca-file <path>', 'extra PEM CA bundle to trust (added to the default roots)')
    .option('--resource <url>', 'an MCP server (protected resource) to sign in to from its URL alone');
}

function withCommon(command: Command): Command {
  return withProfile(command).option('--json', 'print one JSON document on stdout');
}

/** Parses argv into a command to run, or an exit code (help, version, usage error). */
export async function parse(argv: string[]): Promise<ParsedCommand | number> {
  let selected: ParsedCommand | undefined;
  const program = new Command('keyturn')
    .description(
      'Sign command-line tools in to OAuth 2.0 / OpenID Connect providers and keep them signed in.',
    )
    .version(VERSION, '-V, --version')
    .showSuggestionAfterError(true)
    // `keyturn exec -- CMD --flag`: options after CMD are CMD's (passThroughOptions needs this).
    .enablePositionalOptions()
    .exitOverride()
    .configureOutput({ writeErr: (text) => process.stderr.write(text), outputError: () => undefined });
  const select = (
    options: CommonOptions,
    runner: ParsedCommand['runner'],
    extra?: ParsedCommand['extra'],
  ) => {
    selected = extra === undefined ? { options, runner } : { options, runner, extra };
  };

  withCommon(program.command('login').description('sign in: browser (default), --device or --api-key'))
    .option('--device', 'device authorization grant (RFC 8628), for machines without a browser')
    .option('--api-key', 'read an API key from stdin and store it')
    .option('--no-open', 'print the URL without opening a browser')
    .option('--cancel-other', 'cancel another keyturn login waiting on the redirect port, without asking')
    // No default here: the browser waits 300 s, the device grant as long as the provider's code lives.
    .addOption(
      new Option(
        '--timeout <seconds>',
        'give up after this long (default: 300; --device: when the code expires)',
      ).argParser(seconds('--timeout')),
    )
    .action((options) =>
      select(options, async (ctx) => (await import('./commands/login.js')).runLogin(ctx, options)),
    );

  withCommon(
    program.command('token').description('print a valid access token, refreshing it first when needed'),
  )
    .addOption(minTtlOption())
    .action((options) =>
      select(options, async (ctx) => (await import('./commands/token.js')).runToken(ctx, options)),
    );

  withCommon(
    program
      .command('exec')
      .description('run a command with a valid token in its environment (and nowhere else)')
      .usage('[options] -- CMD [ARGS...]')
      .argument('<command...>', 'the command to run and its arguments')
      .passThroughOptions(),
  )
    .option('--env <name>', 'environment variable that carries the token', 'KEYTURN_ACCESS_TOKEN')
    .option('--id-token', 'hand over the id token instead of the access token')
    .addOption(minTtlOption())
    .action((command: string[], options) =>
      select(options, async (ctx) => (await import('./commands/exec.js')).runExec(ctx, command, options)),
    );

  const credential = program.command('credential').description('credential helpers for git and kubectl');
  // The credential helpers speak their callers' protocols on stdout: no --json.
  withProfile(
    credential
      .command('git')
      .description('git credential helper (gitcredentials(7)): get, store, erase')
      .argument('[operation]', 'what git asks: get, store or erase'),
  ).action((operation: string | undefined, options) =>
    select(options, async (ctx) =>
      (await import('./commands/credential-git.js')).runCredentialGit(ctx, operation),
    ),
  );
  withProfile(
    credential
      .command('kubectl')
      .description('kubectl exec credential plugin: prints an ExecCredential with the id token'),
  )
    .option('--access-token', 'send the access token instead of the id token')
    .addOption(minTtlOption())
    .action((options) =>
      select(options, async (ctx) =>
        (await import('./commands/credential-kubectl.js')).runCredentialKubectl(ctx, options),
      ),
    );

  withCommon(program.command('status').description('who is signed in, until when, in which store')).action(
    (options) => select(options, async (ctx) => (await import('./commands/status.js')).runStatus(ctx)),
  );

  withCommon(program.command('doctor').description('diagnose why a sign-in fails, and say how to fix it'))
    .addOption(
      new Option('--timeout <seconds>', 'bound on each network probe')
        .argParser(seconds('--timeout'))
        .default(5),
    )
    .option('--report <file>', 'write a Markdown report, secrets redacted, to attach to a support ticket')
    .option(
      '--codex',
      "diagnose OpenAI Codex CLI's sign-in instead ($CODEX_HOME; --issuer probes a stand-in); changes none of its files",
    )
    .action((options) =>
      select(options, async (ctx) => (await import('./commands/doctor.js')).runDoctor(ctx, options)),
    );

  withCommon(program.command('logout').description('revoke the tokens and remove the stored credentials'))
    .option('--no-revoke', 'only remove the stored credentials')
    .action((options) =>
      select(options, async (ctx) => (await import('./commands/logout.js')).runLogout(ctx, options)),
    );

  withCommon(program.command('demo').description('sign in against the built-in local authorization server'))
    .option('--no-open', 'print the URL without opening a browser')
    .addOption(
      new Option('--timeout <seconds>', 'give up after this long')
        .argParser(seconds('--timeout'))
        .default(300),
    )
    .action((options) =>
      select(options, async (ctx) => (await import('./commands/demo.js')).runDemo(ctx, options), {
        narrate: true,
      }),
    );

  program
    .command('dev-issuer')
    .description('run the built-in authorization server alone, for development')
    .addOption(new Option('--port <port>', 'port on 127.0.0.1').argParser(port).default(9090))
    .addOption(
      new Option('--access-token-ttl <seconds>', 'access token lifetime').argParser(
        seconds('--access-token-ttl'),
      ),
    )
    .option('--json', 'print the issuer facts as JSON')
    .option('--stats-file <path>', 'keep request counters (token, refresh, …) as JSON in this file')
    .action((options) =>
      select(options, async (ctx) => (await import('./commands/dev-issuer.js')).runDevIssuer(ctx, options)),
    );

  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      if (
        error.code === 'commander.helpDisplayed' ||
        error.code === 'commander.version' ||
        error.exitCode === 0
      ) {
        return 0;
      }
      // `keyturn` alone is a usage error: help on stderr, exit 2 (SPEC exit codes).
      if (error.code === 'commander.help') return 2;
      const message = error.message.replace(/^error: /, '');
      throw usageError(message.charAt(0).toUpperCase() + message.slice(1), 'See `keyturn --help`.');
    }
    throw error;
  }
  if (selected === undefined) {
    program.outputHelp({ error: true });
    return 2;
  }
  return selected;
}
