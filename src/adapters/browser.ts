import { spawn, type ChildProcess } from 'node:child_process';

/** How long an opener may run before it counts as the browser itself, which took the URL. */
const OPENER_GRACE_MS = 3_000;

/**
 * Opens a URL in the user's browser. `BROWSER` (as git and many CLIs read it) wins; otherwise the
 * platform's opener. The browser's own chatter never reaches our stdout. True only when the opener
 * says it opened the URL: "Opened your browser" must not be said when it did not.
 */
export function openBrowser(
  url: string,
  env: Record<string, string | undefined>,
  platform = process.platform,
  graceMs = OPENER_GRACE_MS,
): Promise<boolean> {
  let command: string;
  let args: string[];
  const browser = env.BROWSER;
  if (browser !== undefined && browser !== '') {
    if (browser === 'none' || browser === 'false') return Promise.resolve(false);
    command = browser;
    args = [url];
  } else if (platform === 'darwin') {
    command = 'open';
    args = [url];
  } else if (platform === 'win32') {
    command = 'rundll32';
    args = ['url.dll,FileProtocolHandler', url];
  } else {
    command = 'xdg-open';
    args = [url];
  }
  return new Promise((resolve) => {
    let child: ChildProcess;
    try {
      child = spawn(command, args, { stdio: 'ignore', detached: true, env: env as NodeJS.ProcessEnv });
    } catch {
      return resolve(false);
    }
    let timer: NodeJS.Timeout | undefined;
    let settled = false;
    const settle = (opened: boolean) => {
      if (settled) return;
      settled = true;
      if (timer !== undefined) clearTimeout(timer);
      child.unref();
      resolve(opened);
    };
    // Not found, not executable.
    child.on('error', () => settle(false));
    // xdg-open, open and rundll32 return at once, and say by their exit status whether a browser
    // took the URL (xdg-open exits 3 when it finds none, 4 when the browser failed).
    child.once('exit', (code) => settle(code === 0));
    // An opener that keeps running is the browser itself (BROWSER=firefox): it took the URL.
    child.once('spawn', () => {
      timer = setTimeout(() => settle(true), graceMs);
      timer.unref();
    });
  });
}
