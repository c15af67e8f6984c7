import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLI, tempHome } from '../helpers/cli.js';

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
];
// (`net` is not listed: Node loads it itself when stdout is a pipe.)
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
