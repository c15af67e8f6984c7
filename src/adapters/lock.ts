import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { closeSync, fstatSync, openSync, readFileSync, statSync, unlinkSync } from 'node:fs';
import { link, mkdir, readFile, rename, rmdir, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import type { LockHolder, LockOptions, LockTimeout } from '../core/ports.js';

/**
 * A cross-process lock: a file that appears atomically (link() of a complete file) holding the
 * owner's pid, host, a nonce, and what tells a live holder from a dead one: the boot id, the pid
 * namespace and the process start time (Linux /proc). A holder killed with -9 leaves the file
 * behind; it is broken at once when its process is gone (same boot and pid namespace: no process
 * with that pid and start time), or the machine has rebooted since. A live holder is never broken,
 * however long it has been stopped (Ctrl-Z, a laptop asleep): with rotating refresh tokens a second
 * refresh would burn the sign-in. Only where liveness cannot be seen (another host or pid namespace
 * sharing the folder, a platform without /proc and a pid that is gone or reused) does the owner's
 * heartbeat decide: it touches the file every HEARTBEAT_MS, and STALE_MS without one is death.
 * Breaking goes through a guard directory so that two waiters never both break it and then both
 * take it.
 */

export type { LockHolder, LockOptions } from '../core/ports.js';

/** A lock whose heartbeat is older than this is stale even when its pid seems alive. */
export const STALE_MS = 10_000;
const HEARTBEAT_MS = 2_000;
/** Breaking takes microseconds: a guard older than this was left by a breaker that died. */
const GUARD_STALE_MS = 2_000;

interface Owner extends LockHolder {
  nonce?: string;
  /** /proc/sys/kernel/random/boot_id: another boot means the holder is gone. */
  boot?: string;
  /** The inode of /proc/<pid>/ns/pid: pids are only comparable inside one pid namespace. */
  pidns?: number;
  /** Field 22 of /proc/<pid>/stat (clock ticks after boot): tells a reused pid from its first owner. */
  start?: number;
}

/** What tells this process from any other, now and after its death: Linux only. */
interface Identity {
  boot?: string;
  pidns?: number;
  start?: number;
}

/**
 * What tells a live holder from a dead one is read synchronously: a few small files of /proc, read
 * in microseconds, so that a process waiting in a storm can look at the lock (liveHolder) without
 * loading fs/promises or taking a turn of the thread pool.
 */
function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** The start time of a process, from /proc/<pid>/stat; undefined when there is no such process. */
function startTimeOf(pid: number | 'self'): number | undefined {
  const text = readText(`/proc/${pid}/stat`);
  if (text === undefined) return undefined;
  // The command name (field 2) may hold spaces and parentheses: count fields after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const start = Number(fields[19]);
  return Number.isSafeInteger(start) ? start : undefined;
}

function pidNamespaceOf(pid: number | 'self'): number | undefined {
  try {
    return statSync(`/proc/${pid}/ns/pid`).ino;
  } catch {
    return undefined;
  }
}

let self: Identity | undefined;

function identity(): Identity {
  if (self !== undefined) return self;
  const boot = readText('/proc/sys/kernel/random/boot_id');
  const pidns = pidNamespaceOf('self');
  const start = startTimeOf('self');
  const found: Identity = {};
  if (boot !== undefined && boot.trim() !== '') found.boot = boot.trim();
  if (pidns !== undefined) found.pidns = pidns;
  if (start !== undefined) found.start = start;
  self = found;
  return found;
}

/**
 * Random hex through Web Crypto, which Node loads on first use: the launcher bundles this module, and
 * its hot path (a valid token) must not load node:crypto (test/e2e/hot-path.test.ts).
 */
function randomHex(bytes: number): string {
  return Buffer.from(globalThis.crypto.getRandomValues(new Uint8Array(bytes))).toString('hex');
}

function errno(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException).code;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errno(error) === 'EPERM';
  }
}

function readOwner(path: string): { owner: Owner; raw: string; mtimeMs: number } | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    if (errno(error) === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const mtimeMs = fstatSync(fd).mtimeMs;
    const raw = readFileSync(fd, 'utf8');
    let owner: Owner = {};
    try {
      const parsed: unknown = JSON.parse(raw);
      if (typeof parsed === 'object' && parsed !== null) owner = parsed as Owner;
    } catch {
      owner = {};
    }
    return { owner, raw, mtimeMs };
  } finally {
    closeSync(fd);
  }
}

