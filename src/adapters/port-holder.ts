import { readFile, readdir, readlink } from 'node:fs/promises';
import type { PortHolder } from './loopback.js';

/**
 * Who listens on a TCP port, from /proc on Linux: the socket's inode in /proc/net/tcp{,6}, then the
 * process whose fd points at `socket:[inode]`.
 */
export async function findPortHolder(port: number): Promise<PortHolder | undefined> {
  if (process.platform !== 'linux') return undefined;
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
        const holder: PortHolder = { pid: Number(pid) };
        if (name !== '') holder.name = name;
        if (command !== '') holder.command = command.slice(0, 200);
        if (/keyturn|dist\/cli\.js/.test(command)) holder.keyturn = true;
        return holder;
      }
    }
  }
  return {};
}
