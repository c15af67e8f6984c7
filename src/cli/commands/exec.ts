import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { KeyturnError, usageError } from '../../core/errors.js';
import type { CommandContext } from '../context.js';

export interface ExecOptions {
  env: string;
  idToken?: boolean;
  minTtl: number;
}

/** The signals a terminal or a supervisor sends that CMD, not keyturn, should act on. */
const FORWARDED = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * `keyturn exec -- CMD …`: CMD runs with a valid token in one environment variable and nowhere else
 * (not its argv, not keyturn's output). A sign-in that cannot give a token fails before CMD starts.
 */
export async function runExec(ctx: CommandContext, command: string[], options: ExecOptions): Promise<number> {
  const [file, ...args] = command;
  if (file === undefined) throw usageError('Name the command to run: `keyturn exec -- CMD [ARGS…]`.');
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(options.env)) {
    throw usageError(`--env takes an environment variable name, not "${options.env}".`);
  }
  const profile = await ctx.profile();
  const { getHelperToken } = await import('../../flows/helper-token.js');
  const { token } = await getHelperToken(
    ctx.deps,
    { profile, kind: options.idToken === true ? 'id' : 'access', minTtl: options.minTtl },
    ctx.signal,
  );
  // From here on CMD owns the terminal's signals: keyturn only passes them on and waits for CMD.
  for (const signal of FORWARDED) process.removeAllListeners(signal);
  const child = spawn(file, args, {
    stdio: 'inherit',
    env: { ...process.env, [options.env]: token },
  });
  const forward = (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  };
  for (const signal of FORWARDED) process.on(signal, forward);
  try {
    return await new Promise<number>((resolve, reject) => {
      child.once('error', (error: NodeJS.ErrnoException) => reject(spawnFailure(file, error)));
      child.once('exit', (code, signal) => {
        if (signal !== null) resolve(128 + (constants.signals[signal] ?? 0));
        else resolve(code ?? 1);
      });
    });
  } finally {
    for (const signal of FORWARDED) process.off(signal, forward);
  }
}

function spawnFailure(file: string, error: NodeJS.ErrnoException): KeyturnError {
  if (error.code === 'ENOENT') {
    return new KeyturnError('command_not_found', `Command not found: ${file}`, {
      fix: 'Check the command name, or give its full path; it must be on PATH.',
    });
  }
  return new KeyturnError('command_not_executable', `Cannot run ${file}: ${error.code ?? error.message}.`, {
    fix: 'Check that the file is an executable program and that you may run it.',
  });
}
