import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';

/**
 * The D-Bus session bus, as far as the keyring needs it: where it is (DBUS_SESSION_BUS_ADDRESS, or
 * $XDG_RUNTIME_DIR/bus) and whether it accepts a connection. On Linux and BSDs the Secret Service
 * lives on that bus; without one, `@napi-rs/keyring` silently falls back to the kernel keyring (lost
 * at reboot), so a missing bus is refused early, with its name.
 */

/** A unix socket the session bus may listen on: `label` for messages, `socket` to connect to. */
export interface BusSocket {
  label: string;
  socket: string;
}

/**
 * The unix sockets of the session bus address, in order; `'unset'` when there is no address (and no
 * $XDG_RUNTIME_DIR/bus, where libdbus and zbus look then); `'other'` when the address names a
 * transport other than a unix path or abstract socket (left to the library).
 */
export function sessionBusSockets(
  env: Record<string, string | undefined>,
  exists: (path: string) => boolean = existsSync,
): BusSocket[] | 'unset' | 'other' {
  const address = env.DBUS_SESSION_BUS_ADDRESS;
  if (address === undefined || address === '') {
    const runtime = env.XDG_RUNTIME_DIR;
    const bus = runtime === undefined || runtime === '' ? undefined : join(runtime, 'bus');
    return bus === undefined || !exists(bus) ? 'unset' : [{ label: bus, socket: bus }];
  }
  const sockets: BusSocket[] = [];
  for (const part of address.split(';')) {
    const [transport, rest = ''] = part.split(/:(.*)/s) as [string, string?];
    const keys = new Map(
      rest.split(',').map((kv) => {
        const eq = kv.indexOf('=');
        return [kv.slice(0, eq), unescapeDbus(kv.slice(eq + 1))] as [string, string];
      }),
    );
    if (transport !== 'unix') return 'other';
    const path = keys.get('path');
    const abstract = keys.get('abstract');
    if (path !== undefined) sockets.push({ label: path, socket: path });
    else if (abstract !== undefined) sockets.push({ label: `@${abstract}`, socket: `\0${abstract}` });
    else return 'other';
  }
  return sockets;
}

/** D-Bus address values escape bytes as %XX (D-Bus specification, "Server Addresses"). */
export function unescapeDbus(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** Connects to a unix socket and hangs up; undefined on success, else the error code. */
export function tryConnect(path: string, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ path });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve('connect timed out');
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(undefined);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve(error.code ?? error.message);
    });
  });
}

const BUS_REMEDY = `Sign in from a desktop session, or start a session bus and a Secret Service (\`dbus-run-session -- sh\`, then \`gnome-keyring-daemon --unlock --components=secrets\`)`;

/**
 * Why the session bus cannot serve the keyring (`reason`, and `remedy` to supply one), or undefined
 * when it accepts a connection (or uses a transport only the library knows).
 */
export async function sessionBusProblem(
  env: Record<string, string | undefined>,
  timeoutMs: number,
): Promise<{ reason: string; remedy: string } | undefined> {
  const sockets = sessionBusSockets(env);
  if (sockets === 'other') return undefined;
  if (sockets === 'unset') {
    return { reason: 'no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set)', remedy: BUS_REMEDY };
  }
  const failures: string[] = [];
  for (const candidate of sockets) {
    const failure = await tryConnect(candidate.socket, Math.min(timeoutMs, 2000));
    if (failure === undefined) return undefined;
    failures.push(`${candidate.label}: ${failure}`);
  }
  return {
    reason: `the D-Bus session bus does not accept connections (${failures.join('; ')})`,
    remedy: BUS_REMEDY,
  };
}
