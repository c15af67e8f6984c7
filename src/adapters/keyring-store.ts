import { KeyturnError } from '../core/errors.js';
import type { Credentials } from '../core/credentials.js';
import type { CredentialStore, CredentialsChange } from '../core/store.js';
import type { FileStore } from './file-store.js';
import type { Output } from '../flows/deps.js';
import type { KeyringClient } from './keyring-client.js';
import { KeyringUnusable } from './keyring-errors.js';
import { isKeyringMarker, markerFor, parseKeyringValue, type KeyringMarker } from './keyring-marker.js';

/**
 * The keyring credential store: the secrets of a profile in the OS keyring (through KeyringClient,
 * keyring-client.ts), a marker with their place and non-secret facts in auth.json.
 */

// store-factory.ts loads this module lazily and takes the client and the error from it.
export { KeyringClient } from './keyring-client.js';
export { KeyringUnusable } from './keyring-errors.js';
export { isKeyringMarker, markerFor, type KeyringMarker } from './keyring-marker.js';

export interface KeyringStoreOptions {
  /** The keyring service name entries are written under (the account is the profile name). */
  service: string;
  note?: string;
  /**
   * `store = "auto"`: when the keyring fails on a write, keep the credentials in auth.json rather than
   * lose them (a refresh may just have rotated the refresh token), and say so.
   */
  fallback?: { output: Output; onUnusable: (error: KeyringUnusable) => Promise<void> };
}

/**
 * Secrets in the OS keyring, one entry per profile holding its credentials as JSON; auth.json keeps a
 * marker with the entry's name and non-secret facts; both change together under auth.json's lock.
 */
export class KeyringStore implements CredentialStore {
  readonly kind = 'keyring' as const;
  readonly location: string;
  readonly note: string | undefined;
  readonly service: string;

  constructor(
    private readonly file: FileStore,
    private readonly keyring: KeyringClient,
    private readonly options: KeyringStoreOptions,
  ) {
    this.service = options.service;
    this.location = `${keyring.backend} (service "${options.service}")`;
    this.note = options.note;
  }

  /** The raw auth.json entry: credentials, a keyring marker, or undefined. */
  async entry(profile: string): Promise<unknown> {
    const doc = await this.file.readAll();
    return doc !== undefined && Object.hasOwn(doc.profiles, profile) ? doc.profiles[profile] : undefined;
  }

  async get(profile: string): Promise<Credentials | undefined> {
    const doc = await this.file.readAll();
    return doc === undefined ? undefined : this.read(doc.profiles, profile);
  }

  /** The credentials an auth.json document points at: from the keyring, or plain in the file. */
  private async read(profiles: Record<string, unknown>, profile: string): Promise<Credentials | undefined> {
    const entry = Object.hasOwn(profiles, profile) ? profiles[profile] : undefined;
    if (entry === undefined) return undefined;
    // Plain credentials another store kind wrote: valid as they are; the next put moves them here.
    if (!isKeyringMarker(entry)) return this.file.credentialsIn(profiles, profile);
    const value = await this.keyring.get(entry.service, entry.account);
    if (value === undefined) {
      // "No entry" is also what an unusable keyring answers: tell the two apart.
      await this.keyring.probe(this.service);
      const flag = profile === 'default' ? '' : ` --profile ${profile}`;
      throw new KeyturnError(
        'not_signed_in',
        `The ${this.keyring.backend} no longer holds the credentials of profile "${profile}" (removed outside keyturn?).`,
        { fix: ({ command }) => `Sign in again: \`${command} login${flag}\`.` },
      );
    }
    return parseKeyringValue(value, profile, this.keyring.backend);
  }

  async put(profile: string, credentials: Credentials): Promise<void> {
    await this.update(profile, () => credentials, { read: false });
  }

