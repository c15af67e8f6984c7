import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { DoctorReport } from '../../src/core/diagnosis.js';
import { CLI } from './cli.js';
import { CLEAN_ENV } from './doctor.js';
import type { SeenRequest } from '../providers/openai.js';

/**
 * `keyturn doctor --codex` scenes. Codex's callback ports 1455 and 1457 are fixed, shared by every
 * test file, so each scene runs in its own network namespace (`unshare -n`, loopback only): the
 * stand-in of auth.openai.com, the port holders and the CLI all live there, and nothing collides.
 */
export interface CodexScene {
  /** The CLI's environment (CODEX_HOME, CODEX_CA_CERTIFICATE, proxies…), over a clean one. */
  env: Record<string, string | undefined>;
  /** What the stand-in refuses with (see test/providers/openai.ts). */
  block?: 'cloudflare' | 'cloudflare-token' | 'region';
  /** Serve the stand-in over TLS with this certificate. */
  tls?: { keyPath: string; certPath: string };
  /** Processes that hold ports, by the name the OS reports for them. */
  holders?: { name: string; port: number }[];
  /** Another issuer than the stand-in. */
  issuer?: string;
  /** The CLI's arguments after `doctor --codex --issuer URL` (default `--json`). */
  args?: string[];
  /** Set by runCodexScene. */
  cli: string;
}

export interface CodexSceneOutcome {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Wall-clock time of the CLI run, for the benchmark numbers of the report (never asserted). */
  ms: number;
  requests: SeenRequest[];
}

let bundle: Promise<{ file: string; cleanup: () => Promise<void> }> | undefined;

/** The scene's entry, bundled once per test file so that plain node runs it inside the namespace. */
function sceneBundle(): Promise<{ file: string; cleanup: () => Promise<void> }> {
  bundle ??= (async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kt-scene-bundle-'));
    const file = join(dir, 'scene.mjs');
    const { build } = await import('esbuild');
    await build({
      entryPoints: [resolve(import.meta.dirname, 'codex-scene-main.ts')],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      outfile: file,
      logLevel: 'error',
    });
    return { file, cleanup: () => rm(dir, { recursive: true, force: true }) };
  })();
  return bundle;
}

export async function cleanupScenes(): Promise<void> {
  if (bundle !== undefined) await (await bundle).cleanup();
  bundle = undefined;
}

export async function runCodexScene(
  scene: Omit<CodexScene, 'cli'>,
): Promise<CodexSceneOutcome & { report?: DoctorReport }> {
  const { file } = await sceneBundle();
  const full: CodexScene = {
    args: ['--json'],
    ...scene,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NO_COLOR: '1',
      BROWSER: 'none',
      ...CLEAN_ENV,
      CODEX_CA_CERTIFICATE: undefined,
      ...scene.env,
    },
    cli: CLI,
  };
  const child = spawn(
    'unshare',
    ['-n', 'bash', '-c', 'ip link set lo up && exec "$0" "$1"', process.execPath, file],
    {
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  child.stdin.end(JSON.stringify(full));
  const code = await new Promise<number | null>((done) => child.on('close', done));
  if (code !== 0) throw new Error(`the scene failed (exit ${code}):\n${stderr}`);
  const outcome = JSON.parse(stdout) as CodexSceneOutcome;
  let report: DoctorReport | undefined;
  try {
    report = JSON.parse(outcome.stdout) as DoctorReport;
  } catch {
    report = undefined;
  }
  return { ...outcome, ...(report === undefined ? {} : { report }) };
}
