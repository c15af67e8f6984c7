import { execFile } from 'node:child_process';

/**
 * Every `credential.<url>.helper` entry git sees from where it ran the helper (system, global, the
 * repository's config and `git -c`), as `git config --null --get-regexp` prints them. Empty when git
 * has none or cannot be run.
 * @see https://git-scm.com/docs/git-config#Documentation/git-config.txt---get-regexp
 */
export function readGitCredentialHelpers(timeoutMs = 5_000): Promise<string> {
  return new Promise((resolve) => {
    execFile(
      'git',
      ['config', '--null', '--get-regexp', '^credential\\..+\\.helper$'],
      { timeout: timeoutMs, encoding: 'utf8', maxBuffer: 1 << 20 },
      // Exit 1 means "no such entry": no helper context at all.
      (error, stdout) => resolve(error === null ? stdout : ''),
    );
  });
}
