import { access, readFile } from 'node:fs/promises';
import { detectEnvironment, type EnvironmentReport } from '../core/environment.js';

export type { EnvironmentReport } from '../core/environment.js';

const exists = (path: string): Promise<boolean> =>
  access(path).then(
    () => true,
    () => false,
  );
const contentOf = (path: string): Promise<string | undefined> =>
  readFile(path, 'utf8').then(
    (text) => text.slice(0, 64 * 1024),
    () => undefined,
  );

/**
 * Reads the facts `detectEnvironment` decides on — `/.dockerenv`, `/run/.containerenv`,
 * `/proc/1/cgroup`, `/proc/version` (Linux only) — and returns its report.
 */
export async function readEnvironment(
  env: Record<string, string | undefined>,
  platform: string = process.platform,
): Promise<EnvironmentReport> {
  const linux = platform === 'linux';
  const [dockerenv, containerenv, cgroup, procVersion] = await Promise.all([
    linux ? exists('/.dockerenv') : false,
    linux ? exists('/run/.containerenv') : false,
    linux ? contentOf('/proc/1/cgroup') : undefined,
    linux ? contentOf('/proc/version') : undefined,
  ]);
  const files: Parameters<typeof detectEnvironment>[0]['files'] = { dockerenv, containerenv };
  if (cgroup !== undefined) files.cgroup = cgroup;
  if (procVersion !== undefined) files.procVersion = procVersion;
  return detectEnvironment({ env, platform, files });
}
