/**
 * What the keyring store (keyring-client.ts) and its child program (keyring-child.ts) say to each
 * other: one request as JSON on the child's stdin, one answer as JSON on its stdout. Secrets travel
 * only over these pipes, never in argv or the environment.
 */

export type KeyringOperation = 'get' | 'set' | 'delete' | 'probe';

export interface KeyringRequest {
  op: KeyringOperation;
  /** The resolved path of `@napi-rs/keyring` (the parent has checked that it is installed). */
  module: string;
  service: string;
  account: string;
  /** The secret to store (`set`), or the throwaway value the probe writes and reads back. */
  value?: string;
}

/** Where a failed request failed: loading the native module, or the keyring operation itself. */
export type KeyringFailureStage = 'load' | 'op';

export type KeyringAnswer =
  { ok: true; value?: string | boolean | null } | { ok: false; stage: KeyringFailureStage; message: string };

/**
 * The library's own words for "the kernel keyring, not the Secret Service": the child throws it after
 * a write that went to keyutils (see keyring-child.ts), the parent explains it.
 */
export const KEYUTILS_FALLBACK = 'KEYUTILS: no Secret Service; the library fell back to the kernel keyring';
