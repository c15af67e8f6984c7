import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { STORE_VERSION } from '../core/store.js';
import { findLaidOut } from '../core/store-layout.js';

/** Below this size one read takes the whole file; above it the search reads only what it needs. */
const WHOLE = 64 * 1024;

/**
 * The raw auth.json entry of one profile, for the hot path: found by a binary search in a file laid
 * out by core/store-layout.ts (its cost does not grow with the number of profiles), by reading the
 * whole document otherwise (keyturn 0.1's layout, a hand-edited file). Undefined when there is no such
 * entry or the file cannot be read as a store this keyturn writes: the full CLI then says what is wrong.
 */
export function readProfileEntry(path: string, name: string): unknown {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return undefined;
  }
  try {
    const size = fstatSync(fd).size;
    const whole = size <= WHOLE ? readAt(fd, 0, size) : undefined;
    const read =
      whole === undefined
        ? (offset: number, length: number) => readAt(fd, offset, length)
        : (offset: number, length: number) => whole.subarray(offset, offset + length);
    const found = findLaidOut(read, size, name);
    if (found === 'absent') return undefined;
    if (found !== 'unlaid') return found.found;
    const doc = JSON.parse((whole ?? readAt(fd, 0, size)).toString('utf8')) as {
      version?: unknown;
      profiles?: unknown;
    };
    if (doc.version !== STORE_VERSION || typeof doc.profiles !== 'object' || doc.profiles === null)
      return undefined;
    return Object.hasOwn(doc.profiles, name) ? (doc.profiles as Record<string, unknown>)[name] : undefined;
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

function readAt(fd: number, offset: number, length: number): Buffer {
  const buffer = Buffer.allocUnsafe(Math.max(0, length));
  let filled = 0;
  while (filled < buffer.length) {
    const n = readSync(fd, buffer, filled, buffer.length - filled, offset + filled);
    if (n === 0) break;
    filled += n;
  }
  return buffer.subarray(0, filled);
}
