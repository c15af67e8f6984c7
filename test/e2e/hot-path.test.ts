import { execFile, spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { acquire } from '../../src/adapters/lock.js';
import { markerFor } from '../../src/adapters/keyring-marker.js';
import type { Credentials, OAuthCredentials } from '../../src/core/credentials.js';
import { CLI, tempHome } from '../helpers/cli.js';
import { startKeyringSession, type KeyringSession } from '../helpers/keyring-session.js';

const run = promisify(execFile);
const TRACER = resolve(import.meta.dirname, '../helpers/trace-modules.cjs');
const ROOT = resolve(import.meta.dirname, '../..');

/**
 * `keyturn token` runs before every API call of the tools that embed it. With a valid cached token it
 * must load nothing but the executable itself (and the TOML parser when there is a config file):
 * not the OAuth library, the HTTP stack, commander, the issuer, nor Node's ESM loader.
 */
const ALLOWED_FILES = [
  /dist\/keyturn\.cjs$/,
  /node_modules\/smol-toml\/dist\/index\.cjs$/,
  /trace-modules\.cjs$/,
  // What the keyring read (cli/launcher-keyring.ts), a due token's wait (cli/launcher-lock.ts) and
  // `status` (cli/launcher-extras.ts) need: a valid token in auth.json loads none (asserted below).
  /dist\/keyturn-extras\.cjs$/,
  /dist\/keyturn-keyring\.cjs$/,
  /dist\/keyturn-lock\.cjs$/,
];
const EXTRAS = /dist\/keyturn-(extras|keyring|lock)\.cjs$/;
// (`net` is not listed: Node loads it itself when stderr is a pipe, for the waiting notice, and the
// keyring read talks to the bus over a socket. The token itself is written without it: see below.)
const FORBIDDEN_BUILTINS = [
  'internal/modules/esm/loader',
  'http',
  'https',
  'tls',
  'crypto',
  'child_process',
  'worker_threads',
];

/** An id token as the fast path sees it: only its `exp` is read (never verified: it is our own). */
function idToken(exp: number): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'RS256' })}.${part({ iss: 'https://id.example.invalid', exp })}.c2ln`;
}

let home: string;
let cleanup: () => Promise<void>;

beforeEach(async () => {
  ({ home, cleanup } = await tempHome());
  const credentials = {
    kind: 'oauth',
    issuer: 'https://id.example.invalid',
    client_id: 'hot-path-client',
    access_token: 'hot-path-access-token',
    token_type: 'Bearer',
    expires_at: Math.floor(Date.now() / 1000) + 3600,
    obtained_at: Math.floor(Date.now() / 1000),
    refresh_token: 'hot-path-refresh-token',
    id_token: idToken(Math.floor(Date.now() / 1000) + 3600),
  };
  await writeFile(
    join(home, 'auth.json'),
    JSON.stringify({ version: 1, profiles: { default: credentials } }),
    {
      mode: 0o600,
    },
  );
});

afterEach(async () => cleanup());

async function trace(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ stdout: string; files: string[]; builtins: string[] }> {
  const out = join(home, 'trace.json');
  const { stdout } = await run(process.execPath, ['-r', TRACER, CLI, ...args], {
    env: { ...process.env, KEYTURN_HOME: home, KEYTURN_TRACE_OUT: out, ...env },
  });
  const traced = JSON.parse(await readFile(out, 'utf8')) as { files: string[]; builtins: string[] };
  return { stdout, ...traced };
}

function unexpected(traced: { files: string[]; builtins: string[] }): string[] {
  const files = traced.files
    .map((f) => f.replace(`${ROOT}/`, ''))
    .filter((f) => !ALLOWED_FILES.some((allowed) => allowed.test(f)));
  const builtins = traced.builtins
    .map((m) => m.replace(/^NativeModule /, ''))
    .filter((m) => FORBIDDEN_BUILTINS.includes(m));
  return [...files, ...builtins];
}

describe('the `keyturn token` hot path', () => {
  it('answers a valid cached token loading only allowed modules', async () => {
    const traced = await trace(['token']);
    expect(traced.stdout).toBe('hot-path-access-token\n');
    expect(unexpected(traced)).toEqual([]);
    expect(traced.files.filter((f) => EXTRAS.test(f))).toEqual([]);
    // Written to the pipe with write(2) (cli/write-out.ts): process.stdout's first use on a pipe
    // builds a net.Socket, which loads `net` and the stream modules (about 4 ms of CPU).
    expect(traced.builtins).not.toContain('NativeModule net');
  });

  it('says nothing when its reader has gone (`keyturn token | head -c 0`): no EPIPE stack trace', async () => {
    // The fast path, and the full CLI (`--help`, which commander writes).
    for (const args of [['token'], ['--help']]) {
      const child = spawn(process.execPath, [CLI, ...args], {
        env: { ...process.env, KEYTURN_HOME: home },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      // The reading end closes before the child has started: its write finds no reader.
      child.stdout.destroy();
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      const code = await new Promise((resolve) => child.on('close', resolve));
      expect(stderr, args.join(' ')).toBe('');
      expect(code, args.join(' ')).toBe(0);
    }
  });

  it('stays within the allow-list with a config file and --json', async () => {
    await writeFile(
      join(home, 'config.toml'),
      '[profiles.default]\nissuer = "https://id.example.invalid"\nclient_id = "hot-path-client"\n',
    );
    const traced = await trace(['token', '--json', '--min-ttl', '30']);
    expect(JSON.parse(traced.stdout)).toMatchObject({
      access_token: 'hot-path-access-token',
      token_type: 'Bearer',
    });
    expect(traced.files.some((f) => f.includes('smol-toml'))).toBe(true);
    expect(unexpected(traced)).toEqual([]);
  });

  it('leaves an expired token to the full CLI, which loads the refresh machinery', async () => {
    // The token has expired: the fast path must not answer; the full CLI tries to refresh (and fails:
    // the issuer does not resolve). Proof that the allow-list assertions above can fail.
    const auth = JSON.parse(await readFile(join(home, 'auth.json'), 'utf8')) as {
      profiles: { default: { expires_at: number } };
    };
    auth.profiles.default.expires_at = Math.floor(Date.now() / 1000) - 10;
    await writeFile(join(home, 'auth.json'), JSON.stringify(auth), { mode: 0o600 });
    const traced = await trace(['token']).catch((error: { stdout: string }) => error);
    expect('stdout' in traced ? traced.stdout : '').not.toContain('hot-path-access-token');
    const out = JSON.parse(await readFile(join(home, 'trace.json'), 'utf8')) as {
      files: string[];
      builtins: string[];
    };
    expect(unexpected(out).length).toBeGreaterThan(0);
  });

  it('waits for another process refreshing a due token, then serves what it stored, taking nothing itself', async () => {
    const file = join(home, 'auth.json');
    const auth = JSON.parse(await readFile(file, 'utf8')) as { profiles: { default: OAuthCredentials } };
    const now = Math.floor(Date.now() / 1000);
    auth.profiles.default = { ...auth.profiles.default, expires_at: now + 5, obtained_at: now - 3600 };
    await writeFile(file, JSON.stringify(auth), { mode: 0o600 });
    // This test process is the refresher: it holds the profile's refresh lock.
    const release = await acquire(join(home, 'refresh-default.lock'));
    const out = join(home, 'trace.json');
    const waiter = run(process.execPath, ['-r', TRACER, CLI, 'token'], {
      env: { ...process.env, KEYTURN_HOME: home, KEYTURN_TRACE_OUT: out },
    });
    // Long enough for the waiter to say whom it waits for (after 1.5 s).
    await new Promise((resolve) => setTimeout(resolve, 1800));
    auth.profiles.default = {
      ...auth.profiles.default,
      access_token: 'refreshed-access-token',
      expires_at: now + 3600,
      obtained_at: now,
    };
    await writeFile(file, JSON.stringify(auth), { mode: 0o600 });
    await release();

    const { stdout, stderr } = await waiter;
    expect(stdout).toBe('refreshed-access-token\n');
    expect(stderr).toContain(
      `waiting for pid ${process.pid}, which is refreshing the token of profile "default"`,
    );
    const traced = JSON.parse(await readFile(out, 'utf8')) as { files: string[]; builtins: string[] };
    expect(unexpected(traced)).toEqual([]);
    // It looked at the lock, and never took it: the lock's release came with the token stored, which
    // is served as it is (taking the lock draws a nonce through Web Crypto and writes a draft).
    expect(traced.files.some((f) => f.endsWith('dist/keyturn-lock.cjs'))).toBe(true);
    expect(traced.builtins).not.toContain('NativeModule internal/crypto/webcrypto');
  });
});

describe('the `keyturn credential kubectl` hot path (kubectl runs it before its requests)', () => {
  it('answers an ExecCredential with the cached id token, loading only allowed modules', async () => {
    const info =
      '{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","spec":{"interactive":false}}';
    const traced = await trace(['credential', 'kubectl'], { KUBERNETES_EXEC_INFO: info });
    const answer = JSON.parse(traced.stdout) as { apiVersion: string; status: { token: string } };
    expect(answer.apiVersion).toBe('client.authentication.k8s.io/v1');
    const stored = JSON.parse(await readFile(join(home, 'auth.json'), 'utf8')) as {
      profiles: { default: { id_token: string } };
    };
    expect(answer.status.token).toBe(stored.profiles.default.id_token);
    expect(unexpected(traced)).toEqual([]);
    expect(traced.builtins).not.toContain('NativeModule net');
  });

  it('--access-token and v1beta1 stay within the allow-list too', async () => {
    const traced = await trace(['credential', 'kubectl', '--access-token', '--min-ttl', '30']);
    expect(JSON.parse(traced.stdout)).toMatchObject({
      apiVersion: 'client.authentication.k8s.io/v1beta1',
      status: { token: 'hot-path-access-token' },
    });
    expect(unexpected(traced)).toEqual([]);
  });

  it('leaves an id token about to expire to the full CLI (which loads the refresh machinery)', async () => {
    const auth = JSON.parse(await readFile(join(home, 'auth.json'), 'utf8')) as {
      profiles: { default: { id_token: string } };
    };
    auth.profiles.default.id_token = idToken(Math.floor(Date.now() / 1000) + 30);
    await writeFile(join(home, 'auth.json'), JSON.stringify(auth), { mode: 0o600 });
    const traced = await trace(['credential', 'kubectl']).catch((error: { stdout: string }) => error);
    expect('stdout' in traced ? traced.stdout : '').toBe('');
    const out = JSON.parse(await readFile(join(home, 'trace.json'), 'utf8')) as {
      files: string[];
      builtins: string[];
    };
    expect(unexpected(out).length).toBeGreaterThan(0);
  });
});

describe('the `keyturn status` fast path', () => {
  const FULL_CLI = resolve(ROOT, 'dist/cli.js');

  /** The same command through the launcher and through the full CLI (dist/cli.js, no fast path). */
  async function both(args: string[], env: Record<string, string>) {
    const runOne = async (entry: string) => {
      const out = join(home, `trace-${entry.endsWith('.cjs') ? 'fast' : 'full'}.json`);
      const result = await run(process.execPath, ['-r', TRACER, entry, ...args], {
        env: { ...process.env, KEYTURN_HOME: home, KEYTURN_TRACE_OUT: out, NO_COLOR: '1', ...env },
      }).then(
        (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
        (e: { code: number; stdout: string; stderr: string }) => ({
          code: e.code,
          stdout: e.stdout,
          stderr: e.stderr,
        }),
      );
      const traced = JSON.parse(await readFile(out, 'utf8')) as { files: string[]; builtins: string[] };
      return { ...result, traced };
    };
    return { fast: await runOne(CLI), full: await runOne(FULL_CLI) };
  }

  /** The two runs are a second apart at most: what counts the seconds left may differ by one. */
  function sameSecond(text: string): string {
    return text
      .replace(/"expires_in": -?\d+/g, '"expires_in": N')
      .replace(/(valid for|expired) [^(]+\(/g, '$1 N (');
  }

  async function edit(change: (entry: Record<string, unknown>) => void): Promise<void> {
    const auth = JSON.parse(await readFile(join(home, 'auth.json'), 'utf8')) as {
      profiles: { default: Record<string, unknown> };
    };
    change(auth.profiles.default);
    await writeFile(join(home, 'auth.json'), JSON.stringify(auth), { mode: 0o600 });
  }

  const scenes: [string, (entry: Record<string, unknown>) => void][] = [
    ['a valid sign-in', () => undefined],
    ['an expired token with a refresh token', (e) => (e.expires_at = Math.floor(Date.now() / 1000) - 60)],
    [
      'a dead sign-in',
      (e) =>
        (e.refresh_dead = {
          code: 'refresh_rejected',
          message: 'The refresh token was revoked.',
          fix: 'Sign in again.',
        }),
    ],
    [
      'claims with control characters (from the provider)',
      (e) =>
        (e.claims = { sub: 'u1', name: 'Eve\u001b]0;pwned\u0007\u001b[2J', email: 'eve@example.invalid' }),
    ],
    [
      'an API key',
      (e) => {
        for (const key of Object.keys(e)) delete e[key];
        Object.assign(e, {
          kind: 'api_key',
          api_key: 'sk-hot-path-0123456789',
          obtained_at: 1,
          issuer: 'https://id.example.invalid',
          client_id: 'hot-path-client',
        });
      },
    ],
  ];

  for (const [scene, change] of scenes) {
    it(`says what the full CLI says, loading only allowed modules: ${scene}`, async () => {
      await edit(change);
      for (const args of [['status'], ['status', '--json']]) {
        const { fast, full } = await both(args, { KEYTURN_STORE: 'file' });
        expect({ code: fast.code, stdout: sameSecond(fast.stdout) }).toEqual({
          code: full.code,
          stdout: sameSecond(full.stdout),
        });
        expect(fast.stdout).not.toContain('\u001b');
        expect(fast.stdout).not.toContain('hot-path-access-token');
        expect(unexpected(fast.traced)).toEqual([]);
        expect(unexpected(full.traced).length).toBeGreaterThan(0);
      }
    });
  }

  it('with store = "auto" and no usable keyring remembered, names the reason like the full CLI', async () => {
    const env = { KEYTURN_STORE: 'auto', DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/bus' };
    // The full CLI probes once and remembers the verdict; the launcher reads it.
    const first = await both(['status'], env);
    expect(first.full.stdout).toContain('auto: the OS keyring (Secret Service) is not usable here');
    const { fast, full } = await both(['status'], env);
    expect({ code: fast.code, stdout: sameSecond(fast.stdout) }).toEqual({
      code: full.code,
      stdout: sameSecond(full.stdout),
    });
    expect(unexpected(fast.traced)).toEqual([]);
  });

  it('leaves `status` to the full CLI where it would ask the keyring (store = "auto", nothing remembered)', async () => {
    const { fast } = await both(['status'], { KEYTURN_STORE: 'auto', DBUS_SESSION_BUS_ADDRESS: '' });
    expect(unexpected(fast.traced).length).toBeGreaterThan(0);
  });
});

describe('the keyring `token` hot path (store = "keyring", a real Secret Service)', () => {
  let session: KeyringSession;
  beforeAll(async () => {
    session = await startKeyringSession();
  });
  afterAll(async () => session?.close());

  /** The profile's credentials in the keyring, its marker in auth.json, as the keyring store writes them. */
  async function inKeyring(credentials: Credentials, secret: Credentials = credentials): Promise<void> {
    const service = `keyturn:${home}`;
    await session.store(service, 'default', JSON.stringify(secret));
    const doc = { version: 1, profiles: { default: markerFor(credentials, service, 'default') } };
    await writeFile(join(home, 'auth.json'), JSON.stringify(doc), { mode: 0o600 });
  }

  const keyringEnv = () => ({ ...session.env, KEYTURN_STORE: 'keyring' });

  it('reads the secret over the session bus: no native module, no child process, no full CLI', async () => {
    const stored = JSON.parse(await readFile(join(home, 'auth.json'), 'utf8')) as {
      profiles: { default: Credentials };
    };
    await inKeyring(stored.profiles.default);
    const traced = await trace(['token'], keyringEnv());
    expect(traced.stdout).toBe('hot-path-access-token\n');
    expect(unexpected(traced)).toEqual([]);
    expect(traced.files.some((f) => f.includes('@napi-rs/keyring'))).toBe(false);
    // The keyring read alone: not the lock, status or the error printer.
    expect(traced.files.filter((f) => /dist\/keyturn-(extras|lock)\.cjs$/.test(f))).toEqual([]);

    const kubectl = await trace(['credential', 'kubectl'], keyringEnv());
    const signedIn = stored.profiles.default as OAuthCredentials;
    expect(JSON.parse(kubectl.stdout)).toMatchObject({ status: { token: signedIn.id_token } });
    expect(unexpected(kubectl)).toEqual([]);
  });

  it('leaves a secret that does not match its marker in auth.json to the full CLI', async () => {
    const stored = JSON.parse(await readFile(join(home, 'auth.json'), 'utf8')) as {
      profiles: { default: Credentials };
    };
    // A sign-in half written (the secret of a newer one beside the marker of the old): not served here.
    const newer = { ...stored.profiles.default, obtained_at: stored.profiles.default.obtained_at + 1 };
    await inKeyring(stored.profiles.default, newer);
    const traced = await trace(['token'], keyringEnv()).catch((error: { stdout: string }) => error);
    const out = JSON.parse(await readFile(join(home, 'trace.json'), 'utf8')) as {
      files: string[];
      builtins: string[];
    };
    expect(unexpected(out)).toContain('internal/modules/esm/loader');
    expect('stdout' in traced ? traced.stdout : '').toBe('hot-path-access-token\n');
  });
});
