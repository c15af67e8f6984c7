import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startIssuer, type RunningIssuer } from '../../src/issuer/index.js';
import { launchBrowser, signInInBrowser } from '../helpers/browser.js';
import { runCli, startCli, tempHome, URL_LINE } from '../helpers/cli.js';
import {
  startKeyringSession,
  startSilentBus,
  startStalledBus,
  type KeyringSession,
} from '../helpers/keyring-session.js';
import { userinfoStatus } from '../helpers/userinfo.js';
import { traceProcesses } from '../helpers/module-trace.js';
import { KeyringClient } from '../../src/adapters/keyring-client.js';
import { lookupSecret } from '../../src/adapters/keyring-secret-service.js';
import { BusConnection, sessionBusSockets } from '../../src/adapters/dbus.js';

// Fixed port range of this file: 18490-18499.
const REDIRECT_URI = 'http://127.0.0.1:18490/auth/callback';
const API_KEY = 'sk-keyring-0123456789abcdefghij';

let issuer: RunningIssuer;
let session: KeyringSession;
let browser: Browser;

beforeAll(async () => {
  [issuer, session, browser] = await Promise.all([
    startIssuer({ port: 0 }),
    startKeyringSession(),
    launchBrowser(),
  ]);
});

afterAll(async () => {
  await browser?.close();
  await session?.close();
  await issuer?.close();
});

/** KEYTURN_HOME gets its own keyring service, so entries of parallel tests never meet. */
const serviceOf = (home: string) => `keyturn:${home}`;

/** No D-Bus session at all: the variables a headless SSH login has not. */
const NO_SESSION = { DBUS_SESSION_BUS_ADDRESS: undefined, XDG_RUNTIME_DIR: undefined };

async function filesUnder(dir: string): Promise<{ path: string; text: string }[]> {
  const found: { path: string; text: string }[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...(await filesUnder(path)));
    else found.push({ path, text: await readFile(path, 'utf8') });
  }
  return found;
}

/** Names the files that contain any of the secrets (never the secrets themselves). */
async function filesHolding(dir: string, secrets: string[]): Promise<string[]> {
  const files = await filesUnder(dir);
  return files.filter((f) => secrets.some((s) => f.text.includes(s))).map((f) => f.path);
}

async function authFile(home: string): Promise<{ profiles: Record<string, Record<string, unknown>> }> {
  return JSON.parse(await readFile(join(home, 'auth.json'), 'utf8')) as {
    profiles: Record<string, Record<string, unknown>>;
  };
}

/**
 * The command lines of the processes `pid` starts while it runs (Linux /proc, polled closely). Each
 * child is read on every poll: right after the fork it still shows the parent's command line.
 */
