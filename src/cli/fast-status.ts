import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CredentialStore } from '../core/store.js';
import { isCredentials } from '../core/credentials.js';
import { inert, inertJson } from '../core/sanitize.js';
import { KEYTURN_APP } from '../core/app.js';
import {
  PROBE_FILE,
  fallbackNote,
  probeEnvironment,
  rememberedVerdict,
} from '../adapters/keyring-verdict.js';
import { keyringBackend } from '../adapters/keyring-errors.js';
import { getStatus } from '../flows/status.js';
import { formatStatus, statusExitCode } from './status-format.js';
import { writeOut } from './write-out.js';
import type { SignIn } from './launcher.js';

/**
 * `keyturn status` on the launcher (launcher.ts tryFastStatus), for a sign-in in auth.json: the full
 * CLI's report (flows/status.ts), printed through the same gate (core/sanitize.ts). Loaded only for
 * `status`, so that `token` does not pay for it. False when the full CLI must answer.
 */
export async function fastStatus(
  signIn: SignIn,
  json: boolean,
  env: Record<string, string | undefined>,
): Promise<boolean> {
  const { paths, profile } = signIn;
  let note: string | undefined;
  if (profile.store === 'auto') {
    let text;
    try {
      text = readFileSync(join(paths.dataDir, PROBE_FILE), 'utf8');
    } catch {
      return false;
    }
    const verdict = rememberedVerdict(text, probeEnvironment(process.platform, env), Date.now());
    if (verdict?.usable !== false) return false;
    note = fallbackNote(keyringBackend(), verdict.reason);
  } else if (profile.store !== 'file') return false;
  const store: CredentialStore = {
    kind: 'file',
    location: paths.authFile,
    ...(note === undefined ? {} : { note }),
    get: async (name) =>
      name === signIn.key && isCredentials(signIn.credentials) ? signIn.credentials : undefined,
    put: () => Promise.reject(new Error('read only')),
    delete: () => Promise.reject(new Error('read only')),
    update: () => Promise.reject(new Error('read only')),
  };
  let report;
  try {
    report = await getStatus({ store: async () => store, now: () => Date.now(), app: KEYTURN_APP }, profile);
  } catch {
    return false;
  }
  if (json) writeOut(`${inertJson(report)}\n`);
  else
    writeOut(
      formatStatus(report)
        .map((line) => `${inert(line, { multiline: true })}\n`)
        .join(''),
    );
  process.exitCode = statusExitCode(report);
  return true;
}
