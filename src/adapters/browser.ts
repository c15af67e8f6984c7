import { spawn } from 'node:child_process';

/**
 * Opens a URL in the user's browser. `BROWSER` (as git and many CLIs read it) wins; otherwise the
 * platform's opener. The browser's own chatter never reaches our stdout.
 */
export function openBrowser(
  url: string,
  env: Record<string, string | undefined>,
  platform = process.platform,
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
    try {
      const child = spawn(command, args, { stdio: 'ignore', detached: true, env: env as NodeJS.ProcessEnv });
      child.once('error', () => resolve(false));
      child.once('spawn', () => {
        child.unref();
        resolve(true);
      });
    } catch {
      resolve(false);
    }
  });
}
