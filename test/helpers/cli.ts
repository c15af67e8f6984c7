import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** The built executable (package.json `bin`), run as a child process exactly as a user runs it. */
export const CLI = resolve(import.meta.dirname, '../../dist/keyturn.cjs');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunningCli {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the first stderr line matching `pattern`. */
  waitForStderr(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  done: Promise<CliResult>;
}

export function startCli(
  args: string[],
  options: { env?: Record<string, string | undefined>; input?: string; cwd?: string } = {},
): RunningCli {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries({
    ...process.env,
    NO_COLOR: '1',
    BROWSER: 'none',
    ...options.env,
  })) {
    if (value !== undefined) env[key] = value;
  }
  const child = spawn(process.execPath, [CLI, ...args], {
    env,
    cwd: options.cwd,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const waiters: { pattern: RegExp; resolve: (m: RegExpMatchArray) => void }[] = [];
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
    for (const waiter of [...waiters]) {
      const match = stderr.match(waiter.pattern);
      if (match) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(match);
      }
    }
  });
  if (options.input !== undefined) child.stdin?.end(options.input);
  else child.stdin?.end();
  const done = new Promise<CliResult>((resolvePromise) => {
    child.on('close', (code, signal) => resolvePromise({ code, signal, stdout, stderr }));
  });
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    done,
    waitForStderr: (pattern, timeoutMs = 20_000) =>
      new Promise((resolvePromise, reject) => {
        const match = stderr.match(pattern);
        if (match) return resolvePromise(match);
        const timer = setTimeout(
          () => reject(new Error(`timed out waiting for ${pattern} on stderr; got:\n${stderr}`)),
          timeoutMs,
        );
        waiters.push({
          pattern,
          resolve: (m) => {
            clearTimeout(timer);
            resolvePromise(m);
          },
        });
        void done.then(() => {
          clearTimeout(timer);
          const late = stderr.match(pattern);
          if (late) resolvePromise(late);
          else reject(new Error(`CLI exited before ${pattern} appeared on stderr; got:\n${stderr}`));
        });
      }),
  };
}

export function runCli(
  args: string[],
  options: { env?: Record<string, string | undefined>; input?: string } = {},
): Promise<CliResult> {
  return startCli(args, options).done;
}

/** A fresh KEYTURN_HOME, removed by the returned cleanup. */
export async function tempHome(): Promise<{ home: string; cleanup: () => Promise<void> }> {
  const home = await mkdtemp(join(tmpdir(), 'keyturn-test-'));
  return { home, cleanup: () => rm(home, { recursive: true, force: true }) };
}

export const URL_LINE = /Open this URL to sign in: (\S+)/;
