import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { KeyturnError } from '../core/errors.js';
import type { ConfigFile } from '../core/config.js';

/** Reads config.toml; a missing file is an empty config. The TOML parser loads only when there is a file. */
export async function readConfigFile(path: string): Promise<ConfigFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new KeyturnError('config_invalid', `Cannot read ${path}: ${(error as Error).message}`);
  }
  const { parse } = await import('smol-toml');
  try {
    const parsed = parse(text) as Record<string, unknown>;
    const profiles = parsed.profiles;
    if (
      profiles !== undefined &&
      (typeof profiles !== 'object' || profiles === null || Array.isArray(profiles))
    ) {
      throw new Error('[profiles] must be a table of tables');
    }
    if (parsed.default_profile !== undefined && typeof parsed.default_profile !== 'string') {
      throw new Error('default_profile must be a string');
    }
    return anchorPaths(parsed as ConfigFile, dirname(path));
  } catch (error) {
    throw new KeyturnError(
      'config_invalid',
      `${path} is not valid: ${(error as Error).message.split('\n')[0]}`,
      {
        fix: `Fix the TOML syntax in ${path}.`,
      },
    );
  }
}

/** The settings of a profile that name files. */
const PATH_KEYS = ['ca_file'] as const;

/**
 * A relative path in config.toml means a file beside config.toml, never one in the current folder:
 * otherwise a repository could plant `ca.pem` for whoever runs keyturn inside it. (`--ca-file` and
 * KEYTURN_CA_FILE stay relative to the current folder, as users expect of a flag.)
 */
function anchorPaths(config: ConfigFile, folder: string): ConfigFile {
  for (const table of Object.values(config.profiles ?? {})) {
    if (typeof table !== 'object' || table === null) continue;
    const settings = table as Record<string, unknown>;
    for (const key of PATH_KEYS) {
      const value = settings[key];
      if (typeof value === 'string' && value !== '' && !isAbsolute(value))
        settings[key] = resolve(folder, value);
    }
  }
  return config;
}
