import { connect, type Socket } from 'node:net';
import { withDeadline } from './deadline.js';

/** Opens a TCP connection, bounded in time; rejects with the errno (ECONNREFUSED, ETIMEDOUT, …). */
export function connectTcp(host: string, port: number, timeoutMs: number): Promise<Socket> {
  const socket = connect({ host: host.replace(/^\[|\]$/g, ''), port });
  const opened = new Promise<Socket>((resolve, reject) => {
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });
  return withDeadline(opened, timeoutMs, () => socket.destroy());
}

/**
 * Connects to the first of `addresses` that accepts (all tried at once, as Happy Eyeballs would,
 * RFC 8305); when none does, rejects with the first address's error.
 */
export async function connectAny(
  addresses: readonly string[],
  port: number,
  timeoutMs: number,
): Promise<{ socket: Socket; address: string }> {
  const attempts = addresses.map((address) =>
    connectTcp(address, port, timeoutMs).then((socket) => ({ socket, address })),
  );
  try {
    const winner = await Promise.any(attempts);
    // Close the connections that also succeeded.
    for (const attempt of attempts) {
      void attempt.then(
        ({ socket }) => socket !== winner.socket && socket.destroy(),
        () => undefined,
      );
    }
    return winner;
  } catch (error) {
    throw (error as AggregateError).errors?.[0] ?? error;
  }
}
