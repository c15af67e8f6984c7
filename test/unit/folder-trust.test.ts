import { describe, expect, it } from 'vitest';
import { untrustedFolder } from '../../src/core/folder-trust.js';

const ME = 1000;

describe('untrustedFolder: the credential folder is trusted no more than sshd trusts ~/.ssh', () => {
  it('a folder of mine that only I can write to is fit, whatever its read bits', () => {
    for (const mode of [0o40700, 0o40755, 0o40744, 0o40711]) {
      expect(untrustedFolder('/home/me/.keyturn', { mode, uid: ME }, ME)).toBeUndefined();
    }
  });

  it('a folder of mine that the group or others can write to is refused, with chmod 700 as the fix', () => {
    for (const mode of [0o40720, 0o40702, 0o40777, 0o41777]) {
      const problem = untrustedFolder('/home/me/.keyturn', { mode, uid: ME }, ME);
      expect(problem?.code).toBe('store_insecure');
      expect(problem?.message).toBe(
        `The credential folder /home/me/.keyturn has mode 0${(mode & 0o777).toString(8)}: other users can write into it; keyturn keeps no secrets there.`,
      );
      expect(problem?.fix).toBe(
        '`chmod 700 /home/me/.keyturn`, then check that nobody replaced what is in it.',
      );
      expect(problem?.evidence).toEqual({
        folder: '/home/me/.keyturn',
        folder_mode: `0${(mode & 0o777).toString(8)}`,
        folder_uid: ME,
        own_uid: ME,
      });
    }
  });

  it('a folder owned by another user is refused even at 0700: its owner can swap what is in it', () => {
    const problem = untrustedFolder('/srv/shared', { mode: 0o40700, uid: 0 }, ME);
    expect(problem?.code).toBe('store_insecure');
    expect(problem?.message).toBe(
      'The credential folder /srv/shared is owned by another user (uid 0); keyturn keeps no secrets there.',
    );
    expect(problem?.fix).toContain('point KEYTURN_HOME elsewhere');
    expect(problem?.fix).toContain('`chmod 700 /srv/shared`');
    expect(problem?.evidence).toEqual({
      folder: '/srv/shared',
      folder_mode: '0700',
      folder_uid: 0,
      own_uid: ME,
    });
  });

  it('another owner is named first when the folder is also open to writes (the owner is the bigger threat)', () => {
    const problem = untrustedFolder('/tmp', { mode: 0o41777, uid: 0 }, ME);
    expect(problem?.message).toContain('is owned by another user (uid 0)');
    expect(problem?.message).not.toContain('other users can write');
    expect(problem?.fix).toContain('KEYTURN_HOME');
  });
});
