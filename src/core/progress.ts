/**
 * What a sign-in tells its user while it runs, as data: the CLI turns each event into a line on
 * stderr, a library author shows it however their CLI shows things. Field names are snake_case, as
 * in every JSON document of keyturn.
 */
import type { AppIdentity } from './app.js';

/** One step of a sign-in, told as data; `type` tells which (a discriminated union). */
export type ProgressEvent =
  /** Open this URL to sign in (RFC 6749 §4.1.1 authorization request, with PKCE). */
  | { type: 'authorization_url'; url: string }
  /** The system browser (or the `BROWSER` command) was started with the authorization URL. */
  | { type: 'browser_opened' }
  /** No browser could be opened: the user opens the URL, or signs in with the device flow. */
  | { type: 'browser_failed' }
  /** The user code to enter at the verification URI (RFC 8628 §3.2–3.3). */
  | {
      type: 'user_code';
      verification_uri: string;
      /** The verification URI with the code in it, when the provider gives one (RFC 8628 §3.3.1). */
      verification_uri_complete: string | null;
      user_code: string;
      /** Seconds until the code expires. */
      expires_in: number;
      /** Seconds between polls. */
      interval: number;
    }
  /** Waiting for the browser's callback, or for the user to approve the device code. */
  | { type: 'waiting'; for: 'callback' | 'device_approval'; timeout_seconds: number }
  /** The sign-in completed and is stored. */
  | { type: 'signed_in'; profile: string; subject: string | null };

/** The line the CLI prints for an event; `undefined` for events it shows otherwise, or not at all. */
export function describeProgress(
  event: ProgressEvent,
  app: Pick<AppIdentity, 'command'>,
): string | undefined {
  switch (event.type) {
    case 'authorization_url':
      return `Open this URL to sign in: ${event.url}`;
    case 'browser_opened':
      return 'Opened your browser; finish signing in there.';
    case 'browser_failed':
      return `Could not open a browser: open the URL above yourself, or use \`${app.command} login --device\`.`;
    case 'user_code': // the CLI shows it as a block of its own; a library client as describeUserCode
    case 'waiting':
    case 'signed_in':
      return undefined;
  }
}

/** One line telling the user where to go and which code to enter (the device flow, RFC 8628 §3.3). */
export function describeUserCode(event: Extract<ProgressEvent, { type: 'user_code' }>): string {
  const link =
    event.verification_uri_complete === null
      ? ''
      : ` (or open ${event.verification_uri_complete}, which fills the code in)`;
  return `To sign in, open ${event.verification_uri} and enter the code ${event.user_code}${link}.`;
}
