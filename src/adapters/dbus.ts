import { existsSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import {
  MESSAGE_TYPE,
  decodeMessage,
  encodeMethodCall,
  type DbusMessage,
  type MethodCall,
} from './dbus-wire.js';

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

/** The bus did not finish what was asked within the time allowed: it hangs, or whatever answers for it. */
export class BusTimedOut extends Error {
  constructor() {
    super('the D-Bus session bus did not answer in time');
  }
}

/** The bus could not be reached, or refused us (`code`: ENOENT, ECONNREFUSED, REJECTED, …). */
export class BusUnreachable extends Error {
  constructor(readonly code: string) {
    super(`the D-Bus session bus cannot be reached (${code})`);
  }
}

/** A method call answered with a D-Bus error (`errorName`: org.freedesktop.DBus.Error.ServiceUnknown, …). */
export class DbusCallError extends Error {
  constructor(
    readonly errorName: string,
    detail: string,
  ) {
    super(`${errorName}: ${detail}`);
  }
}

interface Waiter<T> {
  resolve(value: T): void;
  reject(error: Error): void;
}

/**
 * One client connection to a bus over a unix socket, every step bounded by one deadline: at
 * `timeoutMs` after opening, whatever is still waiting fails with BusTimedOut and the socket closes.
 * Authenticates with SASL EXTERNAL (the peer credentials of the socket; D-Bus specification,
 * "Authentication Protocol"), then makes method calls.
 */
export class BusConnection {
  private readonly socket: Socket;
  private readonly timer: NodeJS.Timeout;
  private received = Buffer.alloc(0);
  private authenticated = false;
  /** The socket accepted the connection (whatever the bus said after). */
  connected = false;
  private serial = 0;
  private failure: Error | undefined;
  private readonly pending = new Map<number, Waiter<DbusMessage>>();
  private authWaiter: Waiter<void> | undefined;
  private readonly authenticating: Promise<void>;

  constructor(path: string, timeoutMs: number) {
    this.authenticating = new Promise<void>((resolve, reject) => (this.authWaiter = { resolve, reject }));
    // Nobody may be waiting on it (a call fails first): keep its rejection from going unhandled.
    this.authenticating.catch(() => undefined);
    this.timer = setTimeout(() => this.fail(new BusTimedOut()), timeoutMs);
    this.socket = connect({ path });
    // Written now, sent on connect (net.Socket queues writes while connecting): BEGIN and calls may
    // follow before the answer, as sd-bus pipelines them, to spare the round trip.
    const uid = String(process.getuid?.() ?? '');
    this.socket.write(`\0AUTH EXTERNAL ${Buffer.from(uid, 'ascii').toString('hex')}\r\n`);
    this.socket.on('connect', () => (this.connected = true));
    this.socket.on('data', (chunk: Buffer) => this.receive(chunk));
    this.socket.on('error', (error: NodeJS.ErrnoException) =>
      this.fail(new BusUnreachable(error.code ?? error.message)),
    );
    this.socket.on('close', () => this.fail(new BusUnreachable('the bus closed the connection')));
  }

  /** Resolves once the bus has accepted us (`OK <guid>`). */
  ready(): Promise<void> {
    return this.authenticating;
  }

  /**
   * Starts the message stream (BEGIN, then the Hello every bus client sends first), without waiting
   * for the handshake's answer. Calls may follow at once: the bus handles them in order.
   */
  begin(): void {
    this.socket.write('BEGIN\r\n');
    this.call({
      path: '/org/freedesktop/DBus',
      interface: 'org.freedesktop.DBus',
      member: 'Hello',
      destination: 'org.freedesktop.DBus',
    }).catch(() => undefined);
  }

  /** A method call; resolves with its return, rejects with DbusCallError, BusTimedOut, BusUnreachable. */
  call(call: Omit<MethodCall, 'serial'>): Promise<DbusMessage> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    const serial = ++this.serial;
    return new Promise<DbusMessage>((resolve, reject) => {
      this.pending.set(serial, { resolve, reject });
      this.socket.write(encodeMethodCall({ ...call, serial }));
    });
  }

  close(): void {
    clearTimeout(this.timer);
    this.fail(new BusUnreachable('closed'));
  }

  private fail(error: Error): void {
    if (this.failure !== undefined) return;
    this.failure = error;
    clearTimeout(this.timer);
    this.socket.destroy();
    this.authWaiter?.reject(error);
    for (const waiter of this.pending.values()) waiter.reject(error);
    this.pending.clear();
  }

  private receive(chunk: Buffer): void {
    this.received = Buffer.concat([this.received, chunk]);
    if (!this.authenticated) {
      const end = this.received.indexOf('\r\n');
      if (end < 0) {
        if (this.received.length > 4096) this.fail(new BusUnreachable('not a D-Bus server'));
        return;
      }
      const line = this.received.toString('ascii', 0, end);
      this.received = this.received.subarray(end + 2);
      if (!line.startsWith('OK ')) {
        this.fail(new BusUnreachable(line.split(' ')[0] === 'REJECTED' ? 'REJECTED' : 'not a D-Bus server'));
        return;
      }
      this.authenticated = true;
      this.authWaiter?.resolve();
    }
    for (;;) {
      let decoded;
      try {
        decoded = decodeMessage(this.received);
      } catch (error) {
        this.fail(new BusUnreachable(`a garbled message (${(error as Error).message})`));
        return;
      }
      if (decoded === undefined) return;
      this.received = this.received.subarray(decoded.length);
      this.dispatch(decoded.message);
    }
  }

  private dispatch(message: DbusMessage): void {
    const isReply = message.type === MESSAGE_TYPE.methodReturn || message.type === MESSAGE_TYPE.error;
    const waiter =
      isReply && message.replySerial !== undefined ? this.pending.get(message.replySerial) : undefined;
    if (waiter === undefined) return; // Signals (NameAcquired, …) and anything not ours.
    this.pending.delete(message.replySerial as number);
    if (message.type === MESSAGE_TYPE.methodReturn) waiter.resolve(message);
    else {
      const detail = typeof message.body[0] === 'string' ? message.body[0] : '';
      waiter.reject(new DbusCallError(message.errorName ?? 'unknown', detail));
    }
  }
}

