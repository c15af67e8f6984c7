import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sessionBusProblem, sessionBusSockets, unescapeDbus } from '../../src/adapters/dbus.js';

const nothingExists = () => false;

describe('the session bus address (D-Bus specification, "Server Addresses")', () => {
  it('names the unix socket of a path address, whatever keys follow it', () => {
    const env = { DBUS_SESSION_BUS_ADDRESS: 'unix:path=/run/user/1000/bus,guid=0123456789abcdef' };
    expect(sessionBusSockets(env, nothingExists)).toEqual([
      { label: '/run/user/1000/bus', socket: '/run/user/1000/bus' },
    ]);
  });

  it('unescapes %XX in values, and keeps a value whose escapes are broken as it is', () => {
    const env = { DBUS_SESSION_BUS_ADDRESS: 'unix:path=/tmp/my%20bus%2csocket' };
    expect(sessionBusSockets(env, nothingExists)).toEqual([
      { label: '/tmp/my bus,socket', socket: '/tmp/my bus,socket' },
    ]);
    expect(unescapeDbus('/tmp/100%zz')).toBe('/tmp/100%zz');
  });

  it('connects to an abstract socket through a leading NUL, and names it with @', () => {
    const env = { DBUS_SESSION_BUS_ADDRESS: 'unix:abstract=/tmp/dbus-XyZ,guid=00' };
    expect(sessionBusSockets(env, nothingExists)).toEqual([
      { label: '@/tmp/dbus-XyZ', socket: '\0/tmp/dbus-XyZ' },
    ]);
  });

  it('keeps the order of several addresses', () => {
    const env = { DBUS_SESSION_BUS_ADDRESS: 'unix:path=/a/bus;unix:abstract=b' };
    expect(sessionBusSockets(env, nothingExists)).toEqual([
      { label: '/a/bus', socket: '/a/bus' },
      { label: '@b', socket: '\0b' },
    ]);
  });

  it('leaves transports it does not check to the library', () => {
    for (const address of [
      'tcp:host=127.0.0.1,port=4000',
      'unix:path=/a/bus;tcp:host=::1',
      'unix:runtime=yes',
    ]) {
      expect(sessionBusSockets({ DBUS_SESSION_BUS_ADDRESS: address }, nothingExists), address).toBe('other');
    }
  });

  it('without an address, falls back to $XDG_RUNTIME_DIR/bus where it exists, as libdbus and zbus do', () => {
    const env = { XDG_RUNTIME_DIR: '/run/user/1000' };
    expect(sessionBusSockets(env, (path) => path === '/run/user/1000/bus')).toEqual([
      { label: '/run/user/1000/bus', socket: '/run/user/1000/bus' },
    ]);
    expect(sessionBusSockets(env, nothingExists)).toBe('unset');
    expect(sessionBusSockets({ DBUS_SESSION_BUS_ADDRESS: '' }, () => true)).toBe('unset');
  });
});

describe('whether the session bus accepts a connection', () => {
  let dir: string;
  let server: Server | undefined;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'keyturn-dbus-'));
  });

  afterEach(async () => {
    await new Promise<void>((resolve) => (server === undefined ? resolve() : server.close(() => resolve())));
    server = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  /** A unix socket server: `onLine` gets each line the client sends before BEGIN. */
  async function listen(onLine: (line: string, socket: Socket) => void): Promise<string> {
    const path = join(dir, 'bus');
    server = createServer((socket) => {
      let text = '';
      socket.on('error', () => undefined);
      socket.setEncoding('latin1').on('data', (chunk: string) => {
        text += chunk;
        for (let end = text.indexOf('\r\n'); end >= 0; end = text.indexOf('\r\n')) {
          onLine(text.slice(0, end), socket);
          text = text.slice(end + 2);
        }
      });
    });
    await new Promise<void>((resolve) => server?.listen(path, resolve));
    return `unix:path=${path}`;
  }

  it('has no problem with a bus that accepts our credentials (SASL EXTERNAL with our uid)', async () => {
    const lines: string[] = [];
    const address = await listen((line, socket) => {
      lines.push(line);
      socket.write('OK 0123456789abcdef0123456789abcdef\r\n');
    });
    expect(await sessionBusProblem({ DBUS_SESSION_BUS_ADDRESS: address }, 5000)).toBeUndefined();
    const uid = Buffer.from(String(process.getuid?.()), 'ascii').toString('hex');
    expect(lines).toEqual([`\0AUTH EXTERNAL ${uid}`]);
  });

  it('calls a bus that takes the connection but never answers the handshake silent', async () => {
    const address = await listen(() => undefined);
    expect(await sessionBusProblem({ DBUS_SESSION_BUS_ADDRESS: address }, 300)).toEqual({ kind: 'silent' });
  });

  it('leaves a bus that answers, even to refuse our credentials, to the library (it may offer others)', async () => {
    const address = await listen((_line, socket) => socket.write('REJECTED EXTERNAL DBUS_COOKIE_SHA1\r\n'));
    expect(await sessionBusProblem({ DBUS_SESSION_BUS_ADDRESS: address }, 5000)).toBeUndefined();
  });

  it('names each socket that does not accept, with the error', async () => {
    const path = join(dir, 'gone');
    const problem = await sessionBusProblem({ DBUS_SESSION_BUS_ADDRESS: `unix:path=${path}` }, 2000);
    expect(problem).toMatchObject({
      kind: 'unusable',
      reason: `the D-Bus session bus does not accept connections (${path}: ENOENT)`,
      remedy: expect.stringMatching(/dbus-run-session/),
    });
  });

  it('says there is no session bus when nothing names one', async () => {
    const problem = await sessionBusProblem({}, 2000);
    expect(problem).toMatchObject({
      kind: 'unusable',
      reason: 'no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set)',
    });
  });
});
