import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
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

  it('has no problem with a socket that accepts', async () => {
    const path = join(dir, 'bus');
    server = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => server?.listen(path, resolve));
    expect(await sessionBusProblem({ DBUS_SESSION_BUS_ADDRESS: `unix:path=${path}` }, 2000)).toBeUndefined();
  });

  it('names each socket that does not accept, with the error', async () => {
    const path = join(dir, 'gone');
    const problem = await sessionBusProblem({ DBUS_SESSION_BUS_ADDRESS: `unix:path=${path}` }, 2000);
    expect(problem?.reason).toBe(`the D-Bus session bus does not accept connections (${path}: ENOENT)`);
    expect(problem?.remedy).toMatch(/dbus-run-session/);
  });

  it('says there is no session bus when nothing names one', async () => {
    const problem = await sessionBusProblem({}, 2000);
    expect(problem?.reason).toBe('no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set)');
  });
});
