import { execFile } from 'node:child_process';
import { readFile, readdir, readlink } from 'node:fs/promises';
import { request } from 'node:http';
import { connect } from 'node:net';
import { CANCEL_HEADER, CANCEL_PATH, type PortHolder } from './loopback.js';

/**
 * Who listens on a TCP port, so `port_in_use` can name it: /proc on Linux, `lsof` on macOS (and
 * other Unixes), `netstat -ano` + `tasklist` on Windows. Undefined when nothing is found listening;
 * `{}` when something listens but the OS does not say who (another user's process).
 */
export async function findPortHolder(
  port: number,
  platform: string = process.platform,
): Promise<PortHolder | undefined> {
  if (platform === 'linux') return fromProc(port);
  if (platform === 'win32') return fromNetstat(port);
  return fromLsof(port);
}

/** Another keyturn login waits on the port: the one holder we may ask to stop. */
const isKeyturn = (command: string): boolean => /keyturn|dist[/\\]cli\.js/i.test(command);

/** The command line only tells who the holder is: it never reaches a message (core/port-in-use.ts). */
function holderOf(pid: number, name: string, command: string): PortHolder {
  const holder: PortHolder = { pid };
  if (name !== '') holder.name = name;
  if (command !== '') holder.command = command.slice(0, 200);
  if (isKeyturn(command)) holder.keyturn = true;
  return holder;
}

async function fromProc(port: number): Promise<PortHolder | undefined> {
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const text = await readFile(table, 'utf8').catch(() => '');
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      const local = fields[1];
      const state = fields[3];
      const inode = fields[9];
      if (local === undefined || inode === undefined || state !== '0A') continue; // 0A = LISTEN
      const hexPort = local.split(':').pop();
      if (hexPort !== undefined && parseInt(hexPort, 16) === port) inodes.add(inode);
    }
  }
  if (inodes.size === 0) return undefined;
  const pids = await readdir('/proc').catch(() => [] as string[]);
  for (const pid of pids) {
    if (!/^\d+$/.test(pid)) continue;
    const fds = await readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
    for (const fd of fds) {
      const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
      const match = /^socket:\[(\d+)\]$/.exec(target);
      if (match?.[1] !== undefined && inodes.has(match[1])) {
        const name = (await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '')).trim();
        const command = (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => ''))
          .split('\0')
          .filter(Boolean)
          .join(' ');
        return holderOf(Number(pid), name, command);
      }
    }
  }
  return {};
}

function run(file: string, args: string[]): Promise<string> {
  return new Promise((resolve) => {
    execFile(file, args, { timeout: 5_000, windowsHide: true }, (_error, stdout) =>
      resolve(typeof stdout === 'string' ? stdout : ''),
    );
  });
}

/** `lsof -F pc` output: a `p<pid>` line, then `c<command name>`. */
export function parseLsof(output: string): { pid: number; name: string } | undefined {
  let pid: number | undefined;
  for (const line of output.split('\n')) {
    if (line.startsWith('p') && pid === undefined) pid = Number(line.slice(1));
    else if (line.startsWith('c') && pid !== undefined) return { pid, name: line.slice(1).trim() };
  }
  return pid === undefined || Number.isNaN(pid) ? undefined : { pid, name: '' };
}

async function fromLsof(port: number): Promise<PortHolder | undefined> {
  const found = parseLsof(await run('lsof', ['-nP', `-iTCP:${port}`, '-sTCP:LISTEN', '-Fpc']));
  if (found === undefined) return undefined;
  const command = (await run('ps', ['-o', 'command=', '-p', String(found.pid)])).trim();
  return holderOf(found.pid, found.name, command);
}

/**
 * The pid listening on `port` in `netstat -ano -p TCP` output. The state column is translated on
 * non-English Windows, so a listening socket is told by its unspecified foreign address.
 */
export function parseNetstat(output: string, port: number): number | undefined {
  for (const line of output.split(/\r?\n/)) {
    const fields = line.trim().split(/\s+/);
    if (fields[0]?.toUpperCase() !== 'TCP' || fields.length < 5) continue;
    const local = fields[1] ?? '';
    const foreign = fields[2] ?? '';
    const pid = Number(fields[fields.length - 1]);
    const localPort = Number(local.slice(local.lastIndexOf(':') + 1));
    if (localPort === port && /^(0\.0\.0\.0|\[::\]|\*):(0|\*)$/.test(foreign) && pid > 0) return pid;
  }
  return undefined;
}

/** The image name in `tasklist /FO CSV /NH` output: `"wslrelay.exe","4567",…`. */
export function parseTasklist(output: string): string | undefined {
  const match = /^"([^"]+)","\d+"/m.exec(output);
  return match?.[1];
}

async function fromNetstat(port: number): Promise<PortHolder | undefined> {
  const pid = parseNetstat(await run('netstat', ['-ano', '-p', 'TCP']), port);
  if (pid === undefined) return undefined;
  const name = parseTasklist(await run('tasklist', ['/FI', `PID eq ${pid}`, '/FO', 'CSV', '/NH'])) ?? '';
  return holderOf(pid, name, name);
}

/**
 * Asks the keyturn login waiting on `host:port` to stop (the `/cancel` path of its callback server;
 * the custom header keeps web pages out, as they cannot send it without a CORS preflight).
 * Resolves true when it agreed.
 */
export function cancelWaitingLogin(host: string, port: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(
      {
        host: host.replace(/^\[|\]$/g, ''),
        port,
        method: 'POST',
        path: CANCEL_PATH,
        headers: { [CANCEL_HEADER]: String(process.pid), 'content-length': 0 },
        timeout: 3_000,
        ...(signal === undefined ? {} : { signal }),
      },
      (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      },
    );
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

const accepts = (host: string, port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = connect({ host: host.replace(/^\[|\]$/g, ''), port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

/** Waits until nothing accepts connections on `host:port` any more; false if it stays held. */
export async function waitForPortFree(
  host: string,
  port: number,
  timeoutMs: number,
  sleep: (ms: number) => Promise<void>,
): Promise<boolean> {
  const hosts = host === 'localhost' ? ['127.0.0.1', '::1'] : [host];
  for (let waited = 0; waited <= timeoutMs; waited += 100) {
    const held = await Promise.all(hosts.map((h) => accepts(h, port)));
    if (!held.includes(true)) return true;
    await sleep(100);
  }
  return false;
}
