/**
 * Runs the built CLI against a provider stand-in the way a user would: a config.toml with nothing but
 * the provider's issuer (or endpoints) and the client, then `login`, `token`, `status`, `doctor`.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startCli, runCli, tempHome, URL_LINE, type CliResult, type RunningCli } from '../helpers/cli.js';
import { CLEAN_ENV } from '../helpers/doctor.js';
import type { DoctorReport, Finding } from '../../src/core/diagnosis.js';
import { signInWithHttpBrowser, type BrowserVisit } from './browser.js';

const VERIFICATION_URI = /open this page in a browser on any device:\s*\n\s*\n\s+(\S+)/;
const USER_CODE = /and enter this code:\s*\n\s*\n\s+(\S+)/;

type TomlValue = string | number | boolean | string[] | number[] | Record<string, string>;

function toml(value: TomlValue): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `[${value.map((v) => toml(v)).join(', ')}]`;
  return `{ ${Object.entries(value)
    .map(([k, v]) => `${k} = ${JSON.stringify(v)}`)
    .join(', ')} }`;
}

/** The text of a config.toml with one profile. */
export function profileToml(name: string, keys: Record<string, TomlValue>): string {
  return `[profiles.${name}]\n${Object.entries(keys)
    .map(([k, v]) => `${k} = ${toml(v)}`)
    .join('\n')}\n`;
}

export interface ProviderSession {
  home: string;
  profile: string;
  env: Record<string, string | undefined>;
  run(args: string[], env?: Record<string, string | undefined>): Promise<CliResult>;
  start(args: string[], env?: Record<string, string | undefined>): RunningCli;
  /** `login --device`: returns the code shown and the running login. */
  startDevice(extra?: string[]): Promise<{ login: RunningCli; verificationUri: string; userCode: string }>;
  /** `login --no-open` answered by the HTTP browser; resolves with the login's result and the visit. */
  browserLogin(
    extra?: string[],
    options?: Parameters<typeof signInWithHttpBrowser>[1],
  ): Promise<{ result: CliResult; visit: BrowserVisit | undefined }>;
  /** `doctor --json`: the report, and its error and warning findings (a healthy setup has none). */
  doctor(): Promise<{ report: DoctorReport; problems: Finding[]; stdout: string }>;
  /** Moves the stored access token's expiry to `seconds` from now (time passing, without the wait). */
  expireIn(seconds: number): Promise<void>;
  cleanup(): Promise<void>;
}

export async function providerSession(
  profile: string,
  keys: Record<string, TomlValue>,
  env: Record<string, string | undefined> = {},
): Promise<ProviderSession> {
  const { home, cleanup } = await tempHome();
  await writeFile(join(home, 'config.toml'), profileToml(profile, keys));
  const fullEnv = { ...CLEAN_ENV, KEYTURN_HOME: home, KEYTURN_PROFILE: profile, ...env };
  const running: RunningCli[] = [];
  const start = (args: string[], extra: Record<string, string | undefined> = {}) => {
    const cli = startCli(args, { env: { ...fullEnv, ...extra } });
    running.push(cli);
    return cli;
  };
  return {
    home,
    profile,
    env: fullEnv,
    start,
    run: (args, extra = {}) => runCli(args, { env: { ...fullEnv, ...extra } }),
    async startDevice(extra = []) {
      const login = start(['login', '--device', ...extra]);
      const [, verificationUri] = await login.waitForStderr(VERIFICATION_URI);
      const [, userCode] = await login.waitForStderr(USER_CODE);
      return { login, verificationUri: verificationUri as string, userCode: userCode as string };
    },
    async browserLogin(extra = [], options = {}) {
      const login = start(['login', '--no-open', ...extra]);
      let visit: BrowserVisit | undefined;
      const url = await login.waitForStderr(URL_LINE).catch(() => undefined);
      if (url !== undefined) visit = await signInWithHttpBrowser(url[1] as string, options);
      return { result: await login.done, visit };
    },
    async doctor() {
      const result = await runCli(['doctor', '--json'], { env: fullEnv });
      const report = JSON.parse(result.stdout) as DoctorReport;
      const problems = report.findings.filter((f) => f.severity === 'error' || f.severity === 'warning');
      return { report, problems, stdout: result.stdout };
    },
    async expireIn(seconds) {
      const path = join(home, 'auth.json');
      const doc = JSON.parse(await readFile(path, 'utf8')) as {
        profiles: Record<string, { expires_at?: number }>;
      };
      const stored = doc.profiles[profile];
      if (stored === undefined) throw new Error(`no stored sign-in for ${profile}`);
      stored.expires_at = Math.floor(Date.now() / 1000) + seconds;
      await writeFile(path, JSON.stringify(doc), { mode: 0o600 });
    },
    async cleanup() {
      for (const cli of running) if (cli.child.exitCode === null) cli.child.kill('SIGKILL');
      await cleanup();
    },
  };
}
