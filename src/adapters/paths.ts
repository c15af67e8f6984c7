import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { KEYTURN_APP, type AppIdentity } from '../core/app.js';

export interface KeyturnPaths {
  configFile: string;
  dataDir: string;
  authFile: string;
  lockDir: string;
}

/**
 * KEYTURN_HOME (in the settings environment: an application's own `PREFIX_HOME`, or the library's
 * `home` option) holds everything; otherwise the platform's config and data folders (XDG on Linux),
 * named after the application.
 */
export function resolvePaths(
  env: Record<string, string | undefined>,
  platform: NodeJS.Platform = process.platform,
  app: Pick<AppIdentity, 'name'> = KEYTURN_APP,
): KeyturnPaths {
  const folder = app.name;
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
    configDir = dataDir = join(user, 'Library', 'Application Support', folder);
  } else if (platform === 'win32') {
    configDir = join(env.APPDATA ?? join(user, 'AppData', 'Roaming'), folder);
    dataDir = join(env.LOCALAPPDATA ?? join(user, 'AppData', 'Local'), folder);
  } else {
    configDir = join(xdg(env.XDG_CONFIG_HOME, join(user, '.config')), folder);
    dataDir = join(xdg(env.XDG_DATA_HOME, join(user, '.local', 'share')), folder);
  }
  return {
    configFile: join(configDir, 'config.toml'),
    dataDir,
    authFile: join(dataDir, 'auth.json'),
    lockDir: dataDir,
  };
}
