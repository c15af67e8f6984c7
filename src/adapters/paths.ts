import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';

export interface KeyturnPaths {
  configFile: string;
  dataDir: string;
  authFile: string;
  lockDir: string;
}

/** KEYTURN_HOME holds everything; otherwise the platform's config and data folders (XDG on Linux). */
export function resolvePaths(
  env: Record<string, string | undefined>,
  platform: NodeJS.Platform = process.platform,
): KeyturnPaths {
  const home = env.KEYTURN_HOME;
  if (home !== undefined && home !== '') {
    return {
      configFile: join(home, 'config.toml'),
      dataDir: home,
      authFile: join(home, 'auth.json'),
      lockDir: home,
    };
  }
  const user = env.HOME || homedir();
  // XDG: unset, empty or relative values are ignored.
  const xdg = (value: string | undefined, fallback: string) =>
    value !== undefined && isAbsolute(value) ? value : fallback;
  let configDir: string;
  let dataDir: string;
  if (platform === 'darwin') {
    configDir = dataDir = join(user, 'Library', 'Application Support', 'keyturn');
  } else if (platform === 'win32') {
    configDir = join(env.APPDATA ?? join(user, 'AppData', 'Roaming'), 'keyturn');
    dataDir = join(env.LOCALAPPDATA ?? join(user, 'AppData', 'Local'), 'keyturn');
  } else {
    configDir = join(xdg(env.XDG_CONFIG_HOME, join(user, '.config')), 'keyturn');
    dataDir = join(xdg(env.XDG_DATA_HOME, join(user, '.local', 'share')), 'keyturn');
  }
  return {
    configFile: join(configDir, 'config.toml'),
    dataDir,
    authFile: join(dataDir, 'auth.json'),
    lockDir: dataDir,
  };
}
