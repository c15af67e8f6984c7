/** Unix modes of a secret file and its folder, and what they expose: shared by every store check. */

export const octal = (mode: number): string => `0${(mode & 0o777).toString(8).padStart(3, '0')}`;

export interface Exposure {
  /** "PATH has mode 0644 and its folder DIR has mode 0777". */
  what: string;
  /** `chmod 700 DIR && chmod 600 PATH`, as much of it as applies. */
  chmod: string;
  fileOpen: boolean;
  folderOpen: boolean;
  folderWritable: boolean;
}

/**
 * What group and others can do to a secret file: read or write it (any of 0o077), list its folder
 * (any bit of `folderMask`, 0o077 by default) or replace files in it (0o022). undefined: nothing.
 */
export function exposure(
  file: { path: string; mode: number },
  folder: { path: string; mode: number } | undefined,
  folderMask = 0o077,
): Exposure | undefined {
  const fileOpen = (file.mode & 0o077) !== 0;
  const folderOpen = folder !== undefined && (folder.mode & folderMask) !== 0;
  const folderWritable = folder !== undefined && (folder.mode & 0o022) !== 0;
  if (!fileOpen && !folderOpen) return undefined;
  const what = [
    fileOpen ? `${file.path} has mode ${octal(file.mode)}` : undefined,
    folderOpen && folder !== undefined
      ? `its folder ${folder.path} has mode ${octal(folder.mode)}`
      : undefined,
  ].filter(Boolean);
  const chmod = [
    folderOpen && folder !== undefined ? `chmod 700 ${folder.path}` : undefined,
    fileOpen ? `chmod 600 ${file.path}` : undefined,
  ]
    .filter(Boolean)
    .join(' && ');
  return { what: what.join(' and '), chmod, fileOpen, folderOpen, folderWritable };
}
