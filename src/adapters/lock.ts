import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { link, mkdir, readFile, rename, rmdir, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';

/**
 * A cross-process lock: a file that appears atomically (link() of a complete file) holding the
 * owner's pid, host and a nonce. The owner touches it every HEARTBEAT_MS. A holder killed with -9
 * leaves the file behind; it is broken at once when its pid is gone (same host), or when its
 * heartbeat has stopped for STALE_MS (another host, a reused pid). Breaking goes through a guard
 * directory so that two waiters never both break it and then both take it.
 */

/** Who holds a lock, as written in the lock file. */
export interface LockHolder {
  pid?: number;
  host?: string;
}

export interface LockOptions {
  /** Called once when the lock is not free at first. */
  onWait?: (holder: LockHolder) => void;
  /** Called once after `waitNoticeMs` of waiting, so a waiting command can say why it waits. */
  onLongWait?: (holder: LockHolder) => void;
  /** Default 1500 ms. */
  waitNoticeMs?: number;
  /** Give up with LockTimeoutError after waiting this long; default: wait as long as the holder lives. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** A lock whose heartbeat is older than this is stale even when its pid seems alive. */
export const STALE_MS = 10_000;
const HEARTBEAT_MS = 2_000;
/** Breaking takes microseconds: a guard older than this was left by a breaker that died. */
const GUARD_STALE_MS = 2_000;

interface Owner extends LockHolder {
  nonce?: string;
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

async function readOwner(path: string): Promise<{ owner: Owner; raw: string; mtimeMs: number } | undefined> {
  try {
    const [raw, info] = await Promise.all([readFile(path, 'utf8'), stat(path)]);
    let owner: Owner = {};
    try {
      const parsed: unknown = JSON.parse(raw);
      if (typeof parsed === 'object' && parsed !== null) owner = parsed as Owner;
    } catch {
      owner = {};
    }
    return { owner, raw, mtimeMs: info.mtimeMs };
  } catch (error) {
    if (errno(error) === 'ENOENT') return undefined;
    throw error;
  }
}

function isStale(found: { owner: Owner; mtimeMs: number }, now: number): boolean {
  const { pid, host } = found.owner;
  if (typeof pid === 'number' && host === hostname() && !isAlive(pid)) return true;
  // Heartbeat stopped (another host, a reused pid, a lock file we cannot read): only age tells.
  return now - found.mtimeMs > STALE_MS;
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
      const aside = `${path}.stale-${randomBytes(4).toString('hex')}`;
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

export class LockTimeoutError extends Error {
  override readonly name = 'LockTimeoutError';
  constructor(
    readonly path: string,
    readonly holder: LockHolder,
  ) {
    super(`Timed out waiting for the lock ${path} held by pid ${holder.pid ?? '?'}`);
  }
}

/** Holds the lock at `path` while `fn` runs. */
export async function withFileLock<T>(
  path: string,
  fn: () => Promise<T>,
  options: LockOptions = {},
): Promise<T> {
  const release = await acquire(path, options);
  try {
    return await fn();
  } finally {
    await release();
  }
}

/** Takes the lock at `path` (creating its folder, mode 0700, when missing); resolves with `release`. */
export async function acquire(path: string, options: LockOptions = {}): Promise<() => Promise<void>> {
  const nonce = randomBytes(8).toString('hex');
  const me = JSON.stringify({ pid: process.pid, host: hostname(), nonce });
  const draft = `${path}.${nonce}`;
  const started = Date.now();
  let notified = false;
  let longNotified = false;
  let delay = 10;
  for (;;) {
    if (options.signal?.aborted) throw options.signal.reason;
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
      return async () => {
        clearInterval(heartbeat);
        // Remove only our own lock.
        const current = await readFile(path, 'utf8').catch(() => undefined);
        if (current === me) await unlink(path).catch(() => undefined);
      };
    } catch (error) {
      if (errno(error) === 'ENOENT') {
        await mkdir(dirname(path), { recursive: true, mode: 0o700 });
        continue;
      }
      if (errno(error) !== 'EEXIST') throw error;
    }
    const found = await readOwner(path);
    if (found === undefined) continue;
    if (isStale(found, Date.now())) {
      await breakStale(path, found.raw);
      continue;
    }
    const holder: LockHolder = {
      ...(typeof found.owner.pid === 'number' ? { pid: found.owner.pid } : {}),
      ...(typeof found.owner.host === 'string' ? { host: found.owner.host } : {}),
    };
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
