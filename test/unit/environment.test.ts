import { describe, expect, it } from 'vitest';
import { browserSignInAdvice, detectEnvironment, type EnvironmentFacts } from '../../src/core/environment.js';

const NO_FILES: EnvironmentFacts['files'] = { dockerenv: false, containerenv: false, cgroup: '0::/\n' };
const GNOME = { DISPLAY: ':0' };

function linux(env: Record<string, string | undefined>, files: Partial<EnvironmentFacts['files']> = {}) {
  return detectEnvironment({ env, platform: 'linux', files: { ...NO_FILES, ...files } });
}

describe('detectEnvironment', () => {
  it('a Linux desktop: a browser can be opened and nothing stands in the way', () => {
    const report = linux(GNOME);
    expect(report).toMatchObject({ ssh: false, wsl: false, display: true, canOpenBrowser: true });
    expect(report.container).toBeUndefined();
    expect(report.reasons).toEqual([]);
    expect(report.findings).toEqual([]);
    expect(browserSignInAdvice(report, 1455)).toEqual([]);
  });

  it('Wayland alone is a display too', () => {
    expect(linux({ WAYLAND_DISPLAY: 'wayland-0' }).canOpenBrowser).toBe(true);
  });

  it('Linux without DISPLAY or WAYLAND_DISPLAY: no browser can be opened', () => {
    const report = linux({ DISPLAY: '', WAYLAND_DISPLAY: undefined });
    expect(report).toMatchObject({ display: false, canOpenBrowser: false, browserElsewhere: true });
    expect(report.findings.map((f) => f.code)).toEqual(['no_browser']);
    expect(report.reasons[0]).toMatch(/neither DISPLAY nor WAYLAND_DISPLAY/);
    expect(browserSignInAdvice(report, 1455).join('\n')).toMatch(/keyturn login --device/);
  });

  it.each([
    ['SSH_CONNECTION', '203.0.113.5 52144 198.51.100.7 22'],
    ['SSH_CLIENT', '203.0.113.5 52144 22'],
    ['SSH_TTY', '/dev/pts/3'],
  ])('an SSH session (%s) says so and suggests the device flow and an ssh -L forward', (name, value) => {
    const report = linux({ [name]: value });
    expect(report).toMatchObject({ ssh: true, canOpenBrowser: false, browserElsewhere: true });
    expect(report.findings).toHaveLength(1);
    expect(report.findings[0]).toMatchObject({ code: 'no_browser', evidence: { ssh: true, variable: name } });
    expect(report.reasons[0]).toMatch(/SSH session/);
    // The client's address is not evidence anybody needs.
    expect(JSON.stringify(report)).not.toContain('203.0.113.5');
    const advice = browserSignInAdvice(report, 18461).join('\n');
    expect(advice).toMatch(/--device/);
    expect(advice).toContain('ssh -L 18461:localhost:18461 HOST');
  });

  it('SSH with X forwarding (DISPLAY set): the browser runs here, so nothing stands in the way', () => {
    const report = linux({ SSH_CONNECTION: '203.0.113.5 52144 198.51.100.7 22', DISPLAY: 'localhost:10.0' });
    expect(report).toMatchObject({ ssh: true, canOpenBrowser: true, browserElsewhere: false });
    expect(report.findings).toEqual([]);
  });

  it('Docker: /.dockerenv', () => {
    const report = linux({}, { dockerenv: true });
    expect(report.container).toBe('docker');
    expect(report.canOpenBrowser).toBe(false);
    expect(report.findings).toEqual([
      expect.objectContaining({
        code: 'no_browser',
        evidence: { container: 'docker', source: '/.dockerenv' },
      }),
    ]);
    // One finding for the container, not a second one for the missing display.
    expect(report.reasons).toHaveLength(1);
    expect(browserSignInAdvice(report, 1455).join('\n')).toMatch(/--network host/);
  });

  it('Docker: a cgroup v1 path naming docker', () => {
    const cgroup = '12:pids:/docker/3f1c2b8e0d\n11:memory:/docker/3f1c2b8e0d\n';
    expect(linux({}, { cgroup }).container).toBe('docker');
  });

  it('Podman: /run/.containerenv', () => {
    expect(linux({}, { containerenv: true }).container).toBe('podman');
  });

  it('Podman: a libpod cgroup', () => {
    expect(linux({}, { cgroup: '0::/machine.slice/libpod-4a5b.scope\n' }).container).toBe('podman');
  });

  it('Kubernetes: a kubepods cgroup wins over the /.dockerenv it also has', () => {
    const cgroup = '11:memory:/kubepods/burstable/pod1234/abcd\n';
    const report = linux({}, { cgroup, dockerenv: true });
    expect(report.container).toBe('kubernetes');
    expect(report.findings[0]?.evidence).toMatchObject({ container: 'kubernetes' });
  });

  it('Kubernetes: KUBERNETES_SERVICE_HOST', () => {
    expect(linux({ KUBERNETES_SERVICE_HOST: '10.96.0.1' }).container).toBe('kubernetes');
  });

  it('another container manager that sets `container=` (systemd convention)', () => {
    const report = linux({ container: 'lxc' });
    expect(report.container).toBe('container');
    expect(report.reasons[0]).toMatch(/container=lxc/);
  });

  it('a cgroup v2 root with no marker file is not a container', () => {
    expect(linux(GNOME, { cgroup: '0::/\n' }).container).toBeUndefined();
  });

  it('a container with a display (a desktop container) can open its browser', () => {
    const report = linux(GNOME, { dockerenv: true });
    expect(report).toMatchObject({ container: 'docker', canOpenBrowser: true });
    expect(report.findings).toEqual([]);
  });

  it('WSL: WSL_DISTRO_NAME', () => {
    const report = linux({ WSL_DISTRO_NAME: 'Ubuntu-24.04' });
    expect(report).toMatchObject({ wsl: true, browserElsewhere: false });
    expect(report.findings.map((f) => f.code)).toEqual(['wsl']);
    expect(report.findings[0]?.evidence).toMatchObject({ source: 'WSL_DISTRO_NAME=Ubuntu-24.04' });
    expect(report.reasons[0]).toMatch(/Windows side/);
  });

  it('WSL: "microsoft" in /proc/version', () => {
    const procVersion =
      'Linux version 5.15.153.1-microsoft-standard-WSL2 (root@941d701f84f1) (gcc (GCC) 11.2.0) #1 SMP\n';
    expect(linux({}, { procVersion }).wsl).toBe(true);
  });

  it('an ordinary Linux kernel is not WSL', () => {
    const procVersion =
      'Linux version 6.8.0-45-generic (buildd@lcy02-amd64-115) (gcc 13.2.0) #45-Ubuntu SMP\n';
    expect(linux(GNOME, { procVersion }).wsl).toBe(false);
  });

  it('WSL over SSH reports both', () => {
    const report = linux({ WSL_DISTRO_NAME: 'Ubuntu', SSH_TTY: '/dev/pts/0' });
    expect(report.findings.map((f) => f.code).sort()).toEqual(['no_browser', 'wsl']);
  });

  it('macOS and Windows have a display without DISPLAY', () => {
    for (const platform of ['darwin', 'win32']) {
      const report = detectEnvironment({
        env: {},
        platform,
        files: { dockerenv: false, containerenv: false },
      });
      expect(report).toMatchObject({ platform, display: true, canOpenBrowser: true, wsl: false });
      expect(report.findings).toEqual([]);
    }
  });

  it('macOS over SSH: `open` would show the browser on the remote console, so it is not tried', () => {
    const report = detectEnvironment({
      env: { SSH_CONNECTION: '203.0.113.5 52144 198.51.100.7 22' },
      platform: 'darwin',
      files: { dockerenv: false, containerenv: false },
    });
    expect(report).toMatchObject({ ssh: true, display: false, canOpenBrowser: false });
    expect(report.findings.map((f) => f.code)).toEqual(['no_browser']);
  });

  it('/proc/version mentioning Microsoft on macOS is not WSL (only Linux can be)', () => {
    const report = detectEnvironment({
      env: {},
      platform: 'darwin',
      files: { dockerenv: false, containerenv: false, procVersion: 'microsoft' },
    });
    expect(report.wsl).toBe(false);
  });

  it('BROWSER is the user’s choice: `none` turns opening off, a command turns it on', () => {
    expect(linux({ ...GNOME, BROWSER: 'none' }).canOpenBrowser).toBe(false);
    const chosen = linux({ BROWSER: 'w3m' }, { dockerenv: true });
    expect(chosen).toMatchObject({ canOpenBrowser: true, browserOverride: 'w3m' });
    // It still says the browser may not reach the callback.
    expect(chosen.findings.map((f) => f.code)).toEqual(['no_browser']);
  });
});
