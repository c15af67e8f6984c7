/**
 * The refresh lock as the launcher (launcher.ts) uses it in a storm, built as a file of its own
 * (dist/keyturn-lock.cjs) and required only by a run whose token is due: look at the holder
 * (liveHolder), take the lock when it is free (tryAcquire), hand it to the full CLI (handOver).
 */
export { handOver, liveHolder, tryAcquire } from '../adapters/lock.js';
