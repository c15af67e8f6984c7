import { readFile, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import { dirname } from 'node:path';
import { KeyturnError, isKeyturnError } from '../../core/errors.js';
import { passed, problem, type Finding } from '../../core/diagnosis.js';
import { exposure, octal } from '../../core/file-modes.js';
import { readCaFile, type CaSource } from '../ca.js';
import { parseAuthFile } from '../file-store.js';
import { bindAddresses, type PortHolder } from '../loopback.js';
import { portInUseError } from '../../core/port-in-use.js';

/** Each CA setting in force names a readable file with at least one PEM certificate. */
export function checkCaSources(sources: readonly CaSource[]): Finding[] {
  return sources.map((source) => {
    try {
      const count = readCaFile(source).length;
      return passed(
        'ca_files',
        `${source.setting}=${source.path} holds ${count} certificate${count === 1 ? '' : 's'}`,
        {
          setting: source.setting,
          path: source.path,
          certificates: count,
        },
      );
    } catch (error) {
      if (isKeyturnError(error)) return problem(error);
      throw error;
    }
  });
}

/**
 * The credential file: folder 0700 and file 0600 (SPEC "Credential store"), readable and parseable.
 * A missing file is no problem (nobody signed in yet).
 */
export async function checkStoreFile(path: string, platform: string = process.platform): Promise<Finding[]> {
  const dir = dirname(path);
  const [dirStat, fileStat] = await Promise.all([
    stat(dir).catch(() => undefined),
    stat(path).catch(() => undefined),
  ]);
  if (fileStat === undefined) return [];
  const findings: Finding[] = [];
  if (platform !== 'win32' && dirStat !== undefined) {
    const open = exposure({ path, mode: fileStat.mode }, { path: dir, mode: dirStat.mode });
    if (open !== undefined) {
      const { fileOpen, folderWritable } = open;
      findings.push(
        problem(
          new KeyturnError(
            'store_insecure',
            `${open.what}: other users of this machine can ${fileOpen || folderWritable ? 'read or replace your tokens' : 'list your credential folder'}.`,
            {
              fix: `\`${open.chmod}\``,
              evidence: {
                path,
                file_mode: octal(fileStat.mode),
                folder: dir,
                folder_mode: octal(dirStat.mode),
              },
            },
          ),
          fileOpen || folderWritable ? 'error' : 'warning',
        ),
      );
    }
  }
  try {
    const doc = parseAuthFile(await readFile(path, 'utf8'), path);
    const n = Object.keys(doc.profiles).length;
    if (findings.length === 0) {
      findings.push(
        passed(
          'store',
          `Credential file ${path} is private (${octal(fileStat.mode)}) and valid (${n} profile${n === 1 ? '' : 's'})`,
          {
            path,
            file_mode: octal(fileStat.mode),
            profiles: n,
          },
        ),
      );
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    findings.push(
      problem(
        isKeyturnError(error)
          ? error
          : new KeyturnError(
              'store_unreadable',
              `The credential file ${path} cannot be read (${code ?? 'error'}).`,
              {
                fix: `Check its owner and mode: \`ls -l ${path}\`; or move it aside and sign in again.`,
                evidence: { path, errno: code },
              },
            ),
      ),
    );
  }
  return findings;
}

/** Binds and releases at once: the OS says whether another process holds the port (its errno), or not. */
export function tryBind(host: string, port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'EUNKNOWN'));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(undefined)));
  });
}

/**
 * The loopback redirect port (RFC 8252 §7.3) is free, or held by whom — the case of seed 002, where
 * WSL's relay held 1455 and every sign-in failed with an unrelated message.
 */
export async function checkRedirectPort(
  redirectUri: string,
  portFallback: boolean | number[],
  findPortHolder: (port: number) => Promise<PortHolder | undefined>,
): Promise<Finding> {
  const url = new URL(redirectUri);
  const port = Number(url.port || 80);
  const fallback = portFallback !== false;
  const results = await Promise.all(bindAddresses(url.hostname).map((host) => tryBind(host, port)));
  // EADDRNOTAVAIL: no ::1 on this machine; the other address decides.
  const failure = results.find(
    (code) => code !== undefined && code !== 'EADDRNOTAVAIL' && code !== 'EAFNOSUPPORT',
  );
  const evidence: Record<string, unknown> = { port, redirect_uri: redirectUri };
  if (failure === undefined)
    return passed('redirect_port', `Port ${port} of the redirect URI is free`, evidence);
  const holder = failure === 'EACCES' ? undefined : await findPortHolder(port).catch(() => undefined);
  const error = portInUseError({
    port,
    redirectUri,
    errno: failure,
    platform: process.platform,
    fallback,
    ...(holder === undefined ? {} : { holder }),
  });
  return problem(error, fallback && failure !== 'EACCES' ? 'warning' : 'error');
}
