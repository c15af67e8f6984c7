import type { McpBinding } from './mcp.js';

/** What the store holds for one profile. Secrets live only here and in the store. */
export interface OAuthCredentials {
  kind: 'oauth';
  issuer: string;
  client_id: string;
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

/** Masks an API key for display: `sk-…abcd`. */
export function maskSecret(secret: string): string {
  if (secret.length <= 8) return '…';
  const dash = secret.indexOf('-');
  const prefix = dash > 0 && dash <= 6 ? secret.slice(0, dash + 1) : '';
  return `${prefix}…${secret.slice(-4)}`;
}
