import { spawn } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  LockTimeoutError,
  STALE_MS,
  acquire,
  handOver,
  liveHolder,
  tryAcquire,
  withFileLock,
} from '../../src/adapters/lock.js';
import { bundleForNode } from '../helpers/bundle.js';

let dir: string;
let lockPath: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'keyturn-lock-'));
  lockPath = join(dir, 'refresh-default.lock');
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The pid of a process that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => child.on('exit', resolve));
  return child.pid as number;
}

/** What the lock records of a process to tell it alive (Linux /proc), read here independently. */
async function identityOf(pid: number): Promise<{ boot: string; pidns: number; start: number }> {
  const procStat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const { ino } = await stat(`/proc/${pid}/ns/pid`);
  return {
    boot: (await readFile('/proc/sys/kernel/random/boot_id', 'utf8')).trim(),
    pidns: ino,
    start: Number(procStat.slice(procStat.lastIndexOf(')') + 2).split(' ')[19]),
  };
}

async function leaveLock(owner: Record<string, unknown> & { pid: number }, ageMs = 0): Promise<void> {
  await writeFile(lockPath, JSON.stringify({ host: hostname(), nonce: 'left-behind', ...owner }));
  if (ageMs > 0) {
    const then = new Date(Date.now() - ageMs);
    await utimes(lockPath, then, then);
  }
}

