/**
 * "Where am I?": whether a browser can be opened here, and whether a browser the user looks at can
 * reach this machine's loopback callback (SSH sessions, containers, WSL, Linux without a display).
 * Pure: the facts (environment variables, platform, a few files) come in from
 * src/adapters/environment.ts, so every case is unit-testable. `login` and `doctor` share it.
 */

export type ContainerKind = 'docker' | 'podman' | 'kubernetes' | 'container';

/** What the adapter reads; tests inject it. */
export interface EnvironmentFacts {
  env: Record<string, string | undefined>;
  /** `process.platform`: 'linux', 'darwin', 'win32', … */
  platform: string;
  files: {
    /** `/.dockerenv` exists. */
    dockerenv: boolean;
    /** `/run/.containerenv` exists (podman, buildah). */
    containerenv: boolean;
    /** Content of `/proc/1/cgroup`. */
    cgroup?: string;
    /** Content of `/proc/version`. */
    procVersion?: string;
  };
}

/** One thing found that stands in the way of the browser sign-in; doctor turns each into a finding. */
export interface EnvironmentFinding {
  code: 'no_browser' | 'wsl';
  /** One sentence saying what was found, for the user. */
  detail: string;
  /** The facts behind it (variable and file names, never their secret-free values beyond a name). */
  evidence: Record<string, string | boolean>;
}

export interface EnvironmentReport {
  platform: string;
  /** An SSH session (`SSH_CONNECTION`, `SSH_CLIENT` or `SSH_TTY`). */
  ssh: boolean;
  /** Which kind of container this runs in, if any. */
  container?: ContainerKind;
  /** Windows Subsystem for Linux (`WSL_DISTRO_NAME`, `WSL_INTEROP`, or "microsoft" in /proc/version). */
  wsl: boolean;
  /** A graphical session: always on macOS/Windows (outside SSH), `DISPLAY`/`WAYLAND_DISPLAY` elsewhere. */
  display: boolean;
  /** The `BROWSER` variable, when set: the user's own choice of opener ('none' turns opening off). */
  browserOverride?: string;
  /** Whether trying to open a browser here makes sense. */
  canOpenBrowser: boolean;
  /**
   * Whether the browser the user will use probably runs on another machine than this loopback
   * callback (SSH, container, no display): the redirect to 127.0.0.1 would then not reach us.
   */
  browserElsewhere: boolean;
  /** What was found, one sentence each, in the order found (empty when nothing is in the way). */
  reasons: string[];
  findings: EnvironmentFinding[];
}

const set = (value: string | undefined): value is string => value !== undefined && value !== '';