async function commandLinesOfChildren(pid: number, done: Promise<unknown>): Promise<string[]> {
  const seen = new Set<string>();
  let exited = false;
  void done.then(() => (exited = true));
  while (!exited) {
    const tasks = await readdir(`/proc/${pid}/task`).catch(() => [] as string[]);
    for (const task of tasks) {
      const children = await readFile(`/proc/${pid}/task/${task}/children`, 'utf8').catch(() => '');
      for (const child of children.split(' ').filter((c) => c !== '')) {
        const argv = await readFile(`/proc/${child}/cmdline`, 'utf8').catch(() => undefined);
        if (argv !== undefined) seen.add(argv.split('\0').join(' '));
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  return [...seen];
}

async function keyringCredentials(home: string): Promise<Record<string, unknown> | undefined> {
  const entries = await session.entries(serviceOf(home));
  const entry = entries.find((e) => e.account === 'default');
  return entry === undefined ? undefined : (JSON.parse(entry.password) as Record<string, unknown>);
}

describe('the keyring store with a real Secret Service', () => {
  it('keeps an API key in the keyring, none in KEYTURN_HOME; token, status and logout go through it', async () => {
    const { home, cleanup } = await tempHome();
    const env = { KEYTURN_HOME: home, KEYTURN_STORE: 'keyring', ...session.env };
    try {
      const login = await runCli(['login', '--api-key'], { env, input: `${API_KEY}\n` });
      expect(login.code, login.stderr).toBe(0);
      expect((await keyringCredentials(home))?.api_key).toBe(API_KEY);
      expect(await filesHolding(home, [API_KEY])).toEqual([]);
      expect((await authFile(home)).profiles.default).toMatchObject({ store: 'keyring', kind: 'api_key' });

      const token = await runCli(['token'], { env });
      expect(token.code, token.stderr).toBe(0);
      expect(token.stdout).toBe(`${API_KEY}\n`);

      const status = await runCli(['status', '--json'], { env });
      expect(status.code, status.stderr).toBe(0);
      const report = JSON.parse(status.stdout) as { store: { kind: string; location: string } };
      expect(report.store.kind).toBe('keyring');
      expect(report.store.location).toContain('Secret Service');
      expect(status.stdout).not.toContain(API_KEY);

      const logout = await runCli(['logout'], { env });
      expect(logout.code, logout.stderr).toBe(0);
      expect(await session.entries(serviceOf(home))).toEqual([]);
      expect((await authFile(home)).profiles.default).toBeUndefined();
      const after = await runCli(['token'], { env });
      expect(after.code).toBe(3);
      expect(after.stderr).toMatch(/error\[not_signed_in\]/);
    } finally {
      await cleanup();
    }
  });

  it('auto keeps a browser sign-in in the keyring: no token in any file; token and refresh work', async () => {
    const { home, cleanup } = await tempHome();
    const env = { KEYTURN_HOME: home, ...session.env };
    const args = ['--issuer', issuer.issuer, '--client-id', issuer.clientId];
    try {
      const login = startCli(['login', ...args, '--no-open', '--redirect-uri', REDIRECT_URI], { env });
      const [, url] = await login.waitForStderr(URL_LINE);
      await signInInBrowser(browser, url as string);
      const signedIn = await login.done;
      const signedInAt = Date.now();
      expect(signedIn.code, signedIn.stderr).toBe(0);
      expect(signedIn.stderr).toMatch(/keyring store/);
      expect(signedIn.stderr).not.toMatch(/keyring .*not usable/i);

      const stored = await keyringCredentials(home);
      const first = {
        access: stored?.access_token as string,
        refresh: stored?.refresh_token as string,
        id: stored?.id_token as string,
      };
      expect(first.access).toEqual(expect.any(String));
      expect(first.refresh).toEqual(expect.any(String));
      expect(first.id).toEqual(expect.any(String));
      expect(await filesHolding(home, Object.values(first))).toEqual([]);
      expect((await authFile(home)).profiles.default).toMatchObject({
        store: 'keyring',
        kind: 'oauth',
        has_refresh_token: true,
      });

      const token = await runCli(['token', ...args], { env });
      expect(token.code, token.stderr).toBe(0);
      expect(token.stdout).toBe(`${first.access}\n`);

      // The token lives 3600 s: once a second has passed, asking for 3599 s left makes `token` refresh.
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, signedInAt + 1100 - Date.now())));
      const refreshesBefore = issuer.stats.refreshRequests;
      const refreshed = await runCli(['token', ...args, '--min-ttl', '3599'], { env });
      expect(refreshed.code, refreshed.stderr).toBe(0);
      const fresh = refreshed.stdout.trim();
      expect(fresh).not.toBe(first.access);
      expect(issuer.stats.refreshRequests).toBe(refreshesBefore + 1);
      expect(await userinfoStatus(issuer.issuer, fresh)).toBe(200);
      const rotated = await keyringCredentials(home);
      expect(rotated?.access_token).toBe(fresh);
      const secrets = [fresh, rotated?.refresh_token as string, rotated?.id_token as string];
      expect(await filesHolding(home, [...secrets, ...Object.values(first)])).toEqual([]);

      const status = await runCli(['status', ...args], { env });
      expect(status.code, status.stderr).toBe(0);
      expect(status.stdout).toMatch(/Store: keyring Secret Service/);

      const logout = await runCli(['logout', ...args], { env });
      expect(logout.code, logout.stderr).toBe(0);
      expect(await session.entries(serviceOf(home))).toEqual([]);
      expect(issuer.stats.revocations).toBeGreaterThan(0);
    } finally {
      await cleanup();
    }
  });

  it('hands the secret to its keyring child on a pipe, never in a command line', async () => {
    const { home, cleanup } = await tempHome();
    const env = { KEYTURN_HOME: home, KEYTURN_STORE: 'keyring', ...session.env };
    try {
      const login = startCli(['login', '--api-key'], { env, input: API_KEY });
      const children = await commandLinesOfChildren(login.child.pid as number, login.done);
      const result = await login.done;
      expect(result.code, result.stderr).toBe(0);
      expect(children.some((argv) => argv.includes('keyring-child.cjs'))).toBe(true);
      expect(children.filter((argv) => argv.includes(API_KEY))).toEqual([]);
      expect((await keyringCredentials(home))?.api_key).toBe(API_KEY);
    } finally {
      await cleanup();
    }
  });

  it('an entry removed from the keyring outside keyturn: `token` says so, and what to do', async () => {
    const { home, cleanup } = await tempHome();
    const env = { KEYTURN_HOME: home, KEYTURN_STORE: 'keyring', ...session.env };
    try {
      expect((await runCli(['login', '--api-key'], { env, input: API_KEY })).code).toBe(0);
      await session.remove(serviceOf(home), 'default');
      const token = await runCli(['token'], { env });
      expect(token.code).toBe(3);
      expect(token.stdout).toBe('');
      expect(token.stderr).toMatch(
        /error\[not_signed_in\]: The Secret Service no longer holds the credentials of profile "default"/,
      );
      expect(token.stderr).toMatch(/fix: Sign in again: `keyturn login`/);
    } finally {
      await cleanup();
    }
  });

  it('switching the store kind moves the credentials, and says so', async () => {
    const { home, cleanup } = await tempHome();
    const base = { KEYTURN_HOME: home, ...session.env };
    try {
      const login = await runCli(['login', '--api-key'], {
        env: { ...base, KEYTURN_STORE: 'file' },
        input: API_KEY,
      });
      expect(login.code, login.stderr).toBe(0);
      expect((await authFile(home)).profiles.default?.api_key).toBe(API_KEY);

      const intoKeyring = await runCli(['token'], { env: { ...base, KEYTURN_STORE: 'keyring' } });
      expect(intoKeyring.code, intoKeyring.stderr).toBe(0);
      expect(intoKeyring.stdout).toBe(`${API_KEY}\n`);
      expect(intoKeyring.stderr).toMatch(
        /Moved the credentials of profile "default" from .*auth\.json into the Secret Service/,
      );
      expect(await filesHolding(home, [API_KEY])).toEqual([]);
      expect((await keyringCredentials(home))?.api_key).toBe(API_KEY);

      const backToFile = await runCli(['token'], { env: { ...base, KEYTURN_STORE: 'file' } });
      expect(backToFile.code, backToFile.stderr).toBe(0);
      expect(backToFile.stdout).toBe(`${API_KEY}\n`);
      expect(backToFile.stderr).toMatch(
        /Moved the credentials of profile "default" from the Secret Service into/,
      );
      expect((await authFile(home)).profiles.default?.api_key).toBe(API_KEY);
      expect(await session.entries(serviceOf(home))).toEqual([]);
    } finally {
      await cleanup();
    }
  });
});

