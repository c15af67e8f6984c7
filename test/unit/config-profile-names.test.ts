import { describe, expect, it } from 'vitest';
import { resolveProfile, type ConfigFile } from '../../src/core/config.js';
import { thrownBy as failure } from '../helpers/thrown.js';

const FILE: ConfigFile = {
  profiles: { default: { issuer: 'https://id.example.com', client_id: 'from-file' } },
};

describe('a profile name is looked up among the profiles config.toml defines, nothing else', () => {
  it('a profile named after a member of every object (constructor, toString) that config.toml does not define is unknown', () => {
    for (const name of ['constructor', 'toString', 'hasOwnProperty', 'valueOf']) {
      const error = failure(() => resolveProfile(FILE, {}, { profile: name }));
      expect(error.code).toBe('config_invalid');
      expect(error.message).toBe(`No profile "${name}" in config.toml.`);
      expect(error.fix).toBe(`Use one of: default; or add a [profiles.${name}] table to config.toml.`);
    }
  });

  it('being signed in to, such a name starts from the defaults, not from Object.prototype', () => {
    const profile = resolveProfile(
      FILE,
      { KEYTURN_ISSUER: 'https://id.example.com', KEYTURN_CLIENT_ID: 'cli' },
      { profile: 'constructor' },
      { signIn: true },
    );
    expect(profile).toMatchObject({ name: 'constructor', issuer: 'https://id.example.com', clientId: 'cli' });
  });

  it('a profile config.toml does define under such a name is found', () => {
    const file: ConfigFile = {
      profiles: JSON.parse(
        '{"constructor": {"issuer": "https://ctor.example", "client_id": "ctor-cli"}}',
      ) as Record<string, Record<string, unknown>>,
    };
    expect(resolveProfile(file, {}, { profile: 'constructor' })).toMatchObject({
      name: 'constructor',
      issuer: 'https://ctor.example',
      clientId: 'ctor-cli',
    });
  });

  it('__proto__ is no profile name at all', () => {
    const error = failure(() => resolveProfile(FILE, {}, { profile: '__proto__' }));
    expect(error.code).toBe('config_invalid');
    expect(error.message).toContain('is not a profile name');
  });
});
