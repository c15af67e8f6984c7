import { KeyturnError } from '../core/errors.js';

/** Reads a secret from stdin: a prompt without echo on a TTY, a plain read otherwise. */
export async function readSecretFromStdin(
  prompt: string,
  stderr: NodeJS.WriteStream = process.stderr,
): Promise<string> {
  const stdin = process.stdin;
  if (stdin.isTTY) {
    // Echo off before the prompt shows: a key typed the instant the prompt appears is never echoed.
    stdin.setRawMode(true);
    stderr.write(prompt);
    stdin.resume();
    stdin.setEncoding('utf8');
    return new Promise((resolve, reject) => {
      let value = '';
      const onData = (chunk: string) => {
        for (const char of chunk) {
          if (char === '\r' || char === '\n' || char === '\u0004') {
            finish();
            resolve(value);
            return;
          }
          if (char === '\u0003') {
            finish();
            reject(new KeyturnError('login_cancelled', 'Cancelled at the prompt (Ctrl-C).'));
            return;
          }
          if (char === '\u007f' || char === '\b') value = value.slice(0, -1);
          else value += char;
        }
      };
      const finish = () => {
        stdin.off('data', onData);
        stdin.setRawMode(false);
        stdin.pause();
        stderr.write('\n');
      };
      stdin.on('data', onData);
    });
  }
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Whether a yes/no question can be asked: both stdin and stderr are terminals. */
export function canPrompt(stderr: NodeJS.WriteStream = process.stderr): boolean {
  return process.stdin.isTTY === true && stderr.isTTY === true;
}

/** Asks a yes/no question on the terminal; anything but "y"/"yes" is no. */
export async function confirm(
  question: string,
  stderr: NodeJS.WriteStream = process.stderr,
): Promise<boolean> {
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: stderr });
  try {
    return /^\s*y(es)?\s*$/i.test(await rl.question(question));
  } finally {
    rl.close();
  }
}

/**
 * The lines typed or pasted on the terminal, until `signal` aborts. The terminal stays in its usual
 * line mode: it echoes, and Ctrl-C interrupts as anywhere else.
 */
export async function* terminalLines(signal: AbortSignal): AsyncIterable<string> {
  const { createInterface } = await import('node:readline');
  const rl = createInterface({ input: process.stdin, terminal: false, crlfDelay: Infinity });
  const stop = () => rl.close();
  signal.addEventListener('abort', stop, { once: true });
  try {
    if (!signal.aborted) yield* rl;
  } finally {
    signal.removeEventListener('abort', stop);
    rl.close();
    process.stdin.pause();
  }
}
