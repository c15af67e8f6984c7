import { spawn } from 'node:child_process';
import { chmod, mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileStore, parseAuthFile } from '../../src/adapters/file-store.js';
import { STORE_VERSION } from '../../src/core/store.js';
import { runCli, tempHome } from '../helpers/cli.js';
import { bundleForNode } from '../helpers/bundle.js';

/** The file store of SPEC.md: modes 0700/0600, atomic writes, a lock around every read-modify-write. */

const PAYLOAD = 64 * 1024;
let home: string;
let cleanup: () => Promise<void>;
let writer: string;

beforeAll(async () => {
  ({ home, cleanup } = await tempHome());
  // The writer child runs our TypeScript FileStore: bundle it beside node_modules so its imports resolve.
  writer = resolve(
    import.meta.dirname,
    '../../node_modules/.cache/keyturn-tests',
    `store-writer-${process.pid}.mjs`,
  );
  await bundleForNode(resolve(import.meta.dirname, '../helpers/store-writer.ts'), writer, {
    format: 'esm',
    packages: 'external',
  });
});

afterAll(async () => {
  await cleanup?.();
  if (writer !== undefined) await import('node:fs/promises').then(({ rm }) => rm(writer, { force: true }));
});

const mode = async (path: string) => (await stat(path)).mode & 0o777;

describe('file store permissions', () => {
  it('creates its folder 0700 and auth.json 0600', async () => {
    const path = join(home, 'fresh', 'nested', 'auth.json');
    await new FileStore(path).put('default', { kind: 'api_key', api_key: 'sk-test-123456', obtained_at: 1 });
    expect(await mode(join(home, 'fresh', 'nested'))).toBe(0o700);
    expect(await mode(path)).toBe(0o600);
  });

  it('makes an existing world-readable auth.json 0600 on the next write', async () => {
    const dir = join(home, 'existing');
    await mkdir(dir, { mode: 0o700 });
    const path = join(dir, 'auth.json');
    await writeFile(path, JSON.stringify({ version: STORE_VERSION, profiles: {} }));
    await chmod(path, 0o644);
    await new FileStore(path).put('default', { kind: 'api_key', api_key: 'sk-test-123456', obtained_at: 1 });
    expect(await mode(path)).toBe(0o600);
  });
});

describe('atomic writes', () => {
  it('leaves content that parses after every write, and keeps the other profiles', async () => {
    const path = join(home, 'atomic', 'auth.json');
    const store = new FileStore(path);
    await store.put('a', { kind: 'api_key', api_key: 'sk-a-123456', obtained_at: 1 });
    await store.put('b', { kind: 'api_key', api_key: 'sk-b-123456', obtained_at: 2 });
    const doc = parseAuthFile(await readFile(path, 'utf8'), path);
    expect(doc.version).toBe(STORE_VERSION);
    expect(Object.keys(doc.profiles).sort()).toEqual(['a', 'b']);
    expect(await store.delete('a')).toBe(true);
    expect(await store.delete('a')).toBe(false);
    expect(await store.get('b')).toMatchObject({ api_key: 'sk-b-123456' });
  });

  it('leaves the old or the new content when a writer is killed -9 at any moment (25 kills)', async () => {
    const path = join(home, 'killed', 'auth.json');
    let lastSeen = 0;
    for (let round = 0; round < 25; round++) {
      const child = spawn(
        process.execPath,
        [writer, path, 'default', String(PAYLOAD), String(lastSeen + 1)],
        {
          stdio: ['ignore', 'pipe', 'inherit'],
        },
      );
      let reported = 0;
      const exited = new Promise<void>((done) => child.once('exit', () => done()));
      await new Promise<void>((started, failed) => {
        child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
          reported = Number(chunk.trim().split('\n').pop());
          started();
        });
        child.once('exit', (code) => failed(new Error(`writer exited early (${code})`)));
      });
      // Kill at a different moment of the write cycle each round.
      await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 15)));
      child.kill('SIGKILL');
      await exited;

      const doc = parseAuthFile(await readFile(path, 'utf8'), path);
      const stored = doc.profiles.default;
      if (stored?.kind !== 'api_key') throw new Error('the profile vanished');
      // Whole, not torn: the key is exactly the one write number `obtained_at` wrote.
      expect(stored.api_key).toBe(`key-${stored.obtained_at}-${'x'.repeat(PAYLOAD)}`);
      // Not older than a write the child reported complete.
      expect(stored.obtained_at).toBeGreaterThanOrEqual(reported);
      expect(stored.obtained_at).toBeGreaterThanOrEqual(lastSeen);
      lastSeen = stored.obtained_at;
    }
    // A lock left by a killed writer does not block the next one.
    const store = new FileStore(path);
    await store.put('after', { kind: 'api_key', api_key: 'sk-after-123456', obtained_at: 1 });
    expect(await store.get('after')).toMatchObject({ api_key: 'sk-after-123456' });
    expect(await mode(path)).toBe(0o600);
    // Temporary files of killed writers hold secrets too: the next write removes them.
    const files = (await readdir(join(home, 'killed'), { withFileTypes: true }))
      .filter((entry) => entry.isFile())
      .map((entry) => entry.name);
    expect(files.filter((name) => /^auth\.json\.\d+$/.test(name))).toEqual([]);
    for (const name of files) expect(await mode(join(home, 'killed', name)), name).toBe(0o600);
  });
});

