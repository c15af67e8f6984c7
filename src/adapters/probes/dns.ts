import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { withDeadline } from './deadline.js';

/**
 * Resolves a host the way connections do (getaddrinfo: /etc/hosts, then DNS), bounded in time.
 * An IP literal resolves to itself.
 */
export async function resolveHost(hostname: string, timeoutMs: number): Promise<string[]> {
  const host = hostname.replace(/^\[|\]$/g, '');
  if (isIP(host) !== 0) return [host];
  const found = await withDeadline(lookup(host, { all: true }), timeoutMs);
  return found.map((entry) => entry.address);
}
