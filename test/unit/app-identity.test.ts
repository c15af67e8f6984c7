import { describe, expect, it } from 'vitest';
import { KEYTURN_APP, appIdentity, renderText, settingsEnvironment } from '../../src/core/app.js';
import { CATALOG, KeyturnError } from '../../src/core/errors.js';
import { findingsFor, problem } from '../../src/core/diagnosis.js';
import { portInUseError } from '../../src/core/port-in-use.js';
import { resolvePaths } from '../../src/adapters/paths.js';
import { keyringService } from '../../src/adapters/store-factory.js';

const acme = appIdentity({ name: 'acme', envPrefix: 'ACME', version: '1.2.0' });

describe('an application built on keyturn speaks in its own name', () => {
  it('every catalog fix that names a command names the application’s', () => {
    for (const [code, entry] of Object.entries(CATALOG)) {
      const told = renderText(entry.fix, acme);
      expect(told, code).not.toMatch(/keyturn/i);
      // keyturn's own CLI still says its own name.
      if (told.includes('acme')) expect(renderText(entry.fix, KEYTURN_APP), code).toContain('keyturn');
    }
    expect(new KeyturnError('not_signed_in', 'Nobody is signed in.', { app: acme }).fix).toContain(
      '`acme login`',
    );
  });

  it('an error made deep inside keyturn is told for the application at the boundary', () => {
    const error = new KeyturnError('invalid_grant', 'The code was already used.', { httpStatus: 400 });
    expect(error.fix).toContain('`keyturn login`');
    const told = error.forApp(acme);
    expect(told.fix).toBe('Run `acme login` again: codes are single-use and short-lived.');
    expect(told).toMatchObject({ code: 'invalid_grant', message: error.message, httpStatus: 400 });
    expect(told.stack).toBe(error.stack);
    // A restated fix that names the command follows the app too.
    const restated = error.restate({ fix: ({ command }) => `Run \`${command} login --profile ci\`.` });
    expect(restated.forApp(acme).fix).toBe('Run `acme login --profile ci`.');
  });

  it('doctor findings, the port holder’s fix included, are told for the application', () => {
    const busy = portInUseError({ port: 1455, holder: { pid: 42, name: 'node' }, platform: 'linux' });
    const findings = findingsFor([problem(busy)], acme);
    expect(findings[0]?.fix).toContain('`acme login`');
    expect(findings[0]?.fix).not.toContain('keyturn');
    expect(problem(busy).fix).toContain('`keyturn login`');
  });

  it('its folders are named after it; `home` (ACME_HOME) still wins', () => {
    const env = { HOME: '/home/u' };
    expect(resolvePaths(env, 'linux', acme)).toMatchObject({
      configFile: '/home/u/.config/acme/config.toml',
      authFile: '/home/u/.local/share/acme/auth.json',
    });
    expect(resolvePaths(env, 'darwin', acme).authFile).toBe(
      '/home/u/Library/Application Support/acme/auth.json',
    );
    expect(
      resolvePaths({ ...env, APPDATA: 'C:\\R', LOCALAPPDATA: 'C:\\L' }, 'win32', acme).configFile,
    ).toMatch(/acme[\\/]config\.toml$/);
    const settings = settingsEnvironment({ ...env, ACME_HOME: '/tmp/acme-home' }, acme);
    expect(resolvePaths(settings, 'linux', acme).authFile).toBe('/tmp/acme-home/auth.json');
  });

  it('reads its own variables, never keyturn’s, and only when the author opts in', () => {
    const env = { PATH: '/bin', KEYTURN_HOME: '/k', KEYTURN_PROFILE: 'k', ACME_PROFILE: 'work' };
    expect(settingsEnvironment(env, acme)).toEqual({
      PATH: '/bin',
      ACME_PROFILE: 'work',
      KEYTURN_PROFILE: 'work',
    });
    const quiet = appIdentity({ name: 'acme' });
    expect(settingsEnvironment(env, quiet)).toEqual({ PATH: '/bin', ACME_PROFILE: 'work' });
    expect(settingsEnvironment(env, KEYTURN_APP)).toEqual(env);
  });

  it('names its keyring service and User-Agent', () => {
    const paths = resolvePaths({ HOME: '/home/u' }, 'linux', acme);
    expect(keyringService(paths, {}, acme)).toBe('acme');
    expect(keyringService(paths, {}, KEYTURN_APP)).toBe('keyturn');
    expect(acme.userAgent).toBe('acme/1.2.0');
  });

  it('refuses a name that cannot be a folder', () => {
    expect(() => appIdentity({ name: '../etc' })).toThrow(/cannot name a folder/);
    expect(() => appIdentity({ name: 'acme', envPrefix: 'acme-' })).toThrow(/prefix/);
  });
});