/** Container kind from the env, marker files and /proc/1/cgroup, most specific first. */
function detectContainer(facts: EnvironmentFacts): { kind: ContainerKind; evidence: string } | undefined {
  const { env, files } = facts;
  const cgroup = files.cgroup ?? '';
  if (set(env.KUBERNETES_SERVICE_HOST)) return { kind: 'kubernetes', evidence: 'KUBERNETES_SERVICE_HOST' };
  if (/kubepods/.test(cgroup)) return { kind: 'kubernetes', evidence: '/proc/1/cgroup (kubepods)' };
  if (files.containerenv) return { kind: 'podman', evidence: '/run/.containerenv' };
  if (/libpod/.test(cgroup) || env.container === 'podman') {
    return {
      kind: 'podman',
      evidence: /libpod/.test(cgroup) ? '/proc/1/cgroup (libpod)' : 'container=podman',
    };
  }
  if (files.dockerenv) return { kind: 'docker', evidence: '/.dockerenv' };
  if (/\/docker[/-]|docker-.*\.scope/.test(cgroup))
    return { kind: 'docker', evidence: '/proc/1/cgroup (docker)' };
  if (env.container === 'docker') return { kind: 'docker', evidence: 'container=docker' };
  // systemd's convention: container managers set `container=<name>` (lxc, systemd-nspawn, …).
  if (set(env.container)) return { kind: 'container', evidence: `container=${env.container}` };
  if (/\/lxc\//.test(cgroup)) return { kind: 'container', evidence: '/proc/1/cgroup (lxc)' };
  return undefined;
}

/**
 * Decides, from injected facts, whether a browser can be opened here and whether it could reach
 * the loopback redirect (RFC 8252 §7.3). Without one, the device flow (RFC 8628) is the way in.
 */
export function detectEnvironment(facts: EnvironmentFacts): EnvironmentReport {
  const { env, platform } = facts;
  const reasons: string[] = [];
  const findings: EnvironmentFinding[] = [];
  const desktop = platform === 'darwin' || platform === 'win32';

  const sshVariable = ['SSH_CONNECTION', 'SSH_CLIENT', 'SSH_TTY'].find((name) => set(env[name]));
  const ssh = sshVariable !== undefined;
  const container = detectContainer(facts);
  const wslEvidence =
    platform !== 'linux'
      ? undefined
      : set(env.WSL_DISTRO_NAME)
        ? `WSL_DISTRO_NAME=${env.WSL_DISTRO_NAME}`
        : set(env.WSL_INTEROP)
          ? 'WSL_INTEROP'
          : /microsoft|wsl/i.test(facts.files.procVersion ?? '')
            ? '/proc/version (microsoft)'
            : undefined;
  const wsl = wslEvidence !== undefined;
  const displayVariable = ['DISPLAY', 'WAYLAND_DISPLAY'].find((name) => set(env[name]));
  // Over SSH, `open` on macOS / Windows would show the browser on the remote console, not to the user.
  const display = desktop ? !ssh : displayVariable !== undefined;
  const browserOverride = set(env.BROWSER) ? env.BROWSER : undefined;
  const browserOff = browserOverride === 'none' || browserOverride === 'false';

  // With a display (X forwarding, a desktop container) the browser runs here and reaches 127.0.0.1.
  const browserElsewhere = !display && !wsl;
  if (ssh && !display) {
    const detail = `This is an SSH session (${sshVariable}): a browser on your own machine cannot reach this machine's loopback.`;
    reasons.push(detail);
    findings.push({ code: 'no_browser', detail, evidence: { ssh: true, variable: sshVariable } });
  }
  if (container !== undefined && !display) {
    const detail = `This runs in a ${container.kind === 'container' ? 'container' : `${container.kind} container`} (${container.evidence}): a browser outside it cannot reach its loopback unless it shares the host's network.`;
    reasons.push(detail);
    findings.push({
      code: 'no_browser',
      detail,
      evidence: { container: container.kind, source: container.evidence },
    });
  }
  if (!desktop && !wsl && !ssh && container === undefined && !display) {
    const detail = `No graphical display (neither DISPLAY nor WAYLAND_DISPLAY is set): no browser can be opened here.`;
    reasons.push(detail);
    findings.push({ code: 'no_browser', detail, evidence: { display: false, platform } });
  }
  if (wsl) {
    const detail = `This is WSL (${wslEvidence}): the browser and the loopback relay run on the Windows side, where another program may hold the port.`;
    reasons.push(detail);
    findings.push({ code: 'wsl', detail, evidence: { wsl: true, source: wslEvidence } });
  }

  // An explicit BROWSER is the user's choice and wins; otherwise only where a browser can show up.
  const canOpenBrowser = browserOff ? false : browserOverride !== undefined ? true : display;

  const report: EnvironmentReport = {
    platform,
    ssh,
    wsl,
    display,
    canOpenBrowser,
    browserElsewhere,
    reasons,
    findings,
  };
  if (container !== undefined) report.container = container.kind;
  if (browserOverride !== undefined) report.browserOverride = browserOverride;
  return report;
}

/** The `ssh -L` forward that lets a browser on the user's machine reach `port` here. */
export const sshForward = (port: number): string => `ssh -L ${port}:localhost:${port} HOST`;

/**
 * What to suggest when the browser sign-in cannot work as is: the device flow, and over SSH the
 * port forward for the actual redirect port. Empty when nothing stands in the way.
 */
export function browserSignInAdvice(report: EnvironmentReport, port: number, command = 'keyturn'): string[] {
  if (report.findings.length === 0) return [];
  const advice = [`Use \`${command} login --device\` to sign in from any other device.`];
  if (report.ssh && !report.display) {
    advice.push(
      `Or forward the callback port from your machine: \`${sshForward(port)}\`, then open the URL there.`,
    );
  }
  if (report.container !== undefined && !report.display) {
    advice.push(
      'Or run the container on the host network (`docker run --network host …`), so the browser reaches its loopback.',
    );
  }
  return advice;
}
