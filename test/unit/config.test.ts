import { describe, expect, it } from 'vitest';
import {
  DEFAULT_REDIRECT_URI,
  DEFAULT_SCOPES,
  assertSecureUrl,
  requireProvider,
  resolveProfile,
  validateRedirectUri,
  type ConfigFile,
} from '../../src/core/config.js';
import { KeyturnError } from '../../src/core/errors.js';
import { resolvePaths } from '../../src/adapters/paths.js';

const FILE: ConfigFile = {
  profiles: {
    default: { issuer: 'https://id.example.com', client_id: 'from-file' },
    work: {
      issuer: 'https://login.work.example',
      client_id: 'work-cli',
      scopes: ['openid', 'api'],
      redirect_uri: 'http://127.0.0.1:8400/cb',
      redirect_port_fallback: true,
      store: 'file',
      ca_file: '/etc/work-ca.pem',
    },
  },
};

function configError(run: () => unknown): KeyturnError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(KeyturnError);
    expect((error as KeyturnError).code).toBe('config_invalid');
    return error as KeyturnError;
  }
  throw new Error('expected config_invalid');
}

describe('resolveProfile: config file < environment < flags', () => {
  it('uses profile "default" when none is named, with the documented defaults', () => {
    const profile = resolveProfile(FILE, {});
    expect(profile).toEqual({
      name: 'default',
      issuer: 'https://id.example.com',
      clientId: 'from-file',
      scopes: DEFAULT_SCOPES,
      redirectUri: DEFAULT_REDIRECT_URI,
      redirectPortFallback: false,
      store: 'auto',
    });
    expect(DEFAULT_SCOPES).toEqual(['openid', 'profile', 'email', 'offline_access']);
    expect(DEFAULT_REDIRECT_URI).toBe('http://localhost:1455/auth/callback');
  });

  it('reads every key of a profile table', () => {
    expect(resolveProfile(FILE, {}, { profile: 'work' })).toEqual({
      name: 'work',
      issuer: 'https://login.work.example',
      clientId: 'work-cli',
      scopes: ['openid', 'api'],
      redirectUri: 'http://127.0.0.1:8400/cb',
      redirectPortFallback: true,
      store: 'file',
      caFile: '/etc/work-ca.pem',
    });
  });

  it('picks the profile: --profile, then KEYTURN_PROFILE, then default_profile, then "default"', () => {
    const file: ConfigFile = { ...FILE, default_profile: 'work' };
    expect(resolveProfile(file, {}).name).toBe('work');
    expect(resolveProfile(FILE, { KEYTURN_PROFILE: 'work' }).name).toBe('work');
    expect(resolveProfile(file, { KEYTURN_PROFILE: 'default' }).name).toBe('default');
    expect(resolveProfile(file, { KEYTURN_PROFILE: 'work' }, { profile: 'default' }).name).toBe('default');
    // An empty variable counts as unset.
    expect(resolveProfile(file, { KEYTURN_PROFILE: '' }).name).toBe('work');
  });

  it('lets the environment override the file, and flags override both', () => {
    const env = {
      KEYTURN_ISSUER: 'https://env.example',
      KEYTURN_CLIENT_ID: 'env-client',
      KEYTURN_CLIENT_SECRET: 'env-secret',
      KEYTURN_SCOPES: 'openid,env',
      KEYTURN_REDIRECT_URI: 'http://localhost:7000/env',
      KEYTURN_CA_FILE: '/env-ca.pem',
      KEYTURN_STORE: 'keyring',
    };
    const fromEnv = resolveProfile(FILE, env, { profile: 'work' });
    expect(fromEnv).toMatchObject({
      issuer: 'https://env.example',
      clientId: 'env-client',
      clientSecret: 'env-secret',
      scopes: ['openid', 'env'],
      redirectUri: 'http://localhost:7000/env',
      caFile: '/env-ca.pem',
      store: 'keyring',
    });
    const fromFlags = resolveProfile(FILE, env, {
      profile: 'work',
      issuer: 'https://flag.example',
      clientId: 'flag-client',
      scopes: ['openid', 'flag'],
      redirectUri: 'http://[::1]:7001/flag',
      caFile: '/flag-ca.pem',
    });
    expect(fromFlags).toMatchObject({
      issuer: 'https://flag.example',
      clientId: 'flag-client',
      scopes: ['openid', 'flag'],
      redirectUri: 'http://[::1]:7001/flag',
      caFile: '/flag-ca.pem',
    });
  });

  it('needs no config file when --issuer and --client-id are given', () => {
    const profile = resolveProfile({}, {}, { issuer: 'http://127.0.0.1:9090', clientId: 'keyturn-demo' });
    expect(requireProvider(profile)).toMatchObject({ name: 'default', clientId: 'keyturn-demo' });
    // A named profile defined only by flags is fine too.
    expect(resolveProfile({}, {}, { profile: 'ci', issuer: 'https://id.example' }).name).toBe('ci');
  });

  it('refuses a named profile that does not exist, and says which ones do', () => {
    const fromFlag = configError(() => resolveProfile(FILE, {}, { profile: 'wrok' }));
    expect(fromFlag.message).toContain('"wrok"');
    expect(fromFlag.fix).toContain('default, work');
    configError(() => resolveProfile(FILE, { KEYTURN_PROFILE: 'wrok' }));
    configError(() => resolveProfile({ ...FILE, default_profile: 'wrok' }, {}));
  });

  it('refuses names that cannot be profile names', () => {
    for (const name of ['__proto__', '', ' x', 'a/b', '-x']) {
      configError(() => resolveProfile({}, {}, { profile: name, issuer: 'https://id.example' }));
    }
  });

  it('parses scopes from lists and from space- or comma-separated strings', () => {
    const scopesOf = (scopes: unknown) =>
      resolveProfile({ profiles: { default: { issuer: 'https://id.example', scopes } } }, {}).scopes;
    expect(scopesOf('openid  profile')).toEqual(['openid', 'profile']);
    expect(scopesOf('openid,email, offline_access')).toEqual(['openid', 'email', 'offline_access']);
    expect(scopesOf(['openid', 'a b'])).toEqual(['openid', 'a', 'b']);
    expect(resolveProfile({}, { KEYTURN_SCOPES: 'x y' }).scopes).toEqual(['x', 'y']);
    expect(resolveProfile({}, {}, { scopes: ['x', 'y,z'] }).scopes).toEqual(['x', 'y', 'z']);
    configError(() => scopesOf(42));
    configError(() => scopesOf([1, 2]));
    configError(() => scopesOf(' , '));
  });

  it('accepts store = file | keyring | auto and nothing else', () => {
    const storeOf = (store: unknown) => resolveProfile({ profiles: { default: { store } } }, {}).store;
    expect(storeOf('file')).toBe('file');
    expect(storeOf('keyring')).toBe('keyring');
    expect(storeOf('auto')).toBe('auto');
    configError(() => storeOf('vault'));
    configError(() => resolveProfile({}, { KEYTURN_STORE: 'plaintext' }));
  });

  it('refuses values of the wrong type', () => {
    configError(() => resolveProfile({ profiles: { default: { client_id: 7 } } }, {}));
    configError(() => resolveProfile({ profiles: { default: { redirect_port_fallback: 'yes' } } }, {}));
    configError(() => resolveProfile({ profiles: { default: 'https://id.example' } } as never, {}));
  });

  it('does not share the default scope list between profiles', () => {
    const a = resolveProfile({}, {});
    a.scopes.push('mutated');
    expect(resolveProfile({}, {}).scopes).toEqual(DEFAULT_SCOPES);
  });
});

