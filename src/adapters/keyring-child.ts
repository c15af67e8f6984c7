/**
 * The keyring child program: runs one `@napi-rs/keyring` call and answers one JSON line. The keyring
 * client (keyring-client.ts) starts it as `node dist/keyring-child.cjs` (its own CommonJS entry in
 * tsup.config.ts) and kills it when the keyring does not answer in time: on Linux the library blocks
 * until the D-Bus peer answers, and only a process can be stopped in the middle of a native call.
 * The request (secrets included) comes on stdin, the answer goes to stdout; nothing in argv.
 */
import { readFileSync } from 'node:fs';
import type { Entry as KeyringEntry } from '@napi-rs/keyring';
import { KEYUTILS_FALLBACK, type KeyringAnswer, type KeyringRequest } from './keyring-protocol.js';

type EntryClass = new (service: string, account: string) => KeyringEntry;

/** The first line of whatever was thrown: the library's messages can run on. */
function firstLine(thrown: unknown): string {
  return String((thrown instanceof Error ? thrown.message : undefined) ?? thrown).split('\n')[0] ?? '';
}

/**
 * Without a Secret Service the library silently uses the kernel keyutils keyring, which does not
 * survive a reboot: an entry of ours showing up in /proc/keys means exactly that.
 */
function inKeyutils(service: string, account: string): boolean {
  if (process.platform !== 'linux') return false;
  try {
    return readFileSync('/proc/keys', 'utf8').includes(`${account}@${service}`);
  } catch {
    return false;
  }
}

function set(entry: KeyringEntry, request: KeyringRequest, value: string): void {
  entry.setPassword(value);
  if (inKeyutils(request.service, request.account)) {
    try {
      entry.deleteCredential();
    } catch {
      // Gone with the process's keyring at worst.
    }
    throw new Error(KEYUTILS_FALLBACK);
  }
}

/** True when an entry was removed; false when there was none. */
function remove(entry: KeyringEntry): boolean {
  try {
    return entry.deleteCredential() !== false;
  } catch (thrown) {
    if (/no (matching )?entry/i.test(firstLine(thrown))) return false;
    throw thrown;
  }
}

function perform(Entry: EntryClass, request: KeyringRequest): KeyringAnswer {
  const entry = new Entry(request.service, request.account);
  switch (request.op) {
    case 'get':
      return { ok: true, value: entry.getPassword() ?? null };
    case 'set':
      set(entry, request, request.value ?? '');
      return { ok: true };
    case 'delete':
      return { ok: true, value: remove(entry) };
    case 'probe': {
      const value = request.value ?? '';
      set(entry, request, value);
      const back = entry.getPassword();
      remove(entry);
      if (back !== value) throw new Error('the probe entry did not read back');
      return { ok: true };
    }
    default:
      return { ok: false, stage: 'op', message: 'unknown operation' };
  }
}

function answer(request: KeyringRequest): KeyringAnswer {
  let Entry: EntryClass;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    Entry = (require(request.module) as { Entry: EntryClass }).Entry;
  } catch (thrown) {
    return { ok: false, stage: 'load', message: firstLine(thrown) };
  }
  try {
    return perform(Entry, request);
  } catch (thrown) {
    return { ok: false, stage: 'op', message: firstLine(thrown) };
  }
}

const chunks: Buffer[] = [];
process.stdin.on('data', (chunk: Buffer) => chunks.push(chunk));
process.stdin.on('end', () => {
  const request = JSON.parse(Buffer.concat(chunks).toString('utf8')) as KeyringRequest;
  process.stdout.write(JSON.stringify(answer(request)));
});
