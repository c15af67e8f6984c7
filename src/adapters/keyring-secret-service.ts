import { BusConnection, BusTimedOut, sessionBusSockets } from './dbus.js';
import type { DbusValue } from './dbus-wire.js';

/**
 * Reads one keyring entry straight from the Secret Service (freedesktop.org Secret Service API) over
 * the D-Bus session bus, without the native library: no native call that could hang the process, so
 * one timer bounds the whole read, and nothing to load but a socket. The hot path
 * (cli/fast-keyring.ts) uses it; everything else (writes, probes, explanations) stays with the
 * library in its child process (keyring-client.ts).
 *
 * It reads only what it is sure of: exactly one unlocked item with the library's attributes
 * (`service`, `username`: what `@napi-rs/keyring` writes and searches). Anything else — no bus, no
 * Secret Service, a locked or ambiguous entry — is `undecided`, for the library to handle and explain.
 */

export type SecretLookup =
  | { kind: 'found'; value: string }
  /** The Secret Service answered: no item with these attributes. */
  | { kind: 'none' }
  /** The bus or the Secret Service did not answer within the time allowed. */
  | { kind: 'timeout' }
  | { kind: 'undecided'; why: string };

const SECRETS = 'org.freedesktop.secrets';
const SERVICE_PATH = '/org/freedesktop/secrets';
const SERVICE_INTERFACE = 'org.freedesktop.Secret.Service';

export async function lookupSecret(
  env: Record<string, string | undefined>,
  service: string,
  account: string,
  timeoutMs: number,
): Promise<SecretLookup> {
  const sockets = sessionBusSockets(env);
  const first = Array.isArray(sockets) ? sockets[0] : undefined;
  if (first === undefined) return { kind: 'undecided', why: 'no unix socket for the session bus' };
  const bus = new BusConnection(first.socket, timeoutMs);
  try {
    bus.begin();
    const call = { destination: SECRETS, path: SERVICE_PATH, interface: SERVICE_INTERFACE };
    const attributes: DbusValue = [
      ['service', service],
      ['username', account],
    ];
    // Both calls go out at once; the session ("plain": the secret comes back as it is, over the
    // user's own bus socket) is needed only when there is an item.
    const [search, session] = await Promise.all([
      bus.call({ ...call, member: 'SearchItems', signature: 'a{ss}', body: [attributes] }),
      bus.call({
        ...call,
        member: 'OpenSession',
        signature: 'sv',
        body: ['plain', { signature: 's', value: '' }],
      }),
    ]);
    const [unlocked, locked] = search.body as [string[], string[]];
    if (unlocked.length === 0 && locked.length === 0) return { kind: 'none' };
    const item = unlocked[0];
    if (unlocked.length !== 1 || locked.length !== 0 || item === undefined) {
      return { kind: 'undecided', why: 'the entry is locked or not unique' };
    }
    const sessionPath = session.body[1] as string;
    const secret = await bus.call({
      destination: SECRETS,
      path: item,
      interface: 'org.freedesktop.Secret.Item',
      member: 'GetSecret',
      signature: 'o',
      body: [sessionPath],
    });
    const value = (secret.body[0] as DbusValue[] | undefined)?.[2];
    if (!Buffer.isBuffer(value)) return { kind: 'undecided', why: 'an unexpected GetSecret answer' };
    return { kind: 'found', value: value.toString('utf8') };
  } catch (error) {
    if (error instanceof BusTimedOut) return { kind: 'timeout' };
    return { kind: 'undecided', why: (error as Error).message };
  } finally {
    bus.close();
  }
}
