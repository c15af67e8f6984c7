/**
 * The credential folder is trusted no more than ssh trusts ~/.ssh, and config.toml's relative paths
 * mean files beside it: the built CLI and the file store, on real folders with real modes and owners.
 */
import { chmod, chown, lstat, mkdir, readFile, readdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileStore } from '../../src/adapters/file-store.js';
import { readConfigFile } from '../../src/adapters/config-file.js';
import { untrustedFolder } from '../../src/core/folder-trust.js';
import { runCli, tempHome } from '../helpers/cli.js';

const API_KEY = 'sk-trust-0123456789abcdefghijklmnop';
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

async function folder(): Promise<string> {
  const { home, cleanup } = await tempHome();
  cleanups.push(cleanup);
  return home;
}

const storeKey = (home: string) =>
  runCli(['login', '--api-key', '--issuer', 'https://id.invalid', '--client-id', 'c'], {
    env: { KEYTURN_HOME: home, KEYTURN_STORE: 'file' },
    input: `${API_KEY}\n`,
  });

describe('a credential folder others can write into, or own, is refused', () => {
  it('KEYTURN_HOME with mode 0777: `login --api-key` stores nothing there and says store_insecure', async () => {
    const home = await folder();
    await chmod(home, 0o777);
    const result = await storeKey(home);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`error[store_insecure]: The credential folder ${home} has mode 0777`);
    expect(result.stderr).toContain(`fix: \`chmod 700 ${home}\``);
    expect(await readdir(home)).toEqual([]);
  });

  it('a folder that became group-writable after sign-in: `token` (its fast path too) refuses to read it', async () => {
    const home = await folder();
    expect((await storeKey(home)).code).toBe(0);
    expect((await runCli(['token'], { env: { KEYTURN_HOME: home } })).stdout).toBe(`${API_KEY}\n`);
    await chmod(home, 0o770);
    const result = await runCli(['token'], { env: { KEYTURN_HOME: home } });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('error[store_insecure]');
  });

  it.runIf(process.getuid?.() === 0)(
    'a folder owned by another user is refused, even with mode 0700',
    async () => {
      const home = await folder();
      await chown(home, 65534, 65534);
      const result = await storeKey(home);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`is owned by another user (uid 65534)`);
    },
  );

  it('a folder keyturn creates itself is 0700 and used', async () => {
    const parent = await folder();
    const home = join(parent, 'new', 'keyturn');
    expect((await storeKey(home)).code).toBe(0);
    expect((await lstat(home)).mode & 0o777).toBe(0o700);
  });

  it('the rule: group/other write bits or another owner; read bits alone are no threat', () => {
    expect(untrustedFolder('/f', { mode: 0o40755, uid: 1000 }, 1000)).toBeUndefined();
    expect(untrustedFolder('/f', { mode: 0o40700, uid: 1000 }, 1000)).toBeUndefined();
    expect(untrustedFolder('/f', { mode: 0o40720, uid: 1000 }, 1000)?.code).toBe('store_insecure');
    expect(untrustedFolder('/f', { mode: 0o40702, uid: 1000 }, 1000)?.code).toBe('store_insecure');
    expect(untrustedFolder('/f', { mode: 0o41777, uid: 0 }, 1000)?.message).toContain('another user');
    expect(untrustedFolder('/f', { mode: 0o40700, uid: 0 }, 1000)?.evidence).toMatchObject({
      folder_uid: 0,
      own_uid: 1000,
    });
  });
});

describe('the atomic write never writes through a symlink', () => {
  it('auth.json replaced by a symlink to another file: the write replaces the link, the file is untouched', async () => {
    const home = await folder();
    // Another file of the user's, which happens to parse as a store: the write must not land in it.
    const elsewhere = join(await folder(), 'precious.json');
    const precious = `${JSON.stringify({ version: 1, profiles: {} })}\n`;
    await writeFile(elsewhere, precious);
    await symlink(elsewhere, join(home, 'auth.json'));
    const store = new FileStore(join(home, 'auth.json'));
    await store.put('default', { kind: 'api_key', api_key: API_KEY, obtained_at: 1 });
    expect(await readFile(elsewhere, 'utf8')).toBe(precious);
    const written = await lstat(join(home, 'auth.json'));
    expect(written.isSymbolicLink()).toBe(false);
    expect(written.mode & 0o777).toBe(0o600);
    expect((await store.get('default'))?.kind).toBe('api_key');
    // No temporary file left behind.
    expect(
      (await readdir(home)).filter((name) => name.startsWith('auth.json.') && name !== 'auth.json.lock'),
    ).toEqual([]);
  });
});

describe('relative paths in config.toml mean files beside it', () => {
  it('ca_file = "ca.pem" is the ca.pem beside config.toml, never one in the current folder', async () => {
    const home = await folder();
    await mkdir(join(home, 'certs'));
    await writeFile(
      join(home, 'config.toml'),
      [
        '[profiles.default]',
        'ca_file = "certs/ca.pem"',
        '[profiles.absolute]',
        'ca_file = "/etc/ssl/ca.pem"',
        '',
      ].join('\n'),
    );
    const config = await readConfigFile(join(home, 'config.toml'));
    expect(config.profiles?.default?.ca_file).toBe(join(home, 'certs', 'ca.pem'));
    expect(config.profiles?.absolute?.ca_file).toBe('/etc/ssl/ca.pem');
  });
});
