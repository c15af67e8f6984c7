/**
 * Runs one `keyturn doctor --codex` scene inside a private network namespace (see codex-scene.ts):
 * the stand-in of auth.openai.com, the processes that hold Codex's callback ports under the names a
 * user meets (`wslrelay.exe`, `codex`, …), then the real CLI. Reads the scene as JSON on stdin and
 * prints the outcome as JSON on stdout. Bundled by esbuild, run by plain node: no test runner here.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startOpenAiStandIn, type OpenAiStandInOptions } from '../providers/openai.js';
import type { CodexScene, CodexSceneOutcome } from './codex-scene.js';

async function readStdin(): Promise<string> {
  let text = '';
  for await (const chunk of process.stdin) text += String(chunk);
  return text;
}

/** A process named `name` (its /proc comm) listening on 127.0.0.1:port, as the real holder would. */
async function holdPort(dir: string, name: string, port: number): Promise<ChildProcess> {
  const exe = join(dir, name);
  await symlink(process.execPath, exe);
  const child = spawn(
    exe,
    ['-e', `require('net').createServer().listen(${port}, '127.0.0.1', () => console.log('ready'))`],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise<void>((resolve, reject) => {
    child.stdout?.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`${name} exited (${code}) before listening on ${port}`)));
  });
  return child;
}

function run(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function main(): Promise<void> {
  const scene = JSON.parse(await readStdin()) as CodexScene;
  const dir = await mkdtemp(join(tmpdir(), 'kt-scene-'));
  const holders: ChildProcess[] = [];
  const standInOptions: OpenAiStandInOptions = {
    ...(scene.block === undefined ? {} : { block: scene.block }),
    ...(scene.tls === undefined
      ? {}
      : {
          tls: {
            key: await readFile(scene.tls.keyPath, 'utf8'),
            cert: await readFile(scene.tls.certPath, 'utf8'),
          },
        }),
  };
  const standIn = await startOpenAiStandIn(standInOptions);
  try {
    for (const holder of scene.holders ?? []) holders.push(await holdPort(dir, holder.name, holder.port));
    const env: Record<string, string> = {};
    for (const [key, value] of Object.entries(scene.env)) if (value !== undefined) env[key] = value;
    const started = performance.now();
    const result = await run(
      [scene.cli, 'doctor', '--codex', '--issuer', scene.issuer ?? standIn.url, ...(scene.args ?? [])],
      env,
    );
    const outcome: CodexSceneOutcome = {
      ...result,
      ms: Math.round(performance.now() - started),
      requests: standIn.requests.map(({ method, path, body }) => ({ method, path, body })),
    };
    process.stdout.write(JSON.stringify(outcome));
  } finally {
    for (const holder of holders) holder.kill('SIGKILL');
    await standIn.close();
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(2);
});
