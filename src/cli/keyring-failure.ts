/**
 * The report of a keyring the hot path could not read in time, apart from the bus client that read
 * it: `status`, which shares its file (launcher-extras.ts), then loads neither the client nor `net`.
 */
import { KeyringUnusable } from '../adapters/keyring-errors.js';
import { exitCodeFor } from '../core/errors.js';
import { createOutput } from './output.js';

/**
 * Reports a failure of the hot path's keyring read (fast-keyring.ts) exactly as the full CLI would
 * (the output gate, the exit code) and answers true; false for anything else, which the full CLI
 * takes over.
 *
 * The error comes from another file (dist/keyturn-keyring.cjs), whose bundle has its own copy of
 * KeyringUnusable: `instanceof` never holds across the two. It is recognised by its shape and made
 * again here from its three facts, which make its message, fix and evidence.
 */
export function reportedKeyringFailure(
  error: unknown,
  argv: string[],
  env: Record<string, string | undefined>,
): boolean {
  const unusable = asKeyringUnusable(error);
  if (unusable === undefined) return false;
  const json = argv.includes('--json');
  createOutput({ json, narrate: false, debug: env.KEYTURN_DEBUG === '1', env }).error(unusable);
  process.exitCode = exitCodeFor(unusable);
  return true;
}

function asKeyringUnusable(error: unknown): KeyringUnusable | undefined {
  if (!(error instanceof Error) || error.name !== 'KeyturnError') return undefined;
  const { code, backend, reason, remedy } = error as Error & Record<string, unknown>;
  if (code !== 'store_unreadable') return undefined;
  if (typeof backend !== 'string' || typeof reason !== 'string' || typeof remedy !== 'string')
    return undefined;
  const again = new KeyringUnusable(backend, reason, remedy);
  // Only an error this class made: the same message from the same facts.
  return again.message === error.message ? again : undefined;
}
