// Small measuring tools shared by the benchmarks: run a command, time it, take its peak RSS.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../..');
export const KEYTURN = join(ROOT, 'dist/keyturn.cjs');
const MAXRSS = join(import.meta.dirname, 'maxrss.cjs');

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** CPU ms used by this process's exited children (Linux /proc; 0 elsewhere), in 10 ms ticks. */
export function childrenCpuMs() {
  try {
    const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
    // cutime and cstime: fields 16 and 17 of stat(5), in clock ticks (100 Hz on Linux).
    return (Number(fields[13]) + Number(fields[14])) * 10;
  } catch {
    return 0;
  }
}

/** Runs `node ...args` once; returns wall ms. Throws on a non-zero exit. */
export function timeNode(args, env) {
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) {
    throw new Error(
      `node ${args.join(' ')} exited ${result.status}: ${result.stderr.toString().slice(0, 500)}`,
    );
  }
  return ms;
}

/** Peak RSS in MiB of `node ...args`, measured by a preload in the process itself. */
export function peakRss(args, env) {
  const dir = mkdtempSync(join(tmpdir(), 'keyturn-rss-'));
  const file = join(dir, 'rss');
  try {
    const result = spawnSync(process.execPath, ['-r', MAXRSS, ...args], {
      env: { ...env, KEYTURN_BENCH_RSS: file },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (result.status !== 0) throw new Error(`rss run exited ${result.status}`);
    return Number(readFileSync(file, 'utf8').trim().split('\n').pop()) / 1024;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Runs the commands alternately `runs` times each (after a warm-up), so all see the same machine.
 * A command's own `env` is laid over the shared one. `times`: each command's wall ms per run;
 * `cpu`: each command's mean CPU ms per run (user + system, its exited process), a steadier figure
 * than wall time on a shared machine.
 */
export function alternate(commands, runs, env) {
  const times = commands.map(() => []);
  const cpu = commands.map(() => 0);
  const envOf = (c) => (c.env === undefined ? env : { ...env, ...c.env });
  for (const c of commands) timeNode(c.args, envOf(c));
  for (let i = 0; i < runs; i++) {
    commands.forEach((c, k) => {
      const before = childrenCpuMs();
      times[k].push(timeNode(c.args, envOf(c)));
      cpu[k] += (childrenCpuMs() - before) / runs;
    });
  }
  return { times, cpu };
}

export function arg(name, fallback) {
  const index = process.argv.indexOf(`--${name}`);
  return index > 0 && process.argv[index + 1] !== undefined ? process.argv[index + 1] : fallback;
}

/**
 * A KEYTURN_HOME holding a valid cached sign-in of the default profile (an hour left), for the hot-path
 * benchmarks; `extra` adds fields (an id token). The caller removes the folder.
 */
export function cachedSignInHome(prefix, extra = {}, count = 1) {
  const home = mkdtempSync(join(tmpdir(), prefix));
  const now = Math.floor(Date.now() / 1000);
  const profiles = {
    default: {
      kind: 'oauth',
      issuer: 'https://id.example.invalid',
      client_id: 'bench',
      access_token: 'bench-access-token',
      token_type: 'Bearer',
      expires_at: now + 3600,
      refresh_token: 'bench-refresh-token',
      obtained_at: now,
      claims: { sub: 'bench-user' },
      ...extra,
    },
  };
  // Other sign-ins of realistic size (JWT access and id tokens): about 2.2 KiB each in auth.json.
  for (let i = 1; i < count; i++) {
    profiles[`profile-${i}`] = {
      ...profiles.default,
      access_token: `bench-access-token-${i}-${'a'.repeat(900)}`,
      refresh_token: `bench-refresh-token-${i}-${'r'.repeat(400)}`,
      id_token: `bench-id-token-${i}-${'i'.repeat(700)}`,
      claims: { sub: `bench-user-${i}`, email: `user${i}@example.invalid` },
    };
  }
  writeFileSync(join(home, 'auth.json'), JSON.stringify({ version: 1, profiles }), { mode: 0o600 });
  if (count > 1) {
    // As a user's store would be: written by an older keyturn, then laid out anew by this one's next
    // write (one profile a line, core/store-layout.ts) — here a sign-in with an API key.
    const login = spawnSync(
      process.execPath,
      [
        KEYTURN,
        'login',
        '--api-key',
        '--profile',
        'zz-bench',
        '--issuer',
        'https://id.example.invalid',
        '--client-id',
        'bench',
      ],
      {
        env: { ...process.env, KEYTURN_HOME: home, KEYTURN_STORE: 'file' },
        input: 'bench-api-key-0123456789',
        encoding: 'utf8',
      },
    );
    if (login.status !== 0) throw new Error(`login --api-key failed: ${login.stderr}`);
  }
  return home;
}
