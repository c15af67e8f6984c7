// bench/doctor: wall time of `keyturn doctor` (the built CLI, as a user runs it)
// - healthy: against the embedded issuer (`keyturn dev-issuer --port 0`), goal <= 1 s;
// - silent: against a local server that accepts connections and never answers, goal <= --timeout + 1 s.
// Loopback only. Runs standalone (`node bench/doctor.mjs [--n RUNS]`, after `npm run build`) and prints its figures;
// with --json, one JSON document on stdout for bench/run.mjs.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';

const CLI = resolve(import.meta.dirname, '../dist/cli.js');
const nAt = process.argv.indexOf('--n');
const RUNS = Number(nAt >= 0 ? process.argv[nAt + 1] : (process.env.BENCH_RUNS ?? 5));
const TIMEOUT_S = 2;
// This benchmark's own fixed redirect port (the doctor checks it is free).
const REDIRECT_URI = 'http://127.0.0.1:18480/auth/callback';

const env = { ...process.env, NO_COLOR: '1', BROWSER: 'none', KEYTURN_STORE: 'file' };
for (const name of ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'NO_PROXY', 'no_proxy'])
  delete env[name];

function startIssuer() {
  const child = spawn(process.execPath, [CLI, 'dev-issuer', '--port', '0', '--json'], {
    env,
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  return new Promise((resolvePromise, reject) => {
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      try {
        resolvePromise({ child, issuer: JSON.parse(out).issuer });
      } catch {
        // not the whole document yet
      }
    });
    child.once('exit', (code) => reject(new Error(`dev-issuer exited with ${code}`)));
  });
}

function startSilentServer() {
  const sockets = new Set();
  const server = createServer((socket) => sockets.add(socket));
  return new Promise((resolvePromise) =>
    server.listen(0, '127.0.0.1', () =>
      resolvePromise({
        url: `http://127.0.0.1:${server.address().port}`,
        close: () => {
          for (const socket of sockets) socket.destroy();
          return new Promise((r) => server.close(r));
        },
      }),
    ),
  );
}

async function timeDoctor(issuer, home, extra = []) {
  const args = [
    CLI,
    'doctor',
    '--json',
    '--issuer',
    issuer,
    '--client-id',
    'keyturn-demo',
    '--redirect-uri',
    REDIRECT_URI,
    ...extra,
  ];
  const started = performance.now();
  const code = await new Promise((resolvePromise) => {
    const child = spawn(process.execPath, args, { env: { ...env, KEYTURN_HOME: home }, stdio: 'ignore' });
    child.once('exit', resolvePromise);
  });
  return { ms: performance.now() - started, code };
}

function stats(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return {
    median_ms: Math.round(at(0.5)),
    max_ms: Math.round(sorted[sorted.length - 1]),
    runs: sorted.length,
  };
}

const home = await mkdtemp(join(tmpdir(), 'keyturn-bench-doctor-'));
const { child: issuerProcess, issuer } = await startIssuer();
const silent = await startSilentServer();
try {
  await timeDoctor(issuer, home); // warm the file cache
  const healthy = [];
  for (let i = 0; i < RUNS; i++) {
    const run = await timeDoctor(issuer, home);
    if (run.code !== 0) throw new Error(`healthy doctor exited ${run.code}`);
    healthy.push(run.ms);
  }
  const hanging = [];
  for (let i = 0; i < Math.min(RUNS, 3); i++) {
    hanging.push((await timeDoctor(silent.url, home, ['--timeout', String(TIMEOUT_S)])).ms);
  }
  const results = {
    healthy: { ...stats(healthy), goal_ms: 1000 },
    silent_server: { ...stats(hanging), timeout_s: TIMEOUT_S, goal_ms: (TIMEOUT_S + 1) * 1000 },
  };
  if (process.argv.includes('--json')) console.log(JSON.stringify({ doctor: results }, null, 2));
  else {
    for (const [name, r] of Object.entries(results)) {
      const verdict = r.max_ms <= r.goal_ms ? 'within goal' : 'OVER GOAL';
      console.log(
        `doctor ${name}: median ${r.median_ms} ms, max ${r.max_ms} ms over ${r.runs} runs (goal <= ${r.goal_ms} ms: ${verdict})`,
      );
    }
  }
} finally {
  issuerProcess.kill();
  await silent.close();
  await rm(home, { recursive: true, force: true });
}
