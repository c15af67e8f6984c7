import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { findPortHolder, parseLsof, parseNetstat, parseTasklist } from '../../src/adapters/port-holder.js';

describe('naming the holder of a port from the platform tools', () => {
  it('lsof -F pc (macOS): pid and command name', () => {
    expect(parseLsof('p4242\ncControlCenter\nf12\n')).toEqual({ pid: 4242, name: 'ControlCenter' });
    expect(parseLsof('')).toBeUndefined();
  });

  it('netstat -ano (Windows): the listening socket on the port, also on a German Windows', () => {
    const english = [
      '',
      'Active Connections',
      '',
      '  Proto  Local Address          Foreign Address        State           PID',
      '  TCP    127.0.0.1:14550        0.0.0.0:0              LISTENING       1111',
      '  TCP    127.0.0.1:1455         127.0.0.1:50123        ESTABLISHED     2222',
      '  TCP    127.0.0.1:1455         0.0.0.0:0              LISTENING       4567',
    ].join('\r\n');
    expect(parseNetstat(english, 1455)).toBe(4567);
    const german = '  TCP    [::1]:1455             [::]:0                 ABHÖREN         8910\r\n';
    expect(parseNetstat(german, 1455)).toBe(8910);
    expect(parseNetstat(english, 9999)).toBeUndefined();
  });

  it('tasklist /FO CSV /NH (Windows): the image name', () => {
    expect(parseTasklist('"wslrelay.exe","4567","Console","1","5,432 K"\r\n')).toBe('wslrelay.exe');
    expect(
      parseTasklist('INFO: No tasks are running which match the specified criteria.\r\n'),
    ).toBeUndefined();
  });
});

describe('findPortHolder on this machine', () => {
  let server: Server | undefined;
  afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

  it.runIf(process.platform === 'linux')(
    'names this very process as the holder of a port it listens on',
    async () => {
      server = createServer();
      const port = await new Promise<number>((resolve) =>
        server!.listen(0, '127.0.0.1', () => resolve((server!.address() as { port: number }).port)),
      );
      const holder = await findPortHolder(port);
      expect(holder).toMatchObject({ pid: process.pid });
      expect(holder?.name).toBeTruthy();
    },
  );

  it('a port nobody listens on has no holder', async () => {
    server = createServer();
    const port = await new Promise<number>((resolve) =>
      server!.listen(0, '127.0.0.1', () => resolve((server!.address() as { port: number }).port)),
    );
    await new Promise<void>((resolve) => server!.close(() => resolve()));
    server = undefined;
    expect(await findPortHolder(port)).toBeUndefined();
  });
});