describe('redirect URI (RFC 8252 §7.3: http on loopback)', () => {
  it('accepts http on localhost, 127.0.0.0/8 and [::1]', () => {
    for (const uri of [
      'http://localhost:1455/auth/callback',
      'http://127.0.0.1:18455/cb',
      'http://127.0.0.2:1455/cb',
      'http://[::1]:1455/cb',
    ]) {
      expect(validateRedirectUri(uri).href).toBe(uri);
    }
  });

  it('refuses https, other hosts, fragments and things that are not URLs', () => {
    for (const uri of [
      'https://localhost:1455/cb',
      'http://example.com:1455/cb',
      'http://localhost.example.com/cb',
      'http://10.0.0.1:1455/cb',
      'http://localhost:1455/cb#fragment',
      'http://user:pw@localhost:1455/cb',
      'localhost:1455/cb',
      'not a url',
    ]) {
      configError(() => validateRedirectUri(uri));
    }
    configError(() => resolveProfile({}, {}, { redirectUri: 'https://example.com/cb' }));
    configError(() => resolveProfile({}, { KEYTURN_REDIRECT_URI: 'http://0.0.0.0:1455/cb' }));
  });
});

describe('issuer URLs (SPEC security floor)', () => {
  it('accepts https anywhere and http on loopback hosts only', () => {
    expect(assertSecureUrl('https://id.example.com', 'issuer').host).toBe('id.example.com');
    expect(assertSecureUrl('http://127.0.0.1:9090', 'issuer').port).toBe('9090');
    expect(assertSecureUrl('http://localhost:9090', 'issuer').hostname).toBe('localhost');
    expect(assertSecureUrl('http://[::1]:9090', 'issuer').hostname).toBe('[::1]');
  });

  it('refuses plain http on any other host, wherever the issuer comes from', () => {
    const error = configError(() => assertSecureUrl('http://id.example.com', 'issuer'));
    expect(error.message).toContain('https://');
    configError(() => assertSecureUrl('ftp://127.0.0.1', 'token_endpoint'));
    configError(() => resolveProfile({ profiles: { default: { issuer: 'http://id.example.com' } } }, {}));
    configError(() => resolveProfile({}, { KEYTURN_ISSUER: 'http://id.example.com' }));
    configError(() => resolveProfile({}, {}, { issuer: 'http://id.example.com' }));
  });

  it('says what is missing before any network call', () => {
    expect(configError(() => requireProvider(resolveProfile({}, {}))).message).toContain('no issuer');
    expect(
      configError(() => requireProvider(resolveProfile({}, {}, { issuer: 'https://id.example' }))).message,
    ).toContain('client_id');
  });
});