  /**
   * The secret and its marker change together under auth.json's lock: two writers (a `login` and a
   * refresh) can never leave the marker of one beside the secret of the other.
   */
  async update(
    profile: string,
    change: CredentialsChange,
    options: { read?: boolean } = {},
  ): Promise<Credentials | undefined> {
    let after: Credentials | undefined;
    let stale: KeyringMarker | undefined;
    await this.file.transact(async (profiles) => {
      const before = Object.hasOwn(profiles, profile) ? profiles[profile] : undefined;
      after = options.read === false ? undefined : await this.read(profiles, profile);
      const next = change(after);
      if (next === undefined) return false;
      after = next;
      try {
        await this.keyring.set(this.service, profile, JSON.stringify(next));
      } catch (thrown) {
        const fallback = this.options.fallback;
        if (fallback === undefined || !(thrown instanceof KeyringUnusable)) throw thrown;
        fallback.output.warn(
          `${thrown.message} Keeping the credentials of profile "${profile}" in ${this.file.path} instead (store = "auto").`,
        );
        await fallback.onUnusable(thrown);
        profiles[profile] = next;
        return true;
      }
      profiles[profile] = markerFor(next, this.service, profile);
      // The secrets are in the keyring now: an entry under another name (moved KEYTURN_HOME) is stale.
      if (isKeyringMarker(before) && (before.service !== this.service || before.account !== profile)) {
        stale = before;
      }
      return true;
    });
    if (stale !== undefined) await this.keyring.delete(stale.service, stale.account).catch(() => false);
    return after;
  }

  async delete(profile: string): Promise<boolean> {
    let removed = false;
    await this.file.transact(async (profiles) => {
      const entry = Object.hasOwn(profiles, profile) ? profiles[profile] : undefined;
      if (entry === undefined) return false;
      if (isKeyringMarker(entry)) await this.keyring.delete(entry.service, entry.account);
      delete profiles[profile];
      removed = true;
      return true;
    });
    return removed;
  }
}

/**
 * `store = "file"` while auth.json still points at a keyring entry that cannot be moved here (the
 * keyring is unusable now): reading says so; a new sign-in simply replaces the marker.
 */
export class StrandedKeyringStore implements CredentialStore {
  readonly kind = 'file' as const;
  readonly location: string;
  readonly note: string;

  constructor(
    private readonly file: FileStore,
    private readonly keyring: KeyringClient,
    private readonly marker: KeyringMarker,
    private readonly problem: KeyringUnusable,
    private readonly output: Output,
  ) {
    this.location = file.path;
    this.note = `the credentials are still in the ${keyring.backend}, which cannot be used here: ${problem.reason}`;
  }

  async get(profile: string): Promise<Credentials | undefined> {
    const flag = profile === 'default' ? '' : ` --profile ${profile}`;
    throw new KeyturnError(
      'store_unreadable',
      `The credentials of profile "${profile}" are in the ${this.keyring.backend} (store = "keyring" when they were saved), which cannot be used here: ${this.problem.reason}.`,
      {
        fix: ({ command }) =>
          `Make the keyring usable once so keyturn moves them into auth.json (${this.problem.remedy}), or sign in again here: \`${command} login${flag}\`.`,
        evidence: { store: 'keyring', service: this.marker.service, account: this.marker.account },
      },
    );
  }

  async update(profile: string): Promise<Credentials | undefined> {
    return this.get(profile);
  }

  async put(profile: string, credentials: Credentials): Promise<void> {
    await this.file.put(profile, credentials);
    this.output.warn(
      `The old keyring entry of profile "${profile}" (${this.keyring.backend}, service "${this.marker.service}") could not be removed: ${this.problem.reason}.`,
    );
  }

  async delete(profile: string): Promise<boolean> {
    const removed = await this.file.delete(profile);
    this.output.warn(
      `Removed keyturn's record of profile "${profile}", but its ${this.keyring.backend} entry (service "${this.marker.service}", account "${this.marker.account}") could not be removed: ${this.problem.reason}.`,
    );
    return removed;
  }
}
