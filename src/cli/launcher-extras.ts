/**
 * What the launcher (launcher.ts) needs only in some runs — the report of a keyring failure,
 * `status` — built as a file of its own (dist/keyturn-extras.cjs) and required when one of those
 * runs needs it: `keyturn token` with a valid token in auth.json neither compiles nor initialises
 * any of it.
 */
export { reportedKeyringFailure } from './keyring-failure.js';
export { fastStatus } from './fast-status.js';
