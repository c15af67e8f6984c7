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
}

export const STORE_VERSION = 1;

/** The document in auth.json. */
export interface AuthFile {
  version: number;
  profiles: Record<string, Credentials>;
}
