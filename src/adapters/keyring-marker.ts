import { KeyturnError } from '../core/errors.js';
import type { Credentials, OAuthCredentials } from '../core/credentials.js';

/**
 * The keyring store's record in auth.json (the marker) and the keyring entry's value: what the store
 * (keyring-store.ts) writes and reads, and what the hot path (cli/fast-keyring.ts) checks without
 * loading the store. No side effects: the CommonJS executable bundles it.
 */

/**
 * What auth.json holds for a profile whose secrets are in the keyring: where they are, and the
 * non-secret facts `status` and `doctor` may show without asking the keyring.
 */
export interface KeyringMarker {
  store: 'keyring';
  service: string;
  account: string;
  kind: Credentials['kind'];
  issuer?: string;
  client_id?: string;
  /** The sign-in's provider configuration (never a secret): profile resolution reads it here. */
  provider?: Credentials['provider'];
  obtained_at: number;
  expires_at?: number;
  scope?: string;
  claims?: OAuthCredentials['claims'];
  refresh_dead?: OAuthCredentials['refresh_dead'];
  has_refresh_token?: boolean;
}

export function isKeyringMarker(entry: unknown): entry is KeyringMarker {
  if (typeof entry !== 'object' || entry === null) return false;
  const marker = entry as Record<string, unknown>;
  return (
    marker.store === 'keyring' && typeof marker.service === 'string' && typeof marker.account === 'string'
  );
}

/** Only named, non-secret fields: nothing secret can slip into auth.json through a new field. */
export function markerFor(credentials: Credentials, service: string, account: string): KeyringMarker {
  const marker: KeyringMarker = {
    store: 'keyring',
    service,
    account,
    kind: credentials.kind,
    obtained_at: credentials.obtained_at,
  };
  if (credentials.issuer !== undefined) marker.issuer = credentials.issuer;
  if (credentials.client_id !== undefined) marker.client_id = credentials.client_id;
  if (credentials.provider !== undefined) marker.provider = credentials.provider;
  if (credentials.kind === 'oauth') {
    if (credentials.expires_at !== undefined) marker.expires_at = credentials.expires_at;
    if (credentials.scope !== undefined) marker.scope = credentials.scope;
    if (credentials.claims !== undefined) marker.claims = credentials.claims;
    if (credentials.refresh_dead !== undefined) marker.refresh_dead = credentials.refresh_dead;
    marker.has_refresh_token = credentials.refresh_token !== undefined;
  }
  return marker;
}

/** The credentials a keyring entry holds; store_unreadable when it holds anything else. */
export function parseKeyringValue(value: string, profile: string, backend: string): Credentials {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    parsed = undefined;
  }
  const entry = parsed as Record<string, unknown> | undefined;
  const valid =
    typeof entry === 'object' &&
    entry !== null &&
    ((entry.kind === 'oauth' && typeof entry.access_token === 'string') ||
      (entry.kind === 'api_key' && typeof entry.api_key === 'string'));
  if (!valid) {
    throw new KeyturnError(
      'store_unreadable',
      `The ${backend} entry of profile "${profile}" does not hold keyturn credentials.`,
      {
        fix: ({ command }) =>
          `Sign in again: \`${command} login${profile === 'default' ? '' : ` --profile ${profile}`}\` replaces it.`,
        evidence: { store: 'keyring', backend, profile },
      },
    );
  }
  return entry as unknown as Credentials;
}