/**
 * Whether the holder is dead. Decided by what the lock file records wherever this process can see
 * it (same host, same boot, same pid namespace); by the heartbeat only where it cannot.
 */
function isStale(found: { owner: Owner; mtimeMs: number }, now: number): boolean {
  const { pid, host, boot, pidns, start } = found.owner;
  const heartbeatStopped = now - found.mtimeMs > STALE_MS;
  if (typeof pid !== 'number' || host !== hostname()) return heartbeatStopped;
  const me = identity();
  if (typeof boot === 'string' && me.boot !== undefined) {
    if (boot !== me.boot) return true;
    if (typeof pidns === 'number' && pidns === me.pidns && typeof start === 'number') {
      // Alive exactly when a process with that pid exists and started when the holder did.
      return startTimeOf(pid) !== start;
    }
    // Another pid namespace (a container sharing the folder): its pids mean nothing here.
    if (typeof pidns === 'number' && me.pidns !== undefined && pidns !== me.pidns) return heartbeatStopped;
  }
  if (!isAlive(pid)) return true;
  // A live pid without a recorded identity (another platform, an older keyturn): it may be reused.
  return me.boot === undefined && boot === undefined ? false : heartbeatStopped;
}

/** The holder as a lock file names it. */
function holderOf(owner: Owner): LockHolder {
  return {
    ...(typeof owner.pid === 'number' ? { pid: owner.pid } : {}),
    ...(typeof owner.host === 'string' ? { host: owner.host } : {}),
  };
}

/**
 * The live holder of the lock at `path`, looked at without taking it (no file written, nothing
 * random drawn): undefined when the lock is free or its holder is dead, when tryAcquire would take
 * it. What a process waiting for another's refresh asks, over and over (cli/launcher.ts).
 */
export function liveHolder(path: string): LockHolder | undefined {
  const found = readOwner(path);
  if (found === undefined || isStale(found, Date.now())) return undefined;
  return holderOf(found.owner);
}

