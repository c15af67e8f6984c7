import type { Output } from '../flows/deps.js';
import { KeyturnError, isKeyturnError } from '../core/errors.js';
import { redactText } from '../core/redact.js';

export interface OutputOptions {
  json: boolean;
  narrate: boolean;
  debug: boolean;
  stderr?: NodeJS.WriteStream;
  env: Record<string, string | undefined>;
}

export interface CliOutput extends Output {
  /** The command's result: one line or one JSON document on stdout. */
  result(text: string): void;
  json(value: unknown): void;
  error(error: unknown): void;
  colour: boolean;
}

export function useColour(stream: { isTTY?: boolean }, env: Record<string, string | undefined>): boolean {
  return stream.isTTY === true && env.NO_COLOR === undefined && env.TERM !== 'dumb';
}

export function createOutput(options: OutputOptions): CliOutput {
  const stderr = options.stderr ?? process.stderr;
  const colour = useColour(stderr, options.env);
  const paint = (code: string, text: string) => (colour ? `\u001b[${code}m${text}\u001b[0m` : text);
  const line = (text: string) => stderr.write(`${text}\n`);
  let stepNumber = 0;
  return {
    colour,
    info: (message) => line(message),
    warn: (message) => line(`${paint('33', 'warning:')} ${message}`),
    step: (title, detail) => {
      if (!options.narrate) return;
      stepNumber++;
      line(`${paint('36', `[${stepNumber}] ${title}:`)} ${detail}`);
    },
    debug: (message) => {
      if (options.debug) line(paint('2', `debug: ${message}`));
    },
    result: (text) => process.stdout.write(`${text}\n`),
    json: (value) => process.stdout.write(`${JSON.stringify(value, null, 2)}\n`),
    error: (thrown) => {
      const error = isKeyturnError(thrown)
        ? thrown
        : // An unexpected error's message may quote a URL or a body: cut what looks like a secret.
          new KeyturnError(
            'internal',
            redactText(thrown instanceof Error ? thrown.message : String(thrown)),
            {
              cause: thrown,
            },
          );
      if (options.json) process.stdout.write(`${JSON.stringify(error.toJSON(), null, 2)}\n`);
      line(`${paint('31', `error[${error.code}]:`)} ${error.message}`);
      line(`${paint('32', 'fix:')} ${error.fix}`);
      if (options.debug && thrown instanceof Error && thrown.stack) line(thrown.stack);
    },
  };
}
