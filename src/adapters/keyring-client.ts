import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sessionBusProblem } from './dbus.js';
import {
  KeyringUnusable,
  explainKeyringFailure,
  keyringBackend,
  keyringModuleBroken,
  keyringModuleMissing,
  keyringTimedOut,
  keyringTimeoutFromEnv,
} from './keyring-errors.js';
import type { KeyringAnswer, KeyringRequest } from './keyring-protocol.js';

/**
 * The OS keyring (Secret Service on Linux, Keychain on macOS, Credential Manager on Windows) through
 * `@napi-rs/keyring`, with every call bounded by a timeout.
 *
 * Why a child process: the library talks to the keyring synchronously, and on Linux even its
 * constructor blocks until the D-Bus peer answers, so a Secret Service that never answers would hang
 * the main thread (its "async" API included). A worker thread does not help either: Node joins it at
 * exit, so the hung call would still keep the process alive. A child process can be killed.
 */

export interface KeyringClientOptions {
  env: Record<string, string | undefined>;
  platform?: NodeJS.Platform;
  timeoutMs?: number;
}

const CHILD_FILE = 'keyring-child.cjs';

/**
 * The built child program (tsup entry `keyring-child`, src/adapters/keyring-child.ts). The library
 * (dist/index.js) and the CLI (dist/cli.js) run this module from a chunk in dist/, beside it; tests
 * run it from src/adapters/ under vitest, after `npm run build` (which every test run starts with),
 * and find it in dist/ two folders up.
 */
function childProgram(): string | undefined {
  const here = dirname(fileURLToPath(import.meta.url));
  return [join(here, CHILD_FILE), join(here, '..', '..', 'dist', CHILD_FILE)].find((path) =>
    existsSync(path),
  );
}

/** One bounded call per keyring operation, each in a child process that is killed at the timeout. */
export class KeyringClient {
  readonly backend: string;
  readonly timeoutMs: number;
  private readonly env: Record<string, string | undefined>;
  private readonly platform: NodeJS.Platform;

  constructor(options: KeyringClientOptions) {
    this.env = options.env;
    this.platform = options.platform ?? process.platform;
    this.backend = keyringBackend(this.platform);
    this.timeoutMs = options.timeoutMs ?? keyringTimeoutFromEnv(options.env);
  }

  /** The secret stored under service/account, or undefined when there is none. */
  async get(service: string, account: string): Promise<string | undefined> {
    const answer = await this.call({ op: 'get', service, account });
    return typeof answer === 'string' ? answer : undefined;
  }

  async set(service: string, account: string, value: string): Promise<void> {
    await this.call({ op: 'set', service, account, value });
  }

  /** True when an entry was removed. */
  async delete(service: string, account: string): Promise<boolean> {
    return (await this.call({ op: 'delete', service, account })) === true;
  }

  /**
   * Writes, reads back and deletes a throwaway entry: the keyring is usable exactly when this passes.
   * (Reading alone proves nothing: without a Secret Service the library answers "no entry".)
   */
  async probe(service: string): Promise<void> {
    const nonce = Math.random().toString(36).slice(2);
    await this.call({ op: 'probe', service, account: `probe-${process.pid}-${nonce}`, value: nonce });
  }

  private async call(request: Omit<KeyringRequest, 'module'>): Promise<string | boolean | null | undefined> {
    const started = Date.now();
    if (this.platform !== 'darwin' && this.platform !== 'win32') {
      const problem = await sessionBusProblem(this.env, this.timeoutMs);
      // A bus that takes the connection but never completes the handshake: as hung as a keyring can be.
      if (problem?.kind === 'silent') throw keyringTimedOut(this.backend, this.platform, this.timeoutMs);
      if (problem !== undefined) throw new KeyringUnusable(this.backend, problem.reason, problem.remedy);
    }
    let module: string;
    try {
      module = createRequire(import.meta.url).resolve('@napi-rs/keyring');
    } catch {
      throw keyringModuleMissing(this.backend);
    }
    const program = childProgram();
    if (program === undefined) {
      throw new KeyringUnusable(
        this.backend,
        `keyturn's keyring helper (${CHILD_FILE}) is missing beside ${fileURLToPath(import.meta.url)}`,
        'Reinstall keyturn',
      );
    }
    const remaining = Math.max(1, this.timeoutMs - (Date.now() - started));
    const answer = await this.runChild(program, { ...request, module }, remaining);
    if (answer.ok) return answer.value;
    if (answer.stage === 'load') throw keyringModuleBroken(this.backend, answer.message);
    throw explainKeyringFailure(this.backend, this.platform, answer.message);
  }

  private runChild(program: string, request: KeyringRequest, timeoutMs: number): Promise<KeyringAnswer> {
    const env: Record<string, string> = {};
    for (const [key, value] of Object.entries(this.env)) if (value !== undefined) env[key] = value;
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [program], {
        env,
        stdio: ['pipe', 'pipe', 'pipe'],
        windowsHide: true,
      });
      let stdout = '';
      let settled = false;
      const settle = (outcome: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        outcome();
      };
      const timer = setTimeout(() => {
        settle(() => {
          // The hung keyring call cannot be interrupted: kill its process and let go of it.
          child.kill('SIGKILL');
          child.unref();
          child.stdout.destroy();
          child.stderr.destroy();
          reject(keyringTimedOut(this.backend, this.platform, this.timeoutMs));
        });
      }, timeoutMs);
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
      child.stderr.resume();
      child.stdin.on('error', () => undefined);
      child.on('error', (error) =>
        settle(() =>
          reject(
            new KeyringUnusable(
              this.backend,
              `the keyring helper process could not start (${error.message})`,
              `Check that ${process.execPath} can run`,
            ),
          ),
        ),
      );
      child.on('close', (code, signal) =>
        settle(() => {
          try {
            resolve(JSON.parse(stdout) as KeyringAnswer);
          } catch {
            const how = signal ?? `exit code ${code ?? '?'}`;
            reject(
              new KeyringUnusable(
                this.backend,
                `the keyring library crashed (${how})`,
                "Report it to keyturn's issue tracker with your OS and keyring service",
              ),
            );
          }
        }),
      );
      child.stdin.end(JSON.stringify(request));
    });
  }
}