describe('the keyring, reached from the sources (as the library and the tests use it)', () => {
  const service = 'keyturn-test:sources';

  it('the client finds the built child program (dist/keyring-child.cjs) and writes, reads, deletes', async () => {
    const client = new KeyringClient({ env: session.env });
    await client.set(service, 'alice', 'sécret-1');
    expect(await client.get(service, 'alice')).toBe('sécret-1');
    expect(await session.entries(service)).toEqual([{ account: 'alice', password: 'sécret-1' }]);
    expect(await client.delete(service, 'alice')).toBe(true);
    expect(await client.get(service, 'alice')).toBeUndefined();
    expect(await client.delete(service, 'alice')).toBe(false);
  });

  it('reads over the session bus exactly the entry the library wrote, and nothing else', async () => {
    await session.store(service, 'bob', 'sécret-2');
    try {
      expect(await lookupSecret(session.env, service, 'bob', 5000)).toEqual({
        kind: 'found',
        value: 'sécret-2',
      });
      expect(await lookupSecret(session.env, service, 'carol', 5000)).toEqual({ kind: 'none' });
      expect(await lookupSecret(session.env, `${service}-other`, 'bob', 5000)).toEqual({ kind: 'none' });
    } finally {
      await session.remove(service, 'bob');
    }
    expect(await lookupSecret(session.env, service, 'bob', 5000)).toEqual({ kind: 'none' });
  });

  it('leaves an entry in a locked keyring to the library (which can ask to unlock it)', async () => {
    const own = await startKeyringSession();
    try {
      await own.store(service, 'dave', 'sécret-3');
      const [socket] = sessionBusSockets(own.env) as { socket: string }[];
      const bus = new BusConnection(socket?.socket as string, 5000);
      try {
        bus.begin();
        await bus.call({
          destination: 'org.freedesktop.secrets',
          path: '/org/freedesktop/secrets',
          interface: 'org.freedesktop.Secret.Service',
          member: 'Lock',
          signature: 'ao',
          body: [['/org/freedesktop/secrets/collection/login']],
        });
      } finally {
        bus.close();
      }
      expect(await lookupSecret(own.env, service, 'dave', 5000)).toEqual({
        kind: 'undecided',
        why: 'the entry is locked or not unique',
      });
    } finally {
      await own.close();
    }
  });
});

