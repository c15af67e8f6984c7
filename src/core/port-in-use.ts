import { KeyturnError } from './errors.js';

/** Who listens on a port, as far as the OS tells. */
export interface PortHolder {
  pid?: number;
  name?: string;
  /**
   * The command line, to tell who it is (another keyturn or Codex login). Never shown nor put in
   * evidence: its arguments may be secrets, and the holder ends up in the shareable report.
   */
  command?: string;
  /** The holder is another keyturn login that can be asked to stop. */
  keyturn?: boolean;
}

export interface PortInUseFacts {
  port: number;
  /** The address that could not be bound, when one was. */
  host?: string;
  redirectUri?: string;
  holder?: PortHolder;
  /** EADDRINUSE or EACCES. */
  errno?: string;
  platform: string;
  /** The profile may take another loopback port (RFC 8252 §7.3). */
  fallback?: boolean;
}

/** How to find a port's holder when the OS did not tell us. */
function findCommand(port: number, platform: string): string {
  if (platform === 'darwin') return `lsof -nP -iTCP:${port} -sTCP:LISTEN`;
  if (platform === 'win32') return `netstat -ano | findstr :${port}`;
  return `ss -ltnp 'sport = :${port}'`;
}

/**
 * The one `port_in_use` error, for `login` and `doctor` alike: names the holder (pid, process name)
 * and the fix that fits it — another keyturn login, WSL's relay (seed 002), or any other process.
 */
export function portInUseError(facts: PortInUseFacts): KeyturnError {
  const { port, holder, platform } = facts;
  const evidence: Record<string, unknown> = { port };
  if (facts.host !== undefined) evidence.host = facts.host;
  if (facts.redirectUri !== undefined) evidence.redirect_uri = facts.redirectUri;
  if (facts.errno !== undefined) evidence.errno = facts.errno;
  if (facts.errno === 'EACCES') {
    return new KeyturnError('port_in_use', `This user may not listen on port ${port} (permission denied).`, {
      fix: 'Use a redirect URI with a port above 1023, registered at the provider.',
      evidence,
    });
  }
  if (holder?.pid !== undefined) evidence.pid = holder.pid;
  if (holder?.name !== undefined) evidence.process_name = holder.name;
  if (holder?.keyturn === true) evidence.keyturn = true;

  let who = 'another process (the OS does not say which to this user)';
  if (holder?.pid !== undefined)
    who = holder.name === undefined ? `pid ${holder.pid}` : `${holder.name} (pid ${holder.pid})`;
  if (holder?.keyturn === true) who += ', another keyturn sign-in waiting for its browser';

  let fix: (command: string) => string;
  if (holder?.keyturn === true) {
    fix = (command) =>
      `Another ${command} login is waiting on this port: finish it, or cancel it with \`${command} login --cancel-other\` (on a terminal, \`${command} login\` offers to)`;
  } else if (holder?.name !== undefined && /wslrelay/i.test(holder.name)) {
    fix = (command) =>
      `WSL's relay holds the port for a ${command} (or other tool) running inside WSL: sign in on one side only, or use \`${command} login --device\``;
  } else if (holder?.pid !== undefined) {
    const stop = platform === 'win32' ? `taskkill /PID ${holder.pid}` : `kill ${holder.pid}`;
    fix = (command) =>
      `Stop ${holder.name === undefined ? `pid ${holder.pid}` : `${holder.name} (pid ${holder.pid})`}: \`${stop}\`, then run \`${command} login\` again`;
  } else {
    fix = () => `Find the holder with \`${findCommand(port, platform)}\` and stop it`;
  }
  const then = (command: string) =>
    facts.fallback
      ? `; meanwhile \`${command} login\` takes another port (redirect_port_fallback = true).`
      : ', or set `redirect_port_fallback = true` if the provider accepts any loopback port.';
  let where = `Port ${port}`;
  if (facts.host !== undefined) where += ` on ${facts.host}`;
  if (facts.redirectUri !== undefined) where += ` of the redirect URI ${facts.redirectUri}`;
  return new KeyturnError('port_in_use', `${where} is already in use by ${who}.`, {
    fix: ({ command }) => fix(command) + then(command),
    evidence,
  });
}