describe('the cross-process lock', () => {
  it('serialises two acquirers: the second gets it only when the first releases it', async () => {
    const events: string[] = [];
    const first = await acquire(lockPath);
    const second = withFileLock(lockPath, async () => {
      events.push('second holds it');
    });
    await sleep(150);
    events.push('first releases it');
    await first();
    await second;
    expect(events).toEqual(['first releases it', 'second holds it']);
  });

  it('never lets two holders in at once', async () => {
    let holders = 0;
    let most = 0;
    const counter = join(dir, 'counter');
    await writeFile(counter, '0');
    await Promise.all(
      Array.from({ length: 8 }, () =>
        withFileLock(lockPath, async () => {
          most = Math.max(most, ++holders);
          const value = Number(await readFile(counter, 'utf8'));
          await sleep(5);
          await writeFile(counter, String(value + 1));
          holders--;
        }),
      ),
    );
    expect(most).toBe(1);
    expect(await readFile(counter, 'utf8')).toBe('8');
  });

  it('writes the holder’s pid in the lock file, and removes it on release', async () => {
    const release = await acquire(lockPath);
    expect(JSON.parse(await readFile(lockPath, 'utf8'))).toMatchObject({
      pid: process.pid,
      host: hostname(),
    });
    await release();
    await expect(readFile(lockPath)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('breaks at once a lock whose holder was killed (its pid is gone)', async () => {
    await leaveLock({ pid: await deadPid() });
    const onWait = vi.fn();
    const release = await acquire(lockPath, { onWait, timeoutMs: 1000 });
    expect(onWait).not.toHaveBeenCalled();
    expect(JSON.parse(await readFile(lockPath, 'utf8'))).toMatchObject({ pid: process.pid });
    await release();
  });

  it('breaks a lock whose heartbeat stopped, even when its pid is alive (a reused pid)', async () => {
    await leaveLock({ pid: process.ppid }, STALE_MS + 5_000);
    const release = await acquire(lockPath, { timeoutMs: 1000 });
    expect(JSON.parse(await readFile(lockPath, 'utf8'))).toMatchObject({ pid: process.pid });
    await release();
  });

  it('records the boot, pid namespace and start time that tell this holder from any other', async () => {
    const release = await acquire(lockPath);
    expect(JSON.parse(await readFile(lockPath, 'utf8'))).toMatchObject(await identityOf(process.pid));
    await release();
  });

  it('never breaks a live holder whose heartbeat stopped long ago (stopped with Ctrl-Z, a laptop asleep)', async () => {
    await leaveLock({ pid: process.ppid, ...(await identityOf(process.ppid)) }, STALE_MS * 30);
    const error = await acquire(lockPath, { timeoutMs: 300 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockTimeoutError);
    expect((error as LockTimeoutError).holder.pid).toBe(process.ppid);
  });

  it('breaks at once a lock whose pid now belongs to another process (another start time), heartbeat fresh', async () => {
    const holder = await identityOf(process.ppid);
    await leaveLock({ pid: process.ppid, ...holder, start: holder.start - 1 });
    const onWait = vi.fn();
    const release = await acquire(lockPath, { onWait, timeoutMs: 1000 });
    expect(onWait).not.toHaveBeenCalled();
    await release();
  });

  it('breaks at once a lock left before the machine rebooted (another boot id)', async () => {
    const holder = await identityOf(process.ppid);
    await leaveLock({ pid: process.ppid, ...holder, boot: '00000000-0000-4000-8000-000000000000' });
    const release = await acquire(lockPath, { timeoutMs: 1000 });
    expect(JSON.parse(await readFile(lockPath, 'utf8'))).toMatchObject({ pid: process.pid });
    await release();
  });

  it('leaves a holder in another pid namespace to its heartbeat: fresh, it waits', async () => {
    const holder = await identityOf(process.ppid);
    await leaveLock({ pid: 1, ...holder, pidns: holder.pidns + 1 });
    const error = await acquire(lockPath, { timeoutMs: 200 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockTimeoutError);
    await leaveLock({ pid: 1, ...holder, pidns: holder.pidns + 1 }, STALE_MS + 5_000);
    const release = await acquire(lockPath, { timeoutMs: 1000 });
    await release();
  });

  it('respects a live holder with a fresh heartbeat', async () => {
    await leaveLock({ pid: process.ppid });
    const error = await acquire(lockPath, { timeoutMs: 200 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockTimeoutError);
    expect((error as LockTimeoutError).holder.pid).toBe(process.ppid);
  });

  it('says whom it waits for once the wait grows long', async () => {
    const release = await acquire(lockPath);
    const onLongWait = vi.fn();
    const waiting = acquire(lockPath, { onLongWait, waitNoticeMs: 100 });
    await vi.waitFor(() => expect(onLongWait).toHaveBeenCalledTimes(1), { timeout: 2000 });
    expect(onLongWait).toHaveBeenCalledWith({ pid: process.pid, host: hostname() });
    await release();
    await (
      await waiting
    )();
    expect(onLongWait).toHaveBeenCalledTimes(1);
  });

  it('stops waiting when aborted', async () => {
    const release = await acquire(lockPath);
    const controller = new AbortController();
    const waiting = acquire(lockPath, { signal: controller.signal });
    controller.abort(new Error('interrupted'));
    await expect(waiting).rejects.toThrow('interrupted');
    await release();
  });

  it('creates a missing folder', async () => {
    const nested = join(dir, 'not', 'yet');
    const release = await acquire(join(nested, 'x.lock'));
    await release();
  });
});

describe('a lock handed over inside one process (the launcher to the full CLI)', () => {
  it('tryAcquire takes a free lock, and names the live holder of a held one without waiting', async () => {
    const taken = await tryAcquire(lockPath);
    expect('release' in taken).toBe(true);
    const again = await tryAcquire(lockPath);
    expect(again).toEqual({ holder: { pid: process.pid, host: hostname() } });
    if ('release' in taken) await taken.release();
    await expect(stat(lockPath)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('liveHolder names a live holder and writes nothing; a free lock, a dead holder or another boot is none', async () => {
    expect(liveHolder(lockPath)).toBeUndefined();
    const taken = await tryAcquire(lockPath);
    const files = async () => (await readdir(dir)).sort();
    const before = await files();
    expect(liveHolder(lockPath)).toEqual({ pid: process.pid, host: hostname() });
    // Looking takes nothing: no draft file, no broken lock, the same lock file.
    expect(await files()).toEqual(before);
    if ('release' in taken) await taken.release();
    expect(liveHolder(lockPath)).toBeUndefined();

    const parent = await identityOf(process.ppid);
    await leaveLock({ pid: process.ppid, ...parent }, STALE_MS * 30);
    // Alive, however old its heartbeat: it is waited for.
    expect(liveHolder(lockPath)).toEqual({ pid: process.ppid, host: hostname() });
    await leaveLock({ pid: await deadPid(), ...parent });
    expect(liveHolder(lockPath)).toBeUndefined();
    await leaveLock({ pid: process.ppid, ...parent, start: parent.start - 1 });
    expect(liveHolder(lockPath)).toBeUndefined();
    await leaveLock({ pid: process.ppid, ...parent, boot: '00000000-0000-4000-8000-000000000000' });
    expect(liveHolder(lockPath)).toBeUndefined();
    // A dead holder's lock is left for tryAcquire to break: looking changes nothing.
    expect(JSON.parse(await readFile(lockPath, 'utf8'))).toMatchObject({ nonce: 'left-behind' });
  });

  it('withFileLock of the same path runs under the handed-over lock instead of waiting for itself, then releases it', async () => {
    const taken = await tryAcquire(lockPath);
    if (!('release' in taken)) throw new Error('not taken');
    const held = await readFile(lockPath, 'utf8');
    handOver(lockPath, taken.release);
    const ran = await withFileLock(lockPath, async () => readFile(lockPath, 'utf8'), { timeoutMs: 200 });
    expect(ran).toBe(held);
    await expect(stat(lockPath)).rejects.toMatchObject({ code: 'ENOENT' });
    // Handed over once: the next withFileLock takes a lock of its own.
    await withFileLock(lockPath, async () => expect(await readFile(lockPath, 'utf8')).not.toBe(held));
  });

  it('a handed-over lock nobody took is released when the process exits', async () => {
    // The lock module as the launcher bundles it, in a process of its own.
    const bundle = join(dir, 'lock.cjs');
    await bundleForNode(resolve(import.meta.dirname, '../../src/adapters/lock.ts'), bundle, {
      format: 'cjs',
    });
    const script = `
      const { tryAcquire, handOver } = require(${JSON.stringify(bundle)});
      tryAcquire(${JSON.stringify(lockPath)}).then((taken) => {
        handOver(${JSON.stringify(lockPath)}, taken.release);
        console.log(require('node:fs').existsSync(${JSON.stringify(lockPath)}));
      });
    `;
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    await new Promise((resolve) => child.on('exit', resolve));
    expect(out.trim()).toBe('true');
    await expect(stat(lockPath)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