describe('damaged store', () => {
  it('reports store_unreadable for a file that is not JSON, and for an entry that is not credentials', async () => {
    const path = join(home, 'damaged', 'auth.json');
    await mkdir(join(home, 'damaged'), { mode: 0o700 });
    const store = new FileStore(path);
    const codeOf = (promise: Promise<unknown>) =>
      promise.then(
        () => 'ok',
        (error: { code?: string }) => error.code,
      );
    await writeFile(path, '{"version": 1, "prof');
    expect(await codeOf(store.get('default'))).toBe('store_unreadable');
    await writeFile(path, JSON.stringify({ version: 1, profiles: { default: 'sk-oops', other: null } }));
    expect(await codeOf(store.get('default'))).toBe('store_unreadable');
    expect(await codeOf(store.get('other'))).toBe('store_unreadable');
    expect(await store.get('constructor')).toBeUndefined();
    await writeFile(path, JSON.stringify({ version: 99, profiles: {} }));
    expect(await codeOf(store.get('default'))).toBe('store_unreadable');
  });
});

describe('several processes at once', () => {
  it('`keyturn login --api-key` for 8 profiles at once leaves valid JSON holding all 8', async () => {
    const dir = join(home, 'concurrent');
    await mkdir(dir, { mode: 0o700 });
    const names = Array.from({ length: 8 }, (_, i) => `p${i}`);
    await writeFile(
      join(dir, 'config.toml'),
      names.map((name) => `[profiles.${name}]\nstore = "file"\n`).join('\n'),
    );
    const results = await Promise.all(
      names.map((name) =>
        runCli(['login', '--api-key', '--profile', name], {
          env: { KEYTURN_HOME: dir },
          input: `sk-${name}-0123456789abcdef\n`,
        }),
      ),
    );
    for (const result of results) expect(result.code, result.stderr).toBe(0);
    const path = join(dir, 'auth.json');
    const doc = parseAuthFile(await readFile(path, 'utf8'), path);
    expect(Object.keys(doc.profiles).sort()).toEqual(names);
    for (const name of names) {
      expect(doc.profiles[name]).toMatchObject({ kind: 'api_key', api_key: `sk-${name}-0123456789abcdef` });
    }
    expect(await mode(path)).toBe(0o600);
    // The keys went from stdin to the store and nowhere else.
    for (const result of results) expect(result.stderr + result.stdout).not.toContain('0123456789abcdef');
  });
});

describe('the layout of auth.json', () => {
  it('rewrites a store of keyturn 0.1 (pretty-printed) one profile a line on the next write, keeping every profile', async () => {
    const dir = join(home, 'layout-migration');
    await mkdir(dir, { mode: 0o700 });
    const path = join(dir, 'auth.json');
    const old = {
      version: 1,
      profiles: {
        work: { kind: 'api_key', api_key: 'sk-work-0123456789', obtained_at: 1 },
        default: { kind: 'api_key', api_key: 'sk-default-0123456789', obtained_at: 2 },
      },
    };
    await writeFile(path, `${JSON.stringify(old, null, 2)}\n`, { mode: 0o600 });
    const store = new FileStore(path);
    expect(await store.get('work')).toEqual(old.profiles.work);
    await store.put('ci', { kind: 'api_key', api_key: 'sk-ci-0123456789', obtained_at: 3 });
    const text = await readFile(path, 'utf8');
    expect(text.split('\n')).toEqual([
      '{',
      '  "version": 1,',
      '  "profiles": {',
      `    "ci": ${JSON.stringify({ kind: 'api_key', api_key: 'sk-ci-0123456789', obtained_at: 3 })},`,
      `    "default": ${JSON.stringify(old.profiles.default)},`,
      `    "work": ${JSON.stringify(old.profiles.work)}`,
      '  }',
      '}',
      '',
    ]);
  });

  it('`keyturn token` serves the profile asked for from a store of 1,000 sign-ins, in either layout', async () => {
    const now = Math.floor(Date.now() / 1000);
    const profiles: Record<string, unknown> = {};
    for (let i = 0; i < 1000; i++) {
      profiles[`profile-${i}`] = {
        kind: 'oauth',
        issuer: 'https://id.example.invalid',
        client_id: 'many',
        access_token: `access-token-${i}-${'a'.repeat(900)}`,
        token_type: 'Bearer',
        expires_at: now + 3600,
        obtained_at: now,
      };
    }
    for (const [layout, text] of [
      ['keyturn 0.1', JSON.stringify({ version: 1, profiles }, null, 2)],
      [
        'one a line',
        (await import('../../src/core/store-layout.js')).formatAuthFile({ version: 1, profiles } as never),
      ],
    ] as const) {
      const dir = join(home, `many-${layout.replace(/\W/g, '')}`);
      await mkdir(dir, { mode: 0o700 });
      await writeFile(join(dir, 'auth.json'), text, { mode: 0o600 });
      for (const i of [0, 499, 999]) {
        const result = await runCli(['token', '--profile', `profile-${i}`], { env: { KEYTURN_HOME: dir } });
        expect({ layout, i, code: result.code, out: result.stdout }).toEqual({
          layout,
          i,
          code: 0,
          out: `access-token-${i}-${'a'.repeat(900)}\n`,
        });
      }
      const missing = await runCli(['token', '--profile', 'profile-1000'], { env: { KEYTURN_HOME: dir } });
      // No such sign-in (nor config): the full CLI says what is missing; no token is printed.
      expect(missing.code).not.toBe(0);
      expect(missing.stdout).toBe('');
    }
  });
});
