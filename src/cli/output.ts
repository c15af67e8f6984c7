import type { Output } from '../flows/deps.js';
import { KeyturnError, isKeyturnError } from '../core/errors.js';
import { redactText } from '../core/redact.js';
import { inert, inertJson } from '../core/sanitize.js';

export interface OutputOptions {
  json: boolean;
  narrate: boolean;
  debug: boolean;
  stderr?: Writable;
  stdout?: Writable;
  env: Record<string, string | undefined>;
}

interface Writable {
  isTTY?: boolean;
  write(text: string): unknown;
}

/** How a line is painted; the gate paints after it has made the text inert. */
export type Style = 'bold' | 'error' | 'warning' | 'ok' | 'dim' | 'step';

const SGR: Record<Style, string> = { bold: '1', error: '31', warning: '33', ok: '32', dim: '2', step: '36' };

/**
 * The one gate between keyturn and the terminal: every text written through here is made inert
 * (core/sanitize.ts) before keyturn adds its own colours, so no caller can forget to.
 */
export interface CliOutput extends Output {
  /** A line of progress or narration on stderr, painted when stderr is a terminal. */
  say(text: string, style?: Style): void;
  /** The command's result on stdout: one line of it, painted when stdout is a terminal. */
  result(text: string, style?: Style): void;
  /** The command's result as one JSON document on stdout. */
  json(value: unknown): void;
  error(error: unknown): void;
  /** stderr is a terminal that takes colour. */
  colour: boolean;
}

export function useColour(stream: { isTTY?: boolean }, env: Record<string, string | undefined>): boolean {
  return stream.isTTY === true && env.NO_COLOR === undefined && env.TERM !== 'dumb';
}

export function createOutput(options: OutputOptions): CliOutput {
  const stderr = options.stderr ?? process.stderr;
  const stdout = options.stdout ?? process.stdout;
  const colour = useColour(stderr, options.env);
  const stdoutColour = useColour(stdout, options.env);
  const painter =
    (enabled: boolean) =>
    (style: Style | undefined, text: string): string =>
      enabled && style !== undefined && text !== '' ? `\u001b[${SGR[style]}m${text}\u001b[0m` : text;
  const paint = painter(colour);
  const paintStdout = painter(stdoutColour);
  // Lines keyturn composes may span lines; what cannot be in them is a control sequence.
  const text = (message: string) => inert(message, { multiline: true });
  const line = (message: string) => stderr.write(`${message}\n`);
  let stepNumber = 0;
  return {
    colour,
    info: (message) => line(text(message)),
    say: (message, style) => line(paint(style, text(message))),
    warn: (message) => line(`${paint('warning', 'warning:')} ${text(message)}`),
    step: (title, detail) => {
      if (!options.narrate) return;
      stepNumber++;
      line(`${paint('step', `[${stepNumber}] ${inert(title)}:`)} ${text(detail)}`);
    },
    debug: (message) => {
      if (options.debug) line(paint('dim', `debug: ${text(message)}`));
    },
    result: (message, style) => stdout.write(`${paintStdout(style, text(message))}\n`),
    json: (value) => stdout.write(`${inertJson(value)}\n`),
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
      // An error quotes what a provider said, and a provider may echo a token back: cut what looks like
      // one (results, such as `token`'s, hand tokens over on purpose and are not cut).
      if (options.json) stdout.write(`${inertJson(redactStrings(error.toJSON()))}\n`);
      // A message and its fix are one line each: a newline from outside cannot forge a `fix:` line.
      line(`${paint('error', `error[${error.code}]:`)} ${inert(redactText(error.message))}`);
      line(`${paint('ok', 'fix:')} ${inert(redactText(error.fix))}`);
      if (options.debug && thrown instanceof Error && thrown.stack) line(text(thrown.stack));
    },
  };
}

/** Every string in a JSON value, redacted (core/redact.ts); the structure stays as it was. */
function redactStrings(value: unknown): unknown {
  if (typeof value === 'string') return redactText(value);
  if (Array.isArray(value)) return value.map(redactStrings);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, redactStrings(item)]));
  }
  return value;
}