describe('without a usable keyring', () => {
  it('auto with no D-Bus session falls back to the file store, says so once, and status keeps saying so', async () => {
    const { home, cleanup } = await tempHome();
    const env = { KEYTURN_HOME: home, ...NO_SESSION };
    try {
      const login = await runCli(['login', '--api-key'], { env, input: API_KEY });
      expect(login.code, login.stderr).toBe(0);
      expect(login.stderr).toMatch(
        /warning: The OS keyring \(Secret Service\) is not usable here: no D-Bus session bus \(DBUS_SESSION_BUS_ADDRESS is not set\)\. Keeping credentials in .*auth\.json/,
      );
      expect((await authFile(home)).profiles.default?.api_key).toBe(API_KEY);

      const status = await runCli(['status'], { env });
      expect(status.code, status.stderr).toBe(0);
      expect(status.stdout).toMatch(
        /Store: file .*auth\.json \(auto: the OS keyring \(Secret Service\) is not usable here: no D-Bus session bus/,
      );
      expect(status.stderr).not.toMatch(/warning/);

      const json = await runCli(['status', '--json'], { env });
      const report = JSON.parse(json.stdout) as { store: { kind: string; note: string | null } };
      expect(report.store.kind).toBe('file');
      expect(report.store.note).toMatch(/no D-Bus session bus/);
    } finally {
      await cleanup();
    }
  });

  it('store = "keyring" without a session bus, or without a Secret Service on it, names the missing piece', async () => {
    const { home, cleanup } = await tempHome();
    const noSecrets = await startKeyringSession({ secretService: false });
    try {
      const noBus = await runCli(['login', '--api-key'], {
        env: { KEYTURN_HOME: home, KEYTURN_STORE: 'keyring', ...NO_SESSION },
        input: API_KEY,
      });
      expect(noBus.code).toBe(1);
      expect(noBus.stderr).toMatch(
        /error\[store_unreadable\]: The OS keyring \(Secret Service\) cannot be used: no D-Bus session bus \(DBUS_SESSION_BUS_ADDRESS is not set\)\./,
      );
      expect(noBus.stderr).toMatch(/fix: .*dbus-run-session/);

      const noService = await runCli(['login', '--api-key'], {
        env: { KEYTURN_HOME: home, KEYTURN_STORE: 'keyring', ...noSecrets.env },
        input: API_KEY,
      });
      expect(noService.code).toBe(1);
      expect(noService.stderr).toMatch(
        /error\[store_unreadable\]: .*no Secret Service \(org\.freedesktop\.secrets\) answers on the D-Bus session bus/,
      );
      expect(noService.stderr).toMatch(/fix: .*gnome-keyring-daemon/);
      expect(await filesHolding(home, [API_KEY])).toEqual([]);
    } finally {
      await noSecrets.close();
      await cleanup();
    }
  });

  it('store = "file" while the credentials sit in an unreachable keyring says what to do', async () => {
    const { home, cleanup } = await tempHome();
    try {
      const login = await runCli(['login', '--api-key'], {
        env: { KEYTURN_HOME: home, KEYTURN_STORE: 'keyring', ...session.env },
        input: API_KEY,
      });
      expect(login.code, login.stderr).toBe(0);

      const env = { KEYTURN_HOME: home, KEYTURN_STORE: 'file', ...NO_SESSION };
      const token = await runCli(['token'], { env });
      expect(token.code).toBe(1);
      expect(token.stderr).toMatch(
        /error\[store_unreadable\]: The credentials of profile "default" are in the Secret Service .*cannot be used here: no D-Bus session bus/,
      );
      expect(token.stderr).toMatch(
        /fix: Make the keyring usable once so keyturn moves them into auth\.json .*or sign in again here: `keyturn login`/,
      );

      // Signing in again here replaces keyturn's record; the keyring entry it cannot reach is named.
      const again = await runCli(['login', '--api-key'], { env, input: 'sk-another-0123456789abcdef' });
      expect(again.code, again.stderr).toBe(0);
      expect(again.stderr).toMatch(
        /warning: The old keyring entry of profile "default" .* could not be removed/,
      );
      expect((await runCli(['token'], { env })).stdout).toBe('sk-another-0123456789abcdef\n');
    } finally {
      await cleanup();
    }
  });

  const neverAnswering: [
    string,
    () => Promise<{ address: string; close(): Promise<void>; authenticated?(): number }>,
    boolean,
  ][] = [
    ['a bus that takes the connection and never answers', startSilentBus, false],
    ['a bus that completes the handshake and then never answers', startStalledBus, true],
  ];
  for (const [scene, start, handshake] of neverAnswering) {
    it(`${scene} does not hold \`token\` beyond the timeout`, async () => {
      const { home, cleanup } = await tempHome();
      const bus = await start();
      try {
        const login = await runCli(['login', '--api-key'], {
          env: { KEYTURN_HOME: home, KEYTURN_STORE: 'keyring', ...session.env },
          input: API_KEY,
        });
        expect(login.code, login.stderr).toBe(0);

        const hung = {
          KEYTURN_HOME: home,
          DBUS_SESSION_BUS_ADDRESS: bus.address,
          KEYTURN_KEYRING_TIMEOUT: '2',
        };
        const started = Date.now();
        const trace = await traceProcesses(hung);
        const token = await runCli(['token'], { env: trace.env });
        // A guard against hanging, not a speed measurement.
        expect(Date.now() - started).toBeLessThan(30_000);
        if (handshake) expect(bus.authenticated?.()).toBeGreaterThan(0);
        // Reported by the launcher that waited, not by a full CLI that would wait as long again.
        expect(await trace.loadedFullCli()).toEqual([false]);
        expect(token.code).toBe(1);
        expect(token.stdout).toBe('');
        expect(token.stderr).toMatch(
          /^error\[store_unreadable\]: The OS keyring \(Secret Service\) cannot be used: it did not answer within 2 s/,
        );
        expect(token.stderr).toMatch(/fix: .*KEYTURN_KEYRING_TIMEOUT/);
        expect(token.stderr).not.toContain(API_KEY);
      } finally {
        await bus.close();
        await cleanup();
      }
    });
  }

  it('a hung Secret Service (the bus answers, the keyring daemon does not) does not hold `token`', async () => {
    const { home, cleanup } = await tempHome();
    const env = { KEYTURN_HOME: home, KEYTURN_STORE: 'keyring', ...session.env };
    try {
      const login = await runCli(['login', '--api-key'], { env, input: API_KEY });
      expect(login.code, login.stderr).toBe(0);

      const resume = session.hang();
      let token, json;
      try {
        const started = Date.now();
        token = await runCli(['token'], { env: { ...env, KEYTURN_KEYRING_TIMEOUT: '2' } });
        json = await runCli(['token', '--json'], { env: { ...env, KEYTURN_KEYRING_TIMEOUT: '2' } });
        // A guard against hanging, not a speed measurement.
        expect(Date.now() - started).toBeLessThan(60_000);
      } finally {
        resume();
      }
      expect(token.code).toBe(1);
      expect(token.stdout).toBe('');
      expect(token.stderr).toMatch(
        /^error\[store_unreadable\]: The OS keyring \(Secret Service\) cannot be used: it did not answer within 2 s/,
      );
      expect(json.code).toBe(1);
      expect(JSON.parse(json.stdout)).toMatchObject({
        error: { code: 'store_unreadable', message: expect.stringMatching(/did not answer within 2 s/) },
      });

      // Awake again, the keyring serves the key.
      const again = await runCli(['token'], { env });
      expect(again.stdout).toBe(`${API_KEY}\n`);
    } finally {
      await cleanup();
    }
  });

  it('auto facing a keyring that never answers falls back once, then remembers', async () => {
    const { home, cleanup } = await tempHome();
    const silent = await startSilentBus();
    const env = {
      KEYTURN_HOME: home,
      DBUS_SESSION_BUS_ADDRESS: silent.address,
      KEYTURN_KEYRING_TIMEOUT: '2',
    };
    try {
      const login = await runCli(['login', '--api-key'], { env, input: API_KEY });
      expect(login.code, login.stderr).toBe(0);
      expect(login.stderr).toMatch(
        /warning: The OS keyring \(Secret Service\) is not usable here: it did not answer within 2 s/,
      );
      expect((await authFile(home)).profiles.default?.api_key).toBe(API_KEY);

      const status = await runCli(['status', '--json'], { env });
      expect(status.code, status.stderr).toBe(0);
      expect(status.stderr).toBe('');
      const report = JSON.parse(status.stdout) as { store: { kind: string; note: string | null } };
      expect(report.store).toMatchObject({
        kind: 'file',
        note: expect.stringMatching(/did not answer within 2 s/),
      });
    } finally {
      await silent.close();
      await cleanup();
    }
  });
});
