#!/usr/bin/env node
import { exitCodeFor, KeyturnError } from '../core/errors.js';
import { createOutput } from './output.js';
export type { CommandRunner, ParsedCommand } from './context.js';

/**
 * The composition root. Parses argv, builds the context, runs one command, maps the outcome to an
 * exit code in one place. Command modules load lazily: `keyturn token` loads nothing it does not use.
 */

const EXIT_INTERRUPTED = 130;

export async function run(argv: string[]): Promise<number> {
  const controller = new AbortController();
  let interrupted = false;
  const onSignal = () => {
    if (interrupted) process.exit(EXIT_INTERRUPTED);
    interrupted = true;
    controller.abort(new KeyturnError('login_cancelled', 'Interrupted.'));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let json = argv.includes('--json');
  try {
    const { parse } = await import('./program.js');
    const parsed = await parse(argv);
    if (typeof parsed === 'number') return parsed;
    json = parsed.options.json === true;
    const { createContext } = await import('./context.js');
    const ctx = createContext(parsed.options, controller.signal, parsed.extra);
    const code = await parsed.runner(ctx);
    return typeof code === 'number' ? code : 0;
  } catch (error) {
    if (interrupted) {
      process.stderr.write('Interrupted.\n');
      return EXIT_INTERRUPTED;
    }
    createOutput({ json, narrate: false, debug: process.env.KEYTURN_DEBUG === '1', env: process.env }).error(
      error,
    );
    return exitCodeFor(error);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

// A reader that has gone (`keyturn status | head -1`, `keyturn token | head -c 0`): what is left
// unread is nobody's. The command goes on to its end and its exit code, writing to nobody, instead
// of dying of an unhandled EPIPE with a stack trace (the fast path does the same: write-out.ts).
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE' && error.code !== 'ERR_STREAM_DESTROYED') throw error;
  });
}

run(process.argv.slice(2)).then(
  (code) => {
    // Interrupted: do not wait for timers a library cannot cancel (openid-client's poll interval).
    if (code === EXIT_INTERRUPTED) process.exit(code);
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`error[internal]: ${String(error)}\n`);
    process.exitCode = 1;
  },
);