/** Removes a stale lock if it is still the same stale lock; at most one breaker at a time. */
async function breakStale(path: string, raw: string): Promise<void> {
  const guard = `${path}.break`;
  try {
    await mkdir(guard);
  } catch (error) {
    if (errno(error) !== 'EEXIST') throw error;
    const info = await stat(guard).catch(() => undefined);
    if (info !== undefined && Date.now() - info.mtimeMs > GUARD_STALE_MS) {
      await rmdir(guard).catch(() => undefined);
    }
    return;
  }
  try {
    const again = await readFile(path, 'utf8').catch(() => undefined);
    if (again === raw) {
      // Rename first: unlink(path) could remove a lock someone took in between; the rename takes
      // exactly the file we read, since nobody else breaks while we hold the guard.
      const aside = `${path}.stale-${randomHex(4)}`;
      try {
        await rename(path, aside);
        await unlink(aside).catch(() => undefined);
      } catch (error) {
        if (errno(error) !== 'ENOENT') throw error;
      }
    }
  } finally {
    await rmdir(guard).catch(() => undefined);
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export class LockTimeoutError extends Error implements LockTimeout {
  override readonly name = 'LockTimeoutError';
  constructor(
    readonly path: string,
    readonly holder: LockHolder,
  ) {
    super(`Timed out waiting for the lock ${path} held by pid ${holder.pid ?? '?'}`);
  }
}

/** Releases a lock: `release()` normally, `release.sync()` from an 'exit' handler. */
export type Release = (() => Promise<void>) & { sync(): void };

/**
 * Locks this process took before loading the rest of itself: the CommonJS launcher takes a profile's
 * refresh lock, finds the token still due, and hands the lock to the full CLI it loads, whose refresh
 * (through withFileLock) then runs under it instead of waiting for itself. Shared through the
 * global object, since the launcher's bundle and the CLI's have each their own copy of this module.
 */
const HANDED_OVER = Symbol.for('keyturn.handedOverLocks');

function handedOverLocks(): Map<string, Release> {
  const global = globalThis as { [HANDED_OVER]?: Map<string, Release> };
  return (global[HANDED_OVER] ??= new Map());
}

/** Leaves a held lock to the next withFileLock of the same path in this process; released at exit otherwise. */
export function handOver(path: string, release: Release): void {
  handedOverLocks().set(path, release);
  process.once('exit', () => {
    if (handedOverLocks().get(path) === release) release.sync();
  });
}

/** Holds the lock at `path` while `fn` runs. */
export async function withFileLock<T>(
  path: string,
  fn: () => Promise<T>,
  options: LockOptions = {},
): Promise<T> {
  const held = handedOverLocks().get(path);
  if (held !== undefined) handedOverLocks().delete(path);
  const release = held ?? (await acquire(path, options));
  try {
    return await fn();
  } finally {
    await release();
  }
}

/** The lock file's content that names this process as the owner. */
function ownerRecord(): { me: string; nonce: string } {
  const nonce = randomHex(8);
  return { me: JSON.stringify({ pid: process.pid, host: hostname(), nonce, ...identity() }), nonce };
}

/**
 * One attempt to take the lock: `release` when taken, the holder when a live process holds it,
 * undefined when it should be tried again at once (a folder was created, a stale lock was broken, the
 * lock vanished while being read).
 */
async function attempt(
  path: string,
  owner: { me: string; nonce: string },
): Promise<{ release: Release } | { holder: LockHolder } | undefined> {
  const { me, nonce } = owner;
  const draft = `${path}.${nonce}`;
  try {
    await writeFile(draft, me, { mode: 0o600 });
    try {
      // The lock appears with its owner already written in it: link() fails if it exists.
      await link(draft, path);
    } finally {
      await unlink(draft).catch(() => undefined);
    }
    const heartbeat = setInterval(() => {
      const now = new Date();
      utimes(path, now, now).catch(() => undefined);
    }, HEARTBEAT_MS);
    heartbeat.unref();
    const release = async () => {
      clearInterval(heartbeat);
      // Remove only our own lock.
      const current = await readFile(path, 'utf8').catch(() => undefined);
      if (current === me) await unlink(path).catch(() => undefined);
    };
    const sync = () => {
      clearInterval(heartbeat);
      try {
        if (readFileSync(path, 'utf8') === me) unlinkSync(path);
      } catch {
        // Gone already.
      }
    };
    return { release: Object.assign(release, { sync }) };
  } catch (error) {
    if (errno(error) === 'ENOENT') {
      await mkdir(dirname(path), { recursive: true, mode: 0o700 });
      return undefined;
    }
    if (errno(error) !== 'EEXIST') throw error;
  }
  const found = readOwner(path);
  if (found === undefined) return undefined;
  if (isStale(found, Date.now())) {
    await breakStale(path, found.raw);
    return undefined;
  }
  return { holder: holderOf(found.owner) };
}

/**
 * Takes the lock if nobody alive holds it (breaking a dead holder's), without waiting: `release`, or
 * the live holder.
 */
export async function tryAcquire(path: string): Promise<{ release: Release } | { holder: LockHolder }> {
  const owner = ownerRecord();
  for (;;) {
    const result = await attempt(path, owner);
    if (result !== undefined) return result;
  }
}

/** Takes the lock at `path` (creating its folder, mode 0700, when missing); resolves with `release`. */
export async function acquire(path: string, options: LockOptions = {}): Promise<Release> {
  const owner = ownerRecord();
  const started = Date.now();
  let notified = false;
  let longNotified = false;
  let delay = 10;
  for (;;) {
    if (options.signal?.aborted) throw options.signal.reason;
    const result = await attempt(path, owner);
    if (result === undefined) continue;
    if ('release' in result) return result.release;
    const { holder } = result;
    const waited = Date.now() - started;
    if (!notified) {
      notified = true;
      options.onWait?.(holder);
    }
    if (!longNotified && waited >= (options.waitNoticeMs ?? 1500)) {
      longNotified = true;
      options.onLongWait?.(holder);
    }
    if (options.timeoutMs !== undefined && waited > options.timeoutMs)
      throw new LockTimeoutError(path, holder);
    await sleep(delay, options.signal);
    delay = Math.min(100, Math.round(delay * 1.5));
  }
}
