import { describe, expect, it } from 'vitest';
import { portInUseError } from '../../src/core/port-in-use.js';
import { exitCodeFor } from '../../src/core/errors.js';

describe('the one port_in_use error that login and doctor both show', () => {
  it("names WSL's relay and says to sign in on one side only (seed 002)", () => {
    const error = portInUseError({
      port: 1455,
      host: '127.0.0.1',
      holder: { pid: 12528, name: 'wslrelay.exe' },
      errno: 'EADDRINUSE',
      platform: 'win32',
    });
    expect(error.code).toBe('port_in_use');
    expect(error.message).toBe('Port 1455 on 127.0.0.1 is already in use by wslrelay.exe (pid 12528).');
    expect(error.fix).toMatch(/^WSL's relay holds the port .*`keyturn login --device`/);
    expect(error.evidence).toMatchObject({ port: 1455, pid: 12528, process_name: 'wslrelay.exe' });
    expect(exitCodeFor(error)).toBe(1);
  });

  it('tells how to stop any other holder, in the words of the platform', () => {
    const holder = { pid: 4242, name: 'python3' };
    expect(portInUseError({ port: 1455, holder, platform: 'linux' }).fix).toContain('`kill 4242`');
    expect(portInUseError({ port: 1455, holder, platform: 'win32' }).fix).toContain('`taskkill /PID 4242`');
  });

  it('offers to cancel another keyturn login instead of killing it', () => {
    const error = portInUseError({
      port: 1455,
      holder: { pid: 77, name: 'node', keyturn: true },
      platform: 'linux',
    });
    expect(error.message).toContain('another keyturn sign-in waiting for its browser');
    expect(error.fix).toContain('keyturn login --cancel-other');
    expect(error.evidence.keyturn).toBe(true);
  });

  it('says how to find a holder the OS did not name', () => {
    expect(portInUseError({ port: 1455, platform: 'linux' }).fix).toContain("ss -ltnp 'sport = :1455'");
    expect(portInUseError({ port: 1455, platform: 'darwin' }).fix).toContain(
      'lsof -nP -iTCP:1455 -sTCP:LISTEN',
    );
    expect(portInUseError({ port: 1455, platform: 'win32' }).fix).toContain('netstat -ano | findstr :1455');
  });

  it('points at the fallback: taken when allowed, suggested when not', () => {
    const holder = { pid: 1, name: 'x' };
    expect(portInUseError({ port: 1455, holder, platform: 'linux', fallback: true }).fix).toContain(
      'meanwhile `keyturn login` takes another port',
    );
    expect(portInUseError({ port: 1455, holder, platform: 'linux' }).fix).toContain(
      'set `redirect_port_fallback = true`',
    );
  });

  it('tells a port this user may not bind apart from a busy one', () => {
    const error = portInUseError({ port: 80, errno: 'EACCES', platform: 'linux' });
    expect(error.message).toContain('permission denied');
    expect(error.fix).toContain('above 1023');
  });
});
