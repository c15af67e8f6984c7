import { describe, expect, it } from 'vitest';
import { exposure, octal } from '../../src/core/file-modes.js';

const FILE = '/home/me/.keyturn/auth.json';
const DIR = '/home/me/.keyturn';

describe('what group and others can do to a secret file', () => {
  it('modes print as four octal digits, file type bits left out', () => {
    expect(octal(0o100600)).toBe('0600');
    expect(octal(0o40755)).toBe('0755');
    expect(octal(0o7)).toBe('0007');
    expect(octal(0o104777)).toBe('0777');
  });

  it('a 0600 file in a 0700 folder exposes nothing', () => {
    expect(exposure({ path: FILE, mode: 0o100600 }, { path: DIR, mode: 0o40700 })).toBeUndefined();
    expect(exposure({ path: FILE, mode: 0o100600 }, undefined)).toBeUndefined();
  });

  it('any group or other bit on the file exposes it (read, write or execute)', () => {
    for (const mode of [0o100640, 0o100604, 0o100620, 0o100602, 0o100610, 0o100601]) {
      expect(exposure({ path: FILE, mode }, { path: DIR, mode: 0o40700 })).toEqual({
        what: `${FILE} has mode ${octal(mode)}`,
        chmod: `chmod 600 ${FILE}`,
        fileOpen: true,
        folderOpen: false,
        folderWritable: false,
      });
    }
  });

  it('a folder others can list is open; one they can write to is writable as well', () => {
    expect(exposure({ path: FILE, mode: 0o100600 }, { path: DIR, mode: 0o40755 })).toEqual({
      what: `its folder ${DIR} has mode 0755`,
      chmod: `chmod 700 ${DIR}`,
      fileOpen: false,
      folderOpen: true,
      folderWritable: false,
    });
    for (const mode of [0o40720, 0o40702]) {
      expect(exposure({ path: FILE, mode: 0o100600 }, { path: DIR, mode })?.folderWritable).toBe(true);
    }
  });

  it('both open: both named, the folder fixed first', () => {
    expect(exposure({ path: FILE, mode: 0o100644 }, { path: DIR, mode: 0o40777 })).toEqual({
      what: `${FILE} has mode 0644 and its folder ${DIR} has mode 0777`,
      chmod: `chmod 700 ${DIR} && chmod 600 ${FILE}`,
      fileOpen: true,
      folderOpen: true,
      folderWritable: true,
    });
  });

  it('a narrower folder mask lets a listable folder pass (0711 and 0755 under 0o022 are fine)', () => {
    expect(exposure({ path: FILE, mode: 0o100600 }, { path: DIR, mode: 0o40755 }, 0o022)).toBeUndefined();
    expect(exposure({ path: FILE, mode: 0o100600 }, { path: DIR, mode: 0o40775 }, 0o022)?.folderOpen).toBe(
      true,
    );
    const fileOnly = exposure({ path: FILE, mode: 0o100644 }, { path: DIR, mode: 0o40755 }, 0o022);
    expect(fileOnly?.what).toBe(`${FILE} has mode 0644`);
    expect(fileOnly?.chmod).toBe(`chmod 600 ${FILE}`);
  });

  it('no folder known: only the file is judged', () => {
    expect(exposure({ path: FILE, mode: 0o100666 }, undefined)).toEqual({
      what: `${FILE} has mode 0666`,
      chmod: `chmod 600 ${FILE}`,
      fileOpen: true,
      folderOpen: false,
      folderWritable: false,
    });
  });
});
