/**
 * Runs the built CLI on a pseudo-terminal (util-linux `script`), so that its stdin is a TTY, as when a
 * user types or pastes into it. Input written here arrives as typed; the output is what the terminal
 * shows (stdout and stderr together, with the terminal's echo).
 */
import { spawn } from 'node:child_process';
import { CLI } from './cli.js';

export interface TerminalRun {
  type(text: string): void;
  output(): string;
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  done: Promise<{ code: number | null; output: string }>;
}

const quote = (arg: string) => `'${arg.replace(/'/g, `'\\''`)}'`;

export function runInTerminal(args: string[], env: Record<string, string>): TerminalRun {
  const command = [process.execPath, CLI, ...args].map(quote).join(' ');
  const child = spawn('script', ['-qfec', command, '/dev/null'], {
    env: { ...process.env, NO_COLOR: '1', BROWSER: 'none', TERM: 'dumb', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const done = new Promise<{ code: number | null; output: string }>((resolve) =>
    child.on('close', (code) => resolve({ code, output })),
  );
  return {
    type: (text) => child.stdin.write(text),
    output: () => output,
    done,
    waitFor: async (pattern, timeoutMs = 20_000) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const match = output.match(pattern);
        if (match) return match;
        if (Date.now() > deadline || child.exitCode !== null) {
          throw new Error(`${pattern} did not appear on the terminal; it shows:\n${output}`);
        }
        await new Promise((r) => setTimeout(r, 25));
      }
    },
  };
}
