import { readFile } from 'node:fs/promises';
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
    return parsed as ConfigFile;
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
