import { hostname } from 'node:os';
import { link, mkdir, readFile, rename, rmdir, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';

/**
 * A cross-process lock: a file created with O_EXCL holding the owner's pid. A holder killed with -9
 * leaves the file behind; it is broken as soon as its pid is gone (same host), or when its heartbeat
 * stops for STALE_MS. Breaking goes through a second exclusive step so two waiters never both break it.
 */

export interface LockOptions {
  /** Called once when the lock is not free at first, with the holder's pid. */
  onWait?: (holder: { pid?: number; host?: string }) => void;
  /** Called once after `waitNoticeMs` of waiting. */
  onLongWait?: (holder: { pid?: number; host?: string }) => void;
  waitNoticeMs?: number;
  /** Give up after this long. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

const STALE_MS = 10_000;
const HEARTBEAT_MS = 2_000;

interface Owner {
  pid?: number;
  host?: string;
  nonce?: string;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readOwner(path: string): Promise<{ owner: Owner; raw: string; mtimeMs: number } | undefined> {
  try {
    const [raw, info] = await Promise.all([readFile(path, 'utf8'), stat(path)]);
    let owner: Owner = {};
    try {
      owner = JSON.parse(raw) as Owner;
    } catch {
      owner = {};
    }
    return { owner, raw, mtimeMs: info.mtimeMs };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

function isStale(found: { owner: Owner; mtimeMs: number }, now: number): boolean {
  const { pid, host } = found.owner;
  if (pid !== undefined && host === hostname() && !isAlive(pid)) return true;
  // Heartbeat stopped (other host, or a lock file we cannot read): only age tells.
  return now - found.mtimeMs > STALE_MS;
}

/** Removes a stale lock if it is still the same stale lock; at most one breaker at a time. */
async function breakStale(path: string, raw: string): Promise<void> {
  const guard = `${path}.break`;
  try {
    await mkdir(guard);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    // A breaker that died leaves its guard: clear it when old.
    const info = await stat(guard).catch(() => undefined);
    if (info !== undefined && Date.now() - info.mtimeMs > STALE_MS) await rmdir(guard).catch(() => undefined);
    return;
  }
  try {
    const again = await readFile(path, 'utf8').catch(() => undefined);
    if (again === raw) {
      const aside = `${path}.stale-${randomBytes(4).toString('hex')}`;
      await rename(path, aside);
      await unlink(aside).catch(() => undefined);
    }
  } finally {
    await rmdir(guard).catch(() => undefined);
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}

export class LockTimeoutError extends Error {
  constructor(
    readonly path: string,
    readonly holder: Owner,
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

export async function acquire(path: string, options: LockOptions = {}): Promise<() => Promise<void>> {
  const nonce = randomBytes(8).toString('hex');
  const me = JSON.stringify({ pid: process.pid, host: hostname(), nonce });
  const started = Date.now();
  let notified = false;
  let longNotified = false;
  let delay = 10;
  for (;;) {
    try {
      // The lock appears with its owner already written in it: link() of a complete file is atomic.
      const draft = `${path}.${nonce}`;
      await writeFile(draft, me, { mode: 0o600 });
      try {
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
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const found = await readOwner(path);
    if (found === undefined) continue;
    if (isStale(found, Date.now())) {
      await breakStale(path, found.raw);
      continue;
    }
    const waited = Date.now() - started;
    if (!notified) {
      notified = true;
      options.onWait?.(found.owner);
    }
    if (!longNotified && waited >= (options.waitNoticeMs ?? 1500)) {
      longNotified = true;
      options.onLongWait?.(found.owner);
    }
    if (options.timeoutMs !== undefined && waited > options.timeoutMs)
      throw new LockTimeoutError(path, found.owner);
    await sleep(delay, options.signal);
    delay = Math.min(100, Math.round(delay * 1.5));
  }
}
