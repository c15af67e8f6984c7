import { readFile, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  CODEX_CA_VARIABLES,
  CODEX_CLIENT_ID,
  CODEX_FALLBACK_PORT,
  CODEX_ISSUER,
  CODEX_PORT,
  CODEX_PROXY_VARIABLES,
  CODEX_SCOPES,
  codexRedirectUri,
  codexWords,
  judgeCodexHome,
  judgeCodexPorts,
  parseDotEnv,
  readCodexConfig,
  type CodexHomeFacts,
  type PortFacts,
} from '../core/codex.js';
import { noted, type Finding } from '../core/diagnosis.js';
import type { Profile } from '../core/config.js';
import type { DoctorTarget } from '../flows/doctor.js';
import type { CaSource } from './http.js';
import type { PortHolder } from './loopback.js';
import { tryBind } from './probes/local.js';

/** `CODEX_HOME`, else `~/.codex` (codex-rs/core `find_codex_home`). */
export function codexHome(env: Record<string, string | undefined>): string {
  const set = env.CODEX_HOME;
  return set !== undefined && set !== '' ? set : join(homedir(), '.codex');
}

const errnoOf = (error: unknown): string => (error as NodeJS.ErrnoException).code ?? 'error';

/** Reads that CLI's home, changing nothing: auth.json (with its and its folder's modes), config.toml, .env. */
export async function readCodexHome(
  env: Record<string, string | undefined>,
): Promise<CodexHomeFacts & { dotEnvIgnored: string[] }> {
  const home = codexHome(env);
  const authPath = join(home, 'auth.json');
  const configPath = join(home, 'config.toml');
  const dotEnvPath = join(home, '.env');
  const facts: CodexHomeFacts & { dotEnvIgnored: string[] } = {
    home,
    authPath,
    config: {},
    configPath,
    dotEnv: {},
    dotEnvPath,
    dotEnvIgnored: [],
  };
  const [authStat, folderStat] = await Promise.all([
    stat(authPath).catch(() => undefined),
    stat(dirname(authPath)).catch(() => undefined),
  ]);
  if (authStat !== undefined) {
    try {
      facts.auth = {
        text: await readFile(authPath, 'utf8'),
        mode: authStat.mode,
        ...(folderStat === undefined ? {} : { folderMode: folderStat.mode }),
      };
    } catch (error) {
      facts.authError = errnoOf(error);
    }
  }
  const configText = await readFile(configPath, 'utf8').catch(() => undefined);
  if (configText !== undefined) {
    const { parse } = await import('smol-toml');
    try {
      facts.config = readCodexConfig(parse(configText) as Record<string, unknown>);
    } catch (error) {
      facts.configError = (error as Error).message.split('\n')[0] ?? 'parse error';
    }
  }
  const dotEnvText = await readFile(dotEnvPath, 'utf8').catch(() => undefined);
  if (dotEnvText !== undefined) {
    // arg0/src/lib.rs `load_dotenv`: every variable is set (over the environment's), except CODEX_*.
    for (const [key, value] of Object.entries(parseDotEnv(dotEnvText))) {
      if (key.toUpperCase().startsWith('CODEX_')) facts.dotEnvIgnored.push(key);
      else facts.dotEnv[key] = value;
    }
  }
  return facts;
}

/** The trust that CLI adds to the public roots: CODEX_CA_CERTIFICATE, else SSL_CERT_FILE. */
export function codexCaSources(env: Record<string, string | undefined>): CaSource[] {
  for (const setting of CODEX_CA_VARIABLES) {
    const path = env[setting];
    if (path !== undefined && path !== '') return [{ setting, path }];
  }
  return [];
}

async function portFacts(
  port: number,
  findPortHolder: (port: number) => Promise<PortHolder | undefined>,
): Promise<PortFacts> {
  // That CLI binds 127.0.0.1 only (server.rs `bind_server`).
  const errno = await tryBind('127.0.0.1', port);
  if (errno === undefined) return { port };
  const holder = errno === 'EACCES' ? undefined : await findPortHolder(port).catch(() => undefined);
  return { port, errno, ...(holder === undefined ? {} : { holder }) };
}