const BUS_REMEDY = `Sign in from a desktop session, or start a session bus and a Secret Service (\`dbus-run-session -- sh\`, then \`gnome-keyring-daemon --unlock --components=secrets\`)`;

export type BusProblem =
  | { kind: 'unusable'; reason: string; remedy: string }
  /** A socket accepted the connection, but the bus did not complete the handshake in time. */
  | { kind: 'silent' };

/**
 * Why the session bus cannot serve the keyring: no bus, no socket that accepts a connection, or one
 * that accepts and then says nothing (`silent`). Undefined when a socket answers the SASL handshake
 * (whatever the answer: the library judges it), or the address uses a transport only the library
 * knows. Bounded by `timeoutMs` in all.
 */
export async function sessionBusProblem(
  env: Record<string, string | undefined>,
  timeoutMs: number,
): Promise<BusProblem | undefined> {
  const sockets = sessionBusSockets(env);
  if (sockets === 'other') return undefined;
  if (sockets === 'unset') {
    return {
      kind: 'unusable',
      reason: 'no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set)',
      remedy: BUS_REMEDY,
    };
  }
  const deadline = Date.now() + timeoutMs;
  const failures: string[] = [];
  for (const candidate of sockets) {
    const connection = new BusConnection(candidate.socket, Math.max(1, deadline - Date.now()));
    try {
      await connection.ready();
      return undefined;
    } catch (error) {
      if (error instanceof BusTimedOut) return { kind: 'silent' };
      // It answered (refused our credentials, say, where the library may offer others): the library judges.
      if (connection.connected) return undefined;
      failures.push(`${candidate.label}: ${(error as BusUnreachable).code}`);
    } finally {
      connection.close();
    }
  }
  return {
    kind: 'unusable',
    reason: `the D-Bus session bus does not accept connections (${failures.join('; ')})`,
    remedy: BUS_REMEDY,
  };
}
