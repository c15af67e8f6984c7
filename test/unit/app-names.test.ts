import { describe, expect, it } from 'vitest';
import {
  appIdentity,
  KEYTURN_APP,
  renderText,
  settingName,
  settingsEnvironment,
} from '../../src/core/app.js';
import { isLockTimeout } from '../../src/core/ports.js';

describe('an application’s name, prefix and User-Agent', () => {
  it('a name is one folder name: letters, digits, ".", "_" and "-", at most 64, not starting with a sign', () => {
    for (const name of ['a', 'Acme.CLI_2-x', 'a'.repeat(64)]) expect(appIdentity({ name }).name).toBe(name);
    for (const name of ['', '.', '..', '-acme', '.acme', 'a/b', 'a b', 'a'.repeat(65), 'acme\n']) {
      expect(() => appIdentity({ name })).toThrow(`appName ${JSON.stringify(name)} cannot name a folder`);
    }
  });

  it('a prefix is an upper-case variable prefix of at most 32 characters', () => {
    for (const envPrefix of ['A', 'ACME_2', `A${'B'.repeat(31)}`]) {
      expect(appIdentity({ name: 'acme', envPrefix }).envPrefix).toBe(envPrefix);
    }
    for (const envPrefix of ['', '1ACME', 'acme', 'AC-ME', `A${'B'.repeat(32)}`, 'ACME\n']) {
      expect(() => appIdentity({ name: 'acme', envPrefix })).toThrow(
        `envPrefix ${JSON.stringify(envPrefix)} is not an environment variable prefix`,
      );
    }
  });

  it('the command defaults to the name; the User-Agent is a product token, with the version when given', () => {
    expect(appIdentity({ name: 'acme.cli' })).toEqual({
      name: 'acme.cli',
      command: 'acme.cli',
      envPrefix: undefined,
      userAgent: 'acme.cli',
    });
    expect(appIdentity({ name: 'acme', command: 'ac', version: '2.0.0' })).toMatchObject({
      command: 'ac',
      userAgent: 'acme/2.0.0',
    });
    expect(Object.isFrozen(appIdentity({ name: 'acme' }))).toBe(true);
  });

  it('keyturn is itself an application: keyturn, KEYTURN_', () => {
    expect(KEYTURN_APP).toEqual({
      name: 'keyturn',
      command: 'keyturn',
      envPrefix: 'KEYTURN',
      userAgent: 'keyturn',
    });
    expect(settingName(KEYTURN_APP, 'HOME')).toBe('KEYTURN_HOME');
    expect(settingName(appIdentity({ name: 'acme' }), 'HOME')).toBeUndefined();
  });

  it('a bare prefix variable (ACME_) is no setting', () => {
    const acme = appIdentity({ name: 'acme', envPrefix: 'ACME' });
    expect(settingsEnvironment({ ACME_: 'x', ACME_HOME: '/a' }, acme)).toEqual({
      ACME_: 'x',
      ACME_HOME: '/a',
      KEYTURN_HOME: '/a',
    });
  });

  it('a text is told for the application: a function gets it, a string stays', () => {
    const acme = appIdentity({ name: 'acme' });
    expect(renderText(({ command }) => `run ${command}`, acme)).toBe('run acme');
    expect(renderText('run keyturn', acme)).toBe('run keyturn');
  });
});

describe('a lock that could not be taken in time', () => {
  it('is told by its name', () => {
    expect(isLockTimeout(Object.assign(new Error('x'), { name: 'LockTimeoutError' }))).toBe(true);
    expect(isLockTimeout(new Error('LockTimeoutError'))).toBe(false);
    expect(isLockTimeout({ name: 'LockTimeoutError' })).toBe(false);
  });
});
