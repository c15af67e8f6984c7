/** Reads a secret from stdin: a prompt without echo on a TTY, a plain read otherwise. */
export async function readSecretFromStdin(
  prompt: string,
  stderr: NodeJS.WriteStream = process.stderr,
): Promise<string> {
  const stdin = process.stdin;
  if (stdin.isTTY) {
    stderr.write(prompt);
    stdin.setRawMode(true);
    stdin.resume();
    stdin.setEncoding('utf8');
    return new Promise((resolve, reject) => {
      let value = '';
      const onData = (chunk: string) => {
        for (const char of chunk) {
          if (char === '\r' || char === '\n' || char === '\u0004') {
            finish();
            resolve(value);
            return;
          }
          if (char === '\u0003') {
            finish();
            reject(Object.assign(new Error('cancelled'), { name: 'AbortError' }));
            return;
          }
          if (char === '\u007f' || char === '\b') value = value.slice(0, -1);
          else value += char;
        }
      };
      const finish = () => {
        stdin.off('data', onData);
        stdin.setRawMode(false);
        stdin.pause();
        stderr.write('\n');
      };
      stdin.on('data', onData);
    });
  }
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
