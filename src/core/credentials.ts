import type { McpBinding } from './mcp.js';

/**
 * The provider configuration a sign-in was made with, stored beside its credentials so that the
 * profile is complete from then on (SPEC "A sign-in remembers its provider"). Never a secret: a
 * client secret stays in config.toml or the environment.
 */
export interface ProviderBinding {
  issuer?: string;
  authorization_endpoint?: string;
  token_endpoint?: string;
  device_authorization_endpoint?: string;
  revocation_endpoint?: string;
  client_id?: string;
  scopes?: string[];
  redirect_uri?: string;
  /** RFC 8707 resource indicator. */
  resource?: string;
  authorize_params?: Record<string, string>;
  token_params?: Record<string, string>;
}

/** What the store holds for one profile. Secrets live only here and in the store. */
export interface OAuthCredentials {
  kind: 'oauth';
  issuer: string;
  client_id: string;
  /** The provider configuration of the sign-in (absent in credentials stored by keyturn 0.1). */
  provider?: ProviderBinding;
  access_token: string;
  token_type: string;
  /** Unix seconds; from the JWT `exp` when the access token is a JWT, else issue time + `expires_in`. */
  expires_at?: number;
  refresh_token?: string;
  id_token?: string;
  scope?: string;
  /** Unix seconds when these tokens were obtained. */
  obtained_at: number;
  /** Non-secret identity claims from the id_token, for `status`. */
  claims?: { sub?: string; email?: string; name?: string; preferred_username?: string };
  /** Set when the refresh token was rejected for good: the next `token` fails at once without a network call. */
  refresh_dead?: { at: number; code: string; message: string; fix: string };
  /** A sign-in to an MCP server (SPEC.md "MCP servers"): its resource, server and client. */
  mcp?: McpBinding;
}

export interface ApiKeyCredentials {
  kind: 'api_key';
  issuer?: string;
  client_id?: string;
  provider?: ProviderBinding;
  api_key: string;
  obtained_at: number;
}

export type Credentials = OAuthCredentials | ApiKeyCredentials;

/** The token response fields we keep (RFC 6749 §5.1). */
export interface TokenResponse {
  access_token: string;
  token_type?: string;
  expires_in?: number;
  refresh_token?: string;
  id_token?: string;
  scope?: string;
}

/** Below this length a key shows nothing: its last four would be a fifth of it or more. */
export const MASK_MIN_LENGTH = 20;

/**
 * Masks an API key for display: `sk-…abcd`. A long key shows its kind (a prefix such as `sk-` or
 * `ghp_`, at most 4 characters before the separator) and its last 4; a short one shows `…` alone.
 */
export function maskSecret(secret: string): string {
  if (secret.length < MASK_MIN_LENGTH) return '…';
  const separator = /^[A-Za-z]{1,4}[-_]/.exec(secret);
  return `${separator?.[0] ?? ''}…${secret.slice(-4)}`;
}

/** Whether a stored entry is usable credentials (a hand-edited or damaged one must not reach the flows). */
export function isCredentials(value: unknown): value is Credentials {
  if (typeof value !== 'object' || value === null) return false;
  const entry = value as Record<string, unknown>;
  if (entry.kind === 'oauth') return typeof entry.access_token === 'string' && entry.access_token !== '';
  if (entry.kind === 'api_key') return typeof entry.api_key === 'string' && entry.api_key !== '';
  return false;
}
