import type { Credentials } from './credentials.js';

/** Where credentials live. Implementations: adapters/file-store.ts, adapters/keyring-store.ts. */
export interface CredentialStore {
  readonly kind: 'file' | 'keyring';
  /** Human description: the file path, or the keyring service. */
  readonly location: string;
  /** Why this store was chosen when it is not the one asked for (auto fallback). */
  readonly note?: string;
  get(profile: string): Promise<Credentials | undefined>;
  put(profile: string, credentials: Credentials): Promise<void>;
  delete(profile: string): Promise<boolean>;
  /**
   * The store's transaction: reads the profile's credentials and writes what `change` makes of them,
   * under the store's cross-process lock, so nothing can come in between (a refresh's
   * compare-and-write against a `login` finishing meanwhile). `change` returns the new credentials,
   * or `undefined` to leave them as they are. Resolves with what the store holds afterwards.
   */
  update(profile: string, change: CredentialsChange): Promise<Credentials | undefined>;
}

/** What a transaction makes of a profile's credentials; `undefined` leaves them unchanged. */
export type CredentialsChange = (current: Credentials | undefined) => Credentials | undefined;

export const STORE_VERSION = 1;

/** The document in auth.json. */
export interface AuthFile {
  version: number;
  profiles: Record<string, Credentials>;
}

/** The lock that makes a profile's refresh single-flight across processes (a file in the data folder). */
export function refreshLockName(profile: string): string {
  return `refresh-${encodeURIComponent(profile)}`;
}