describe('where keyturn keeps its files', () => {
  it('puts everything in KEYTURN_HOME when it is set', () => {
    expect(resolvePaths({ KEYTURN_HOME: '/k', HOME: '/home/u' }, 'linux')).toEqual({
      configFile: '/k/config.toml',
      dataDir: '/k',
      authFile: '/k/auth.json',
      lockDir: '/k',
    });
  });

  it('uses the XDG folders on Linux, ignoring empty or relative XDG values', () => {
    expect(resolvePaths({ HOME: '/home/u' }, 'linux')).toMatchObject({
      configFile: '/home/u/.config/keyturn/config.toml',
      authFile: '/home/u/.local/share/keyturn/auth.json',
    });
    expect(
      resolvePaths({ HOME: '/home/u', XDG_CONFIG_HOME: '/xdg/c', XDG_DATA_HOME: '/xdg/d' }, 'linux'),
    ).toMatchObject({ configFile: '/xdg/c/keyturn/config.toml', authFile: '/xdg/d/keyturn/auth.json' });
    expect(
      resolvePaths({ HOME: '/home/u', XDG_CONFIG_HOME: '', XDG_DATA_HOME: 'relative' }, 'linux'),
    ).toMatchObject({
      configFile: '/home/u/.config/keyturn/config.toml',
      authFile: '/home/u/.local/share/keyturn/auth.json',
    });
  });

  it('uses Application Support on macOS', () => {
    expect(resolvePaths({ HOME: '/Users/u' }, 'darwin').authFile).toBe(
      '/Users/u/Library/Application Support/keyturn/auth.json',
    );
  });
});

describe('the git credential helper’s profile keys', () => {
  it('reads git_hosts (a list, or one host) and git_username', () => {
    const file: ConfigFile = {
      profiles: {
        git: { issuer: 'https://id.example.com', git_hosts: ['git.example.com'], git_username: 'x' },
      },
    };
    expect(resolveProfile(file, {}, { profile: 'git' })).toMatchObject({
      gitHosts: ['git.example.com'],
      gitUsername: 'x',
    });
    file.profiles!.git!.git_hosts = 'one.example.com';
    expect(resolveProfile(file, {}, { profile: 'git' }).gitHosts).toEqual(['one.example.com']);
    file.profiles!.git!.git_hosts = [1];
    expect(configError(() => resolveProfile(file, {}, { profile: 'git' })).message).toMatch(/git_hosts/);
  });
});
