// Runs inside `dbus-run-session` (bench/token-hotpath.mjs starts it): a private session bus with
// gnome-keyring-daemon unlocked on it, an API key stored in the keyring by `keyturn login --api-key`,
// then `keyturn token` (store = keyring) against `node -e 0`, alternately. Prints one JSON line.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KEYTURN, alternate, arg, median } from './measure.mjs';

const runs = Number(arg('runs', '20'));
const KEY = 'bench-api-key-0123456789abcdef';
const root = mkdtempSync(join(tmpdir(), 'keyturn-bench-keyring-'));
const runtime = join(root, 'run');
mkdirSync(runtime, { mode: 0o700 });
const env = {
  ...process.env,
  HOME: root,
  XDG_RUNTIME_DIR: runtime,
  XDG_DATA_HOME: join(root, 'data'),
  XDG_CONFIG_HOME: join(root, 'config'),
  KEYTURN_HOME: join(root, 'keyturn'),
  KEYTURN_STORE: 'keyring',
  NO_COLOR: '1',
};
const daemon = spawn('gnome-keyring-daemon', ['--foreground', '--unlock', '--components=secrets'], {
  env,
  stdio: ['pipe', 'ignore', 'ignore'],
});
// The password must reach the daemon before the first (blocking) spawnSync below.
await new Promise((resolve) => daemon.stdin.end('keyturn-bench-keyring\n', resolve));
try {
  // Ready when `login --api-key` can store the key in the keyring.
  const deadline = Date.now() + 20_000;
  for (;;) {
    const login = spawnSync(
      process.execPath,
      [KEYTURN, 'login', '--api-key', '--issuer', 'https://id.example.invalid', '--client-id', 'bench'],
      { env, input: KEY, encoding: 'utf8' },
    );
    if (login.status === 0) break;
    if (Date.now() > deadline) throw new Error(`the keyring did not become usable: ${login.stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  // What is timed must be the answer itself, on the hot path: the key on stdout, and Node's ESM loader
  // (the full CLI) never loaded (test/helpers/trace-modules.cjs lists what the process loaded).
  const traceOut = join(root, 'trace.json');
  const tracer = join(import.meta.dirname, '../../test/helpers/trace-modules.cjs');
  const once = spawnSync(process.execPath, ['-r', tracer, KEYTURN, 'token'], {
    env: { ...env, KEYTURN_TRACE_OUT: traceOut },
    encoding: 'utf8',
  });
  if (once.stdout !== `${KEY}\n`) throw new Error(`keyturn token did not answer the key: ${once.stderr}`);
  const loaded = JSON.parse(readFileSync(traceOut, 'utf8'));
  const hot = !loaded.builtins.some((m) => m.endsWith('internal/modules/esm/loader'));

  const commands = [
    { name: 'node -e 0', args: ['-e', '0'] },
    { name: 'keyturn token', args: [KEYTURN, 'token'] },
  ];
  const { times } = alternate(commands, runs, env);
  process.stdout.write(`${JSON.stringify({ node: median(times[0]), token: median(times[1]), hot })}\n`);
} finally {
  daemon.kill('SIGTERM');
  rmSync(root, { recursive: true, force: true });
}
