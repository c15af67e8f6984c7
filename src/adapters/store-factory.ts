import type { Profile } from '../core/config.js';
import type { CredentialStore } from '../core/store.js';
import { FileStore } from './file-store.js';
import type { KeyturnPaths } from './paths.js';
import type { Output } from '../flows/deps.js';

/** Chooses the credential store of a profile. */
export async function openStore(
  _profile: Profile,
  paths: KeyturnPaths,
  _options: { env: Record<string, string | undefined>; output: Output },
): Promise<CredentialStore> {
  return new FileStore(paths.authFile);
}
