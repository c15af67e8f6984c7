import { randomInt } from 'node:crypto';
import { constants } from 'node:fs';
import { mkdir, open, readFile, readdir, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { KeyturnError } from '../core/errors.js';
import { isCredentials, type Credentials } from '../core/credentials.js';
import { STORE_VERSION, type AuthFile, type CredentialStore, type CredentialsChange } from '../core/store.js';
import { untrustedFolder } from '../core/folder-trust.js';
import { formatAuthFile } from '../core/store-layout.js';
import { withFileLock } from './lock.js';

function unreadable(path: string, why: string, cause?: unknown): KeyturnError {
  return new KeyturnError('store_unreadable', `The credential file ${path} ${why}.`, {
    fix: ({ command }) => `Move it aside (\`mv ${path} ${path}.bak\`) and run \`${command} login\` again.`,
    evidence: { path },
    cause,
  });
}

/** Parses auth.json text; throws store_unreadable with the reason. */
export function parseAuthFile(text: string, path: string): AuthFile {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    throw unreadable(path, 'is not valid JSON', error);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc))
    throw unreadable(path, 'is not a JSON object');
  const { version, profiles } = doc as { version?: unknown; profiles?: unknown };
  if (typeof version !== 'number') throw unreadable(path, 'has no "version" field');
  if (version > STORE_VERSION) {
    throw new KeyturnError(
      'store_unreadable',
      `${path} was written by a newer keyturn (version ${version}).`,
      {
        fix: 'Upgrade keyturn, or move the file aside and sign in again.',
        evidence: { path, version },
      },
    );
  }
  if (
    profiles !== undefined &&
    (typeof profiles !== 'object' || profiles === null || Array.isArray(profiles))
  ) {
    throw unreadable(path, 'has a "profiles" field that is not an object');
  }
  return { version, profiles: (profiles ?? {}) as Record<string, Credentials> };
}

/**
 * auth.json: one JSON document for every profile. Folder 0700, file 0600. Every write is a
 * read-modify-write under a cross-process lock, written atomically (temporary file, fsync, rename),
 * so a crash at any instant leaves the old or the new document.
 */
export class FileStore implements CredentialStore {
  readonly kind = 'file' as const;
  readonly location: string;
  readonly note: string | undefined;

  constructor(
    readonly path: string,
    note?: string,
  ) {
    this.location = path;
    this.note = note;
  }

  async readAll(): Promise<AuthFile | undefined> {
    await assertTrustedFolder(dirname(this.path));
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return undefined;
      throw unreadable(this.path, `cannot be read (${code ?? 'error'})`, error);
    }
    return parseAuthFile(text, this.path);
  }

  async get(profile: string): Promise<Credentials | undefined> {
    const doc = await this.readAll();
    return doc === undefined ? undefined : this.credentialsIn(doc.profiles, profile);
  }

  /** The profile's credentials in a parsed document; a damaged entry is store_unreadable. */
  credentialsIn(profiles: Record<string, unknown>, profile: string): Credentials | undefined {
    if (!Object.hasOwn(profiles, profile)) return undefined;
    const credentials: unknown = profiles[profile];
    // A hand-edited or damaged entry must not reach the flows as if it were credentials.
    if (!isCredentials(credentials)) {
      throw unreadable(this.path, `holds no usable credentials for profile "${profile}"`);
    }
    return credentials;
  }

  async put(profile: string, credentials: Credentials): Promise<void> {
    await this.transact((profiles) => {
      profiles[profile] = credentials;
      return true;
    });
  }

  async delete(profile: string): Promise<boolean> {
    let removed = false;
    await this.transact((profiles) => {
      removed = Object.hasOwn(profiles, profile);
      delete profiles[profile];
      return removed;
    });
    return removed;
  }

  async update(profile: string, change: CredentialsChange): Promise<Credentials | undefined> {
    let after: Credentials | undefined;
    await this.transact((profiles) => {
      after = this.credentialsIn(profiles, profile);
      const next = change(after);
      if (next === undefined) return false;
      profiles[profile] = after = next;
      return true;
    });
    return after;
  }

  /**
   * Read-modify-write of the whole document under the store lock; `change` returns false when
   * nothing changed. Not reentrant: `change` must not call the store's own methods that write.
   */
  async transact(change: (profiles: Record<string, unknown>) => boolean | Promise<boolean>): Promise<void> {
    const dir = dirname(this.path);
    // A folder keyturn creates is 0700 from the start; one it finds must already be fit for secrets.
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await assertTrustedFolder(dir);
    await withFileLock(`${this.path}.lock`, async () => {
      const doc = (await this.readAll()) ?? { version: STORE_VERSION, profiles: {} };
      if (!(await change(doc.profiles))) return;
      await removeLeftovers(this.path);
      // One line a profile, sorted: the hot path finds one without reading the rest (core/store-layout.ts).
      await writeAtomic(
        this.path,
        formatAuthFile({ version: STORE_VERSION, profiles: doc.profiles as AuthFile['profiles'] }),
      );
    });
  }
}

/** Refuses a credential folder another user owns or can write into (core/folder-trust.ts). */
export async function assertTrustedFolder(dir: string, platform: string = process.platform): Promise<void> {
  // Windows folders carry ACLs, not modes; the user profile's folders are private already.
  if (platform === 'win32' || process.getuid === undefined) return;
  const facts = await stat(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (facts === undefined) return;
  const problem = untrustedFolder(dir, facts, process.getuid());
  if (problem !== undefined) throw problem;
}

/** Our temporary files: `<file>.<digits>` (writeAtomic; write-file-atomic's names before it). */
const TEMPORARY = /^\d+$/;

/**
 * Every write happens under the lock, so a temporary file found while holding it belongs to a writer
 * that died mid-write (kill -9, power loss): it holds tokens, so it goes.
 */
async function removeLeftovers(path: string): Promise<void> {
  const dir = dirname(path);
  const prefix = `${basename(path)}.`;
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const name of names) {
    if (name.startsWith(prefix) && TEMPORARY.test(name.slice(prefix.length))) {
      await unlink(join(dir, name)).catch(() => undefined);
    }
  }
}

/**
 * Temporary file in the same folder, fsync, rename: the old or the new content, never half. The
 * temporary file is created new (O_EXCL) and never through a symlink (O_NOFOLLOW), with mode 0600
 * from its first byte (a plain 'w' open would follow a planted symlink).
 */
export async function writeAtomic(path: string, content: string): Promise<void> {
  const temporary = `${path}.${process.pid}${randomInt(1e9, 1e10)}`;
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0);
  const file = await open(temporary, flags, 0o600);
  try {
    await file.writeFile(content, 'utf8');
    await file.sync();
    await file.close();
    // rename replaces a symlink at `path` itself, never the file it points to.
    await rename(temporary, path);
  } catch (error) {
    await file.close().catch(() => undefined);
    await unlink(temporary).catch(() => undefined);
    throw error;
  }
  // The folder entry too, so the rename survives a power loss.
  const folder = await open(dirname(path), constants.O_RDONLY).catch(() => undefined);
  await folder?.sync().catch(() => undefined);
  await folder?.close();
}