/**
 * The doctor's target for OpenAI's Codex CLI (`keyturn doctor --codex`): its home, its CA and proxy
 * variables (its `.env` included), its callback ports, its provider and public client.
 * @see https://github.com/openai/codex/tree/main/codex-rs/login
 */
export async function codexTarget(
  env: Record<string, string | undefined>,
  options: {
    issuer?: string;
    now: () => number;
    findPortHolder: (port: number) => Promise<PortHolder | undefined>;
  },
): Promise<DoctorTarget> {
  const facts = await readCodexHome(env);
  const effective = { ...env, ...facts.dotEnv };
  const issuer = (options.issuer ?? CODEX_ISSUER).replace(/\/+$/, '');
  const profile: Profile = {
    name: 'codex',
    issuer,
    clientId: CODEX_CLIENT_ID,
    scopes: CODEX_SCOPES,
    redirectUri: codexRedirectUri(CODEX_PORT),
    redirectPortFallback: true,
    store: 'file',
  };
  const fromFile = Object.keys(facts.dotEnv).filter(
    (k) => CODEX_PROXY_VARIABLES.includes(k) || k === 'SSL_CERT_FILE',
  );
  const context = { dotEnvPath: facts.dotEnvPath, dotEnv: facts.dotEnv };
  return {
    name: 'codex',
    profile,
    env: effective,
    caSources: codexCaSources(effective),
    deviceSignIn: true,
    signIn: async () => {
      const judged = judgeCodexHome(facts, Math.floor(options.now() / 1000), process.platform, issuer);
      const notes: Finding[] = [];
      if (fromFile.length > 0) {
        notes.push(
          noted(
            'proxy',
            `${facts.dotEnvPath} sets ${fromFile.join(', ')}: that CLI loads the file at start, so the probes below take the same route`,
            '',
            { path: facts.dotEnvPath, variables: fromFile },
          ),
        );
      }
      if (facts.dotEnvIgnored.length > 0) {
        notes.push(
          noted(
            'ca_files',
            `${facts.dotEnvPath} sets ${facts.dotEnvIgnored.join(', ')}, which that CLI ignores there (it never takes CODEX_* variables from .env)`,
            '',
            { path: facts.dotEnvPath, ignored: facts.dotEnvIgnored },
            'Set it in the environment that starts `codex` (shell profile, IDE settings) instead.',
          ),
        );
      }
      return { findings: [...judged.findings, ...notes], secrets: judged.secrets, store: facts.authPath };
    },
    ports: async () =>
      judgeCodexPorts(
        await Promise.all(
          [CODEX_PORT, CODEX_FALLBACK_PORT].map((port) => portFacts(port, options.findPortHolder)),
        ),
        process.platform,
      ),
    reword: (finding) => codexWords(finding, context),
    settings: {
      program: 'OpenAI Codex CLI',
      codex_home: facts.home,
      auth_file: facts.authPath,
      issuer,
      client_id: CODEX_CLIENT_ID,
      redirect_uri: `${codexRedirectUri(CODEX_PORT)} (fallback ${codexRedirectUri(CODEX_FALLBACK_PORT)})`,
      cli_auth_credentials_store: facts.config.credentialsStore ?? 'file (default)',
      ...(facts.config.forcedLoginMethod === undefined
        ? {}
        : { forced_login_method: facts.config.forcedLoginMethod }),
      ...(facts.config.forcedWorkspaceIds === undefined
        ? {}
        : { forced_chatgpt_workspace_id: facts.config.forcedWorkspaceIds.join(',') }),
      ...(fromFile.length === 0 ? {} : { dot_env: `${facts.dotEnvPath} (${fromFile.join(', ')})` }),
    },
    variables: ['CODEX_CA_CERTIFICATE', 'SSL_CERT_FILE', 'CODEX_HOME', 'ALL_PROXY', 'all_proxy'],
  };
}
