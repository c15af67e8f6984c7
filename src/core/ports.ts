import type { ProgressEvent } from './progress.js';
import type { TokenResponse } from './credentials.js';
import type { KeyturnError } from './errors.js';

/**
 * The shapes of the side effects flows take through `deps` (flows/deps.ts), declared here so that
 * both the flows and the adapters that implement them import them downward. Types only.
 */

/** Where progress, narration and warnings go: stderr, never stdout. */
export interface Output {
  info(message: string): void;
  warn(message: string): void;
  /** A step of the sign-in narration (`keyturn demo`); silent otherwise unless verbose. */
  step(title: string, detail: string): void;
  debug(message: string): void;
  /**
   * Progress of a sign-in, as data (the library's `onProgress`). Without it, each event that has a
   * line (core/progress.ts) goes to `info`.
   */
  progress?(event: ProgressEvent): void;
}

/** The endpoints of the provider in use: discovered, with the profile's explicit ones over them. */
export interface ProviderEndpoints {
  issuer: string;
  authorization_endpoint?: string;
  token_endpoint?: string;
  device_authorization_endpoint?: string;
  revocation_endpoint?: string;
  scopes_supported?: string[];
}

/** A token endpoint answer (RFC 6749 §5.1), with the id token's claims once validated (OIDC Core §3.1.3.7). */
export interface TokenSet extends TokenResponse {
  /** The validated id token's claims, when one came. */
  claims?: Record<string, unknown>;
}

/** A device authorization answer (RFC 8628 §3.2); handed back as is to {@link OAuthProvider.pollDeviceAuthorization}. */
export interface DeviceAuthorization {
  device_code: string;
  user_code: string;
  verification_uri: string;
  verification_uri_complete?: string;
  expires_in: number;
  interval?: number;
}

/** What the authorization response must match (RFC 7636, RFC 6749 §10.12, OIDC Core §3.1.2.1). */
export interface AuthorizationChecks {
  pkceCodeVerifier: string;
  expectedState: string;
  expectedNonce?: string;
  idTokenExpected: boolean;
}

/**
 * One provider, configured for one profile: every OAuth request a flow makes. Built over
 * openid-client in adapters/oauth.ts; every failure comes out as a catalog `KeyturnError`.
 */
export interface OAuthProvider {
  readonly endpoints: ProviderEndpoints;
  /** A fresh PKCE verifier and its S256 challenge, a state and a nonce. */
  newChecks(): Promise<{ codeVerifier: string; codeChallenge: string; state: string; nonce: string }>;
  authorizationUrl(parameters: Record<string, string>): string;
  /** RFC 6749 §4.1.3 with PKCE: `callbackUrl` is the redirect URI with the response's query. */
  authorizationCodeGrant(
    callbackUrl: URL,
    checks: AuthorizationChecks,
    /** Extra token request parameters (RFC 8707 `resource`). */
    parameters?: Record<string, string>,
  ): Promise<TokenSet>;
  /** RFC 6749 §6; `timeoutMs` bounds this one request; `parameters` are extra request parameters. */
  refreshTokenGrant(
    refreshToken: string,
    options?: { timeoutMs?: number; parameters?: Record<string, string> },
  ): Promise<TokenSet>;
  /** RFC 8628 §3.1. */
  deviceAuthorization(parameters: Record<string, string>): Promise<DeviceAuthorization>;
  /** RFC 8628 §3.4-3.5: polls until approved, denied, expired or aborted. */
  pollDeviceAuthorization(
    authorization: DeviceAuthorization,
    signal: AbortSignal,
    /** Extra token request parameters (`token_params`). */
    parameters?: Record<string, string>,
  ): Promise<TokenSet>;
  /**
   * Asks the authorization endpoint, before the browser does, whether it accepts this request: the
   * catalog error of a provider that would show an error page (unknown client, unregistered redirect
   * URI, invalid scope) instead of redirecting back; undefined when it would go on.
   */
  preflight(authorizationUrl: string, redirectUri: string): Promise<KeyturnError | undefined>;
  /** RFC 7009. */
  revoke(token: string, hint: 'refresh_token' | 'access_token'): Promise<void>;
  /** Releases the connections. */
  close(): Promise<void>;
}

/** Who holds a lock, as its file says. */
export interface LockHolder {
  pid?: number;
  host?: string;
}

export interface LockOptions {
  /** Called once when the lock is not free at first. */
  onWait?: (holder: LockHolder) => void;
  /** Called once after `waitNoticeMs` of waiting, so a waiting command can say why it waits. */
  onLongWait?: (holder: LockHolder) => void;
  /** Default 1500 ms. */
  waitNoticeMs?: number;
  /** Give up after waiting this long (a {@link LockTimeout}); default: wait as long as the holder lives. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** What the lock throws when `timeoutMs` passes with the lock still held by a live holder. */
export interface LockTimeout extends Error {
  name: 'LockTimeoutError';
  path: string;
  holder: LockHolder;
}

export function isLockTimeout(error: unknown): error is LockTimeout {
  return error instanceof Error && error.name === 'LockTimeoutError';
}

/** A named cross-process lock (one file in the data folder per name). */
export type LockPort = <T>(name: string, fn: () => Promise<T>, options?: LockOptions) => Promise<T>;
