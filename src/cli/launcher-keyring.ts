/**
 * The keyring read of the launcher's hot path (fast-keyring.ts), built as a file of its own
 * (dist/keyturn-keyring.cjs): a keyring `token` loads the bus client and nothing else it does not need.
 */
export { withKeyringSecret } from './fast-keyring.js';
