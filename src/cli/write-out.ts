import { writeSync } from 'node:fs';

/**
 * Writes what a fast path answers to standard output with write(2) itself. process.stdout builds a
 * stream on its first use — for a pipe a net.Socket, for which Node loads `net` and the stream
 * modules — which costs about 4 ms of CPU a run, more than the rest of `keyturn token` with a valid
 * token (measured against `node -e 0`, bench/token-hotpath.mjs). A descriptor the parent left
 * non-blocking (EAGAIN) gets the rest through process.stdout, which waits; so does Windows, whose
 * console wants process.stdout's conversion. A reader that has gone (EPIPE, `keyturn token | head
 * -c 0`) is not written to any more, as a program stopped by SIGPIPE.
 */
export function writeOut(text: string): void {
  if (process.platform === 'win32') {
    process.stdout.write(text);
    return;
  }
  const bytes = Buffer.from(text, 'utf8');
  let written = 0;
  while (written < bytes.length) {
    try {
      written += writeSync(1, bytes, written);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EPIPE') return;
      if (code !== 'EAGAIN') throw error;
      process.stdout.write(bytes.subarray(written));
      return;
    }
  }
}
