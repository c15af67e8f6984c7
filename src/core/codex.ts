import { decodeJwt } from 'jose';
import { formatDuration } from './duration.js';
import { KeyturnError } from './errors.js';
import { noted, passed, problem, type Finding } from './diagnosis.js';
import { exposure, octal } from './file-modes.js';
import { portInUseError, type PortHolder } from './port-in-use.js';
import { appIdentity } from './app.js';

/**
 * `keyturn doctor --codex`: what OpenAI's Codex CLI keeps in its home and how it signs in, read from
 * its open source (github.com/openai/codex, codex-rs/login: server.rs, auth/storage.rs,
 * token_data.rs; codex-rs/core/config), and the judgement of it. Pure: adapters/codex-home.ts reads
 * the files; this file parses and judges, and words every fix in that CLI's commands.
 */

/** That CLI, as the catalog's fixes name a command. */
const CODEX_APP = appIdentity({ name: 'codex', envPrefix: undefined });

/** codex-rs/login/src/server.rs `DEFAULT_ISSUER`. */
export const CODEX_ISSUER = 'https://auth.openai.com';
/** The Codex CLI's public OAuth client (codex-rs/login: `CLIENT_ID`). */
export const CODEX_CLIENT_ID = 'app_EMoamEEZ73f0CkXaXp7hrann';
/** server.rs: `http://localhost:{port}/auth/callback`, port 1455, else its registered fallback 1457. */
export const CODEX_PORT = 1455;
export const CODEX_FALLBACK_PORT = 1457;
export const codexRedirectUri = (port: number = CODEX_PORT): string =>
  `http://localhost:${port}/auth/callback`;
/** server.rs `build_authorize_url`. */
export const CODEX_SCOPES = [
  'openid',
  'profile',
  'email',
  'offline_access',
  'api.connectors.read',
  'api.connectors.invoke',
];
/** auth/manager.rs: tokens older than this are refreshed when the CLI next starts. */
export const CODEX_REFRESH_DAYS = 8;
/** The proxy variables reqwest (that CLI's HTTP client) reads, and its CA variables in order. */
export const CODEX_PROXY_VARIABLES = [
  'HTTPS_PROXY',
  'https_proxy',
  'HTTP_PROXY',
  'http_proxy',
  'ALL_PROXY',
  'all_proxy',
  'NO_PROXY',
  'no_proxy',
];
export const CODEX_CA_VARIABLES = ['CODEX_CA_CERTIFICATE', 'SSL_CERT_FILE'] as const;

/** `auth.json` as that CLI writes it (auth/storage.rs `AuthDotJson`). */
export interface CodexAuth {
  authMode?: string;
  apiKey?: string;
  tokens?: { idToken: string; accessToken: string; refreshToken: string; accountId?: string };
  lastRefresh?: string;
}

function unreadable(path: string, why: string, evidence: Record<string, unknown> = {}): KeyturnError {
  return new KeyturnError('store_unreadable', `Codex's credential file ${path} ${why}.`, {
    fix: '`codex logout` (it removes the file), then `codex login` — or `codex login --device-auth` where no browser can reach this machine.',
    evidence: { path, ...evidence },
  });
}

/**
 * Parses `auth.json`: `{"OPENAI_API_KEY": string|null, "tokens": {"id_token", "access_token",
 * "refresh_token", "account_id"?}|null, "last_refresh": RFC 3339|null}`; throws store_unreadable
 * naming the file (never quoting it: it holds secrets).
 */
export function parseCodexAuth(text: string, path: string): CodexAuth {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw unreadable(path, `is not valid JSON (${text.length} bytes: cut short, or edited by hand)`, {
      bytes: text.length,
    });
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc))
    throw unreadable(path, 'does not hold a JSON object');
  const o = doc as Record<string, unknown>;
  const auth: CodexAuth = {};
  if (typeof o.auth_mode === 'string') auth.authMode = o.auth_mode;
  if (typeof o.OPENAI_API_KEY === 'string' && o.OPENAI_API_KEY !== '') auth.apiKey = o.OPENAI_API_KEY;
  else if (
    o.OPENAI_API_KEY !== undefined &&
    o.OPENAI_API_KEY !== null &&
    typeof o.OPENAI_API_KEY !== 'string'
  )
    throw unreadable(path, 'has an OPENAI_API_KEY that is not a string');
  if (o.tokens !== undefined && o.tokens !== null) {
    const t = o.tokens as Record<string, unknown>;
    const missing = ['id_token', 'access_token', 'refresh_token'].filter((k) => typeof t[k] !== 'string');
    if (typeof o.tokens !== 'object' || missing.length > 0)
      throw unreadable(path, `has tokens without ${missing.join(', ') || 'their fields'}`, { missing });
    auth.tokens = {
      idToken: t.id_token as string,
      accessToken: t.access_token as string,
      refreshToken: t.refresh_token as string,
      ...(typeof t.account_id === 'string' ? { accountId: t.account_id } : {}),
    };
  }
  if (typeof o.last_refresh === 'string') auth.lastRefresh = o.last_refresh;
  return auth;
}

/** Every secret of auth.json, so that no output can carry one. */
export function codexSecrets(auth: CodexAuth | undefined): string[] {
  if (auth === undefined) return [];
  return [auth.apiKey, auth.tokens?.idToken, auth.tokens?.accessToken, auth.tokens?.refreshToken].filter(
    (s): s is string => s !== undefined && s !== '',
  );
}

/** `.env` lines as dotenvy reads them: `KEY=value`, `export KEY=value`, quotes, `#` comments. */
export function parseDotEnv(text: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_.]*)\s*=\s*(.*)$/.exec(line);
    if (match === null) continue;
    let value = match[2] ?? '';
    const quote = value[0];
    if ((quote === '"' || quote === "'") && value.lastIndexOf(quote) > 0)
      value = value.slice(1, value.lastIndexOf(quote));
    else value = value.replace(/\s+#.*$/, '');
    vars[match[1] as string] = value;
  }
  return vars;
}

/** config.toml keys that change how that CLI signs in (codex-rs/core/src/config). */
export interface CodexSignInConfig {
  credentialsStore?: string;
  forcedLoginMethod?: string;
  forcedWorkspaceIds?: string[];
}

export function readCodexConfig(doc: Record<string, unknown>): CodexSignInConfig {
  const config: CodexSignInConfig = {};
  if (typeof doc.cli_auth_credentials_store === 'string')
    config.credentialsStore = doc.cli_auth_credentials_store;
  if (typeof doc.forced_login_method === 'string') config.forcedLoginMethod = doc.forced_login_method;
  const ws = doc.forced_chatgpt_workspace_id;
  if (typeof ws === 'string' && ws !== '') config.forcedWorkspaceIds = [ws];
  else if (Array.isArray(ws))
    config.forcedWorkspaceIds = ws.filter((w): w is string => typeof w === 'string');
  return config;
}

/** What adapters/codex-home.ts found in that CLI's home. */
export interface CodexHomeFacts {
  home: string;
  authPath: string;
  /** undefined: no auth.json. */
  auth?: { text: string; mode: number; folderMode?: number };
  /** The error reading it (EACCES…), when it exists but cannot be read. */
  authError?: string;
  config: CodexSignInConfig;
  configError?: string;
  configPath: string;
  /** Variables of `$CODEX_HOME/.env` that the process environment does not already set. */
  dotEnv: Record<string, string>;
  dotEnvPath: string;
}

interface Claims {
  exp?: number;
  email?: string;
  sub?: string;
  auth?: { chatgpt_plan_type?: string; chatgpt_account_id?: string };
}

function claimsOf(jwt: string): Claims | undefined {
  try {
    const payload = decodeJwt(jwt);
    const auth = payload['https://api.openai.com/auth'] as Claims['auth'] | undefined;
    return {
      ...(typeof payload.exp === 'number' ? { exp: payload.exp } : {}),
      ...(typeof payload.email === 'string' ? { email: payload.email } : {}),
      ...(typeof payload.sub === 'string' ? { sub: payload.sub } : {}),
      ...(typeof auth === 'object' && auth !== null ? { auth } : {}),
    };
  } catch {
    return undefined;
  }
}

/** The sign-in mode, as that CLI decides it: auth_mode when written, else tokens before an API key. */
export function codexMode(auth: CodexAuth): 'chatgpt' | 'api_key' | 'none' {
  if (auth.authMode === 'apikey' && auth.apiKey !== undefined) return 'api_key';
  if (auth.tokens !== undefined) return 'chatgpt';
  return auth.apiKey !== undefined ? 'api_key' : 'none';
}

const LOGIN = '`codex login` (or `codex login --device-auth` where no browser can reach this machine)';

/**
 * Judges that CLI's sign-in from its home: the file's mode and parse, the mode (API key or ChatGPT),
 * the tokens' expiry (from the JWTs' `exp`, never printed), the age of `last_refresh`, and the
 * config.toml keys that restrict sign-in. `now` in seconds.
 */
export function judgeCodexHome(
  facts: CodexHomeFacts,
  now: number,
  platform: string,
  issuer: string = CODEX_ISSUER,
): { findings: Finding[]; secrets: string[] } {
  const findings: Finding[] = [];
  const { config } = facts;
  const where = facts.authPath;
  if (facts.configError !== undefined) {
    findings.push(
      problem(
        new KeyturnError('config_invalid', `${facts.configPath} is not valid TOML: ${facts.configError}`, {
          fix: `Fix ${facts.configPath}: that CLI refuses to start with it.`,
          evidence: { path: facts.configPath },
        }),
      ),
    );
  }
  const keyring = config.credentialsStore === 'keyring' || config.credentialsStore === 'auto';
  findings.push(
    noted(
      'store',
      keyring
        ? `Codex keeps its credentials in the OS keyring${config.credentialsStore === 'auto' ? ' when one is available, else in ' + where : ''} (cli_auth_credentials_store = "${config.credentialsStore ?? ''}")`
        : `Codex keeps its credentials in ${where}`,
      '',
      {
        home: facts.home,
        path: where,
        cli_auth_credentials_store: config.credentialsStore ?? 'file',
        ...(config.forcedLoginMethod === undefined ? {} : { forced_login_method: config.forcedLoginMethod }),
        ...(config.forcedWorkspaceIds === undefined
          ? {}
          : { forced_chatgpt_workspace_id: config.forcedWorkspaceIds.join(',') }),
      },
    ),
  );
  if (facts.auth === undefined) {
    if (facts.authError !== undefined) {
      findings.push(
        problem(unreadable(where, `cannot be read (${facts.authError})`, { errno: facts.authError })),
      );
    } else if (config.credentialsStore === 'keyring') {
      findings.push(
        noted(
          'not_signed_in',
          'No auth.json: with cli_auth_credentials_store = "keyring" the sign-in is in the OS keyring, which the doctor does not read',
        ),
      );
    } else {
      findings.push(
        noted(
          'not_signed_in',
          'Codex is not signed in',
          `${where} does not exist.`,
          { path: where },
          `Run ${LOGIN}.`,
        ),
      );
    }
    return { findings, secrets: [] };
  }
  const { mode, folderMode } = facts.auth;
  // That CLI creates its home with the umask (0755 is usual): only a folder others can write is judged.
  const open =
    platform === 'win32'
      ? undefined
      : exposure(
          { path: where, mode },
          folderMode === undefined ? undefined : { path: facts.home, mode: folderMode },
          0o022,
        );
  if (open !== undefined) {
    findings.push(
      problem(
        new KeyturnError(
          'store_insecure',
          `${open.what}: other users of this machine can read or replace Codex's tokens (that CLI writes it 0600).`,
          {
            fix: `\`${open.chmod}\`; if others may already have read it, \`codex logout\` then \`codex login\` to end that sign-in.`,
            evidence: {
              path: where,
              file_mode: octal(mode),
              ...(folderMode === undefined ? {} : { folder: facts.home, folder_mode: octal(folderMode) }),
            },
          },
        ),
      ),
    );
  }
  let auth: CodexAuth;
  try {
    auth = parseCodexAuth(facts.auth.text, where);
  } catch (error) {
    if (!(error instanceof KeyturnError)) throw error;
    findings.push(problem(error));
    return { findings, secrets: [] };
  }
  const secrets = codexSecrets(auth);
  const kind = codexMode(auth);
  const forced = config.forcedLoginMethod;
  if (kind === 'none') {
    findings.push(
      noted(
        'not_signed_in',
        'Codex is not signed in',
        `${where} holds neither tokens nor an API key.`,
        { path: where },
        `Run ${LOGIN}.`,
      ),
    );
    return { findings, secrets };
  }
  if (
    forced !== undefined &&
    ((forced === 'api' && kind === 'chatgpt') || (forced === 'chatgpt' && kind === 'api_key'))
  ) {
    findings.push(
      problem(
        new KeyturnError(
          'config_invalid',
          `${facts.configPath} sets forced_login_method = "${forced}", but ${where} holds ${kind === 'chatgpt' ? 'a ChatGPT sign-in' : 'an API key'}: that CLI refuses it.`,
          {
            fix:
              forced === 'api'
                ? '`codex logout`, then `printenv OPENAI_API_KEY | codex login --with-api-key`.'
                : '`codex logout`, then `codex login` with your ChatGPT account.',
            evidence: { forced_login_method: forced, mode: kind },
          },
        ),
      ),
    );
  }
  if (kind === 'api_key') {
    findings.push(
      passed('signed_in', 'Codex is signed in with an API key', { mode: 'api_key', path: where }),
    );
    return { findings, secrets };
  }
  const tokens = auth.tokens as NonNullable<CodexAuth['tokens']>;
  const id = claimsOf(tokens.idToken);
  const access = claimsOf(tokens.accessToken);
  if (id === undefined) {
    findings.push(problem(unreadable(where, 'holds an id_token that is not a JWT')));
    return { findings, secrets };
  }
  const account = id.auth?.chatgpt_account_id ?? tokens.accountId;
  const evidence: Record<string, unknown> = {
    mode: 'chatgpt',
    path: where,
    subject: id.sub ?? null,
    plan: id.auth?.chatgpt_plan_type ?? null,
    account_id: account ?? null,
    access_token_expires_in: access?.exp === undefined ? null : access.exp - now,
    last_refresh: auth.lastRefresh ?? null,
  };
  const workspaces = config.forcedWorkspaceIds;
  if (
    workspaces !== undefined &&
    workspaces.length > 0 &&
    (account === undefined || !workspaces.includes(account))
  ) {
    findings.push(
      problem(
        new KeyturnError(
          'config_invalid',
          `${facts.configPath} sets forced_chatgpt_workspace_id = "${workspaces.join(',')}", but this sign-in is for workspace ${account ?? '(none named)'}: that CLI logs it out.`,
          {
            fix: `\`codex logout\`, then \`codex login\` and choose the workspace ${workspaces.join(' or ')}.`,
            evidence: { forced_chatgpt_workspace_id: workspaces.join(','), account_id: account ?? null },
          },
        ),
      ),
    );
  }
  const who = id.email ?? id.sub ?? 'an unnamed account';
  const refreshed = auth.lastRefresh === undefined ? Number.NaN : Date.parse(auth.lastRefresh) / 1000;
  const age = Number.isNaN(refreshed) ? undefined : now - refreshed;
  const left = access?.exp === undefined ? undefined : access.exp - now;
  const parts = [
    `Codex is signed in with ChatGPT as ${who}${id.auth?.chatgpt_plan_type ? ` (${id.auth.chatgpt_plan_type})` : ''}`,
  ];
  if (left !== undefined)
    parts.push(
      left > 0
        ? `the access token is valid for ${formatDuration(left)}`
        : `the access token expired ${formatDuration(-left)} ago`,
    );
  if (age !== undefined) parts.push(`last refreshed ${formatDuration(age)} ago`);
  if (tokens.refreshToken === '') {
    findings.push(
      problem(
        new KeyturnError(
          'refresh_rejected',
          `${where} holds no refresh token: the sign-in ends when the access token expires.`,
          {
            fix: '`codex logout`, then `codex login`.',
            evidence,
          },
        ),
      ),
    );
    return { findings, secrets };
  }
  findings.push(passed('signed_in', parts.join('; '), evidence));
  if (age === undefined) {
    findings.push(
      noted(
        'signed_in',
        'last_refresh is missing or not an RFC 3339 time: that CLI refreshes the tokens at its next start',
        '',
        { path: where },
      ),
    );
  } else if (age > CODEX_REFRESH_DAYS * 86_400 || (left !== undefined && left <= 0)) {
    findings.push(
      noted(
        'signed_in',
        `The tokens are ${age > CODEX_REFRESH_DAYS * 86_400 ? `older than ${CODEX_REFRESH_DAYS} days` : 'expired'}: that CLI refreshes them at its next start (POST ${issuer}/oauth/token, probed below)`,
        'If that refresh fails with "refresh token already used" or "expired", sign in again: `codex logout`, then `codex login`.',
        { last_refresh: auth.lastRefresh, age_seconds: Math.round(age) },
      ),
    );
  }
  return { findings, secrets };
}

/** One callback port: free, or the errno of binding it and who holds it. */
export interface PortFacts {
  port: number;
  errno?: string;
  holder?: PortHolder;
}

const IDE = /^(code|code-insiders|cursor|windsurf|codium|vscodium)(\.exe)?$|electron/i;

/**
 * That CLI's callback ports: it takes 1455, asks another of its logins there to cancel, and after
 * two seconds falls back to 1457 (server.rs `bind_server`). Both taken: its sign-in cannot start.
 */
export function judgeCodexPorts(ports: readonly PortFacts[], platform: string): Finding[] {
  const findings: Finding[] = [];
  const free = ports.filter((p) => p.errno === undefined);
  for (const facts of ports) {
    const uri = codexRedirectUri(facts.port);
    if (facts.errno === undefined) {
      findings.push(
        passed('redirect_port', `Port ${facts.port} of that CLI's redirect URI ${uri} is free`, {
          port: facts.port,
        }),
      );
      continue;
    }
    const base = portInUseError({
      port: facts.port,
      redirectUri: uri,
      errno: facts.errno,
      platform,
      ...(facts.holder === undefined ? {} : { holder: facts.holder }),
    });
    const name = facts.holder?.name ?? '';
    const command = facts.holder?.command ?? '';
    const pid = facts.holder?.pid;
    let fix: string;
    let detail = base.message;
    if (/wslrelay/i.test(name)) {
      detail +=
        " WSL forwards this port to a Codex running inside WSL (the IDE extension starts it there), so the browser's callback and the token exchange happen on the Linux side.";
      fix =
        'Sign in on one side only: in VS Code or Cursor, turn off the Codex extension\'s "Run Codex In Windows Subsystem For Linux" setting (it reloads the IDE), then sign in again; or sign in without the callback: `codex login --device-auth`.';
    } else if (/codex/i.test(name) || /codex/i.test(command)) {
      detail += ' Another Codex sign-in is waiting for its browser there.';
      fix =
        'Finish or close that sign-in; a new `codex login` asks it to cancel by itself. If it hangs, stop it' +
        (pid === undefined ? '' : `: \`${platform === 'win32' ? `taskkill /PID ${pid}` : `kill ${pid}`}\``) +
        '.';
    } else if (IDE.test(name)) {
      detail +=
        ' An IDE holds it: its Codex extension is signing in, or a forwarded port of a remote session.';
      fix =
        'Finish or cancel the sign-in in the IDE (or close its forwarded port 1455), then run `codex login`; or `codex login --device-auth`.';
    } else {
      // The catalog's fix told with that CLI's command, without keyturn's redirect_port_fallback.
      const told = base
        .forApp(CODEX_APP)
        .fix.replace(/[,;] (or set `redirect_port_fallback|meanwhile `).*$/, '');
      fix = `${told}; or sign in without the callback: \`codex login --device-auth\`.`;
    }
    const severity = facts.errno === 'EACCES' || free.length === 0 ? 'error' : 'warning';
    const fallbackNote =
      facts.port === CODEX_PORT && free.some((p) => p.port === CODEX_FALLBACK_PORT)
        ? ` That CLI falls back to port ${CODEX_FALLBACK_PORT}, which is free, but only after trying to cancel this holder.`
        : '';
    findings.push(
      problem(base.restate({ message: detail + fallbackNote, fix }), severity, {
        ...(free.length === 0 ? { fallback_port_free: false } : {}),
      }),
    );
  }
  return findings;
}

/** What the wording of a finding depends on: where a variable was set, if in that CLI's .env. */
export interface CodexWordingContext {
  dotEnvPath: string;
  dotEnv: Record<string, string>;
}

const PROXY_CODES = new Set(['proxy_unreachable', 'proxy_auth_required', 'proxy_denied', 'connect_failed']);

/** Which variable of that CLI's .env set this proxy, if one did. */
function proxyVariable(context: CodexWordingContext, shown: unknown): string | undefined {
  if (typeof shown !== 'string') return undefined;
  for (const name of ['HTTPS_PROXY', 'https_proxy', 'ALL_PROXY', 'all_proxy', 'HTTP_PROXY', 'http_proxy']) {
    const value = context.dotEnv[name];
    if (value === undefined) continue;
    try {
      const url = new URL(value);
      url.username = '';
      url.password = '';
      if (url.toString().replace(/\/$/, '') === shown.replace(/\/$/, '')) return name;
    } catch {
      if (value === shown) return name;
    }
  }
  return undefined;
}

/**
 * The doctor's findings told in that CLI's words: its commands (`codex login --device-auth`,
 * `codex logout` then `codex login`), its CA variable, its IDE setting, its `.env` file.
 */
export function codexWords(finding: Finding, context: CodexWordingContext): Finding {
  const out: Finding = { ...finding, evidence: { ...finding.evidence } };
  const e = out.evidence;
  if (PROXY_CODES.has(out.code) && e.proxy !== undefined) {
    const variable = proxyVariable(context, e.proxy);
    if (variable !== undefined) {
      e.set_in = `${context.dotEnvPath} (${variable})`;
      out.detail = `${out.detail.replace(/ \(from [A-Za-z_]+(?: \/ [A-Za-z_]+)*\)/, '')} ${variable} is set in ${context.dotEnvPath}, which that CLI loads when it starts.`;
      out.fix = `Fix or remove the line \`${variable}=…\` in ${context.dotEnvPath}${out.code === 'proxy_unreachable' ? ': the proxy it names does not answer' : ''}; the doctor changes nothing there.`;
      return out;
    }
  }
  switch (out.code) {
    case 'tls_untrusted': {
      const anchor = typeof e.issuer === 'string' ? e.issuer : '?';
      const name = typeof e.host === 'string' ? `${e.host}:${String(e.port ?? 443)}` : 'the provider';
      const osStore = typeof e.os_store_file === 'string' ? e.os_store_file : undefined;
      if (typeof e.authorization_error === 'string') {
        out.detail =
          `The certificate chain presented by ${name} ends at "${anchor}", a CA that neither the public roots nor CODEX_CA_CERTIFICATE / SSL_CERT_FILE hold (${e.authorization_error}): TLS inspection by a corporate proxy or security product, most likely.` +
          (osStore === undefined ? '' : ` This machine's OS store trusts that CA (${osStore}).`);
      }
      out.fix =
        osStore !== undefined
          ? `\`export CODEX_CA_CERTIFICATE=${osStore}\` before \`codex login\` (that CLI reads it, else SSL_CERT_FILE). Never disable verification.`
          : `Get the certificate of "${anchor}" (from IT, or the browser's certificate viewer), then \`export CODEX_CA_CERTIFICATE=/path/to/that-ca.pem\` before \`codex login\` (that CLI reads it, else SSL_CERT_FILE). Never disable verification.`;
      return out;
    }
    case 'endpoint_blocked':
      if (e.cf_mitigated === 'challenge') {
        out.fix =
          'Cloudflare in front of auth.openai.com challenges this network (openai/codex#16052), and `codex login --device-auth` meets the same challenge: sign in from another network or VPN, or with an API key: `printenv OPENAI_API_KEY | codex login --with-api-key`.';
      } else if (e.region_block !== undefined) {
        out.fix =
          'OpenAI does not serve the country or region this connection comes from (https://platform.openai.com/docs/supported-countries): sign in from a supported one; a VPN or proxy exit elsewhere also triggers this.';
      }
      return out;
    case 'no_browser':
    case 'wsl':
      out.fix =
        out.code === 'wsl'
          ? 'Sign in without the callback: `codex login --device-auth`; or, from VS Code or Cursor, turn off the Codex extension\'s "Run Codex In Windows Subsystem For Linux" setting to sign in on the Windows side.'
          : `Sign in from any other device: \`codex login --device-auth\`${e.ssh === true ? `; or forward the callback port: \`ssh -L ${CODEX_PORT}:localhost:${CODEX_PORT} HOST\`` : ''}.`;
      return out;
    case 'refresh_rejected':
      out.fix = '`codex logout`, then `codex login`.';
      return out;
    default:
      break;
  }
  if (out.fix !== null) {
    out.fix = out.fix
      .replace(/`keyturn login --device`/g, '`codex login --device-auth`')
      .replace(/`keyturn login`/g, '`codex login`')
      .replace(/keyturn doctor --report/g, 'keyturn doctor --codex --report')
      .replace(/NODE_EXTRA_CA_CERTS \/ SSL_CERT_FILE \/ ca_file/g, 'CODEX_CA_CERTIFICATE / SSL_CERT_FILE')
      .replace(/NODE_EXTRA_CA_CERTS/g, 'CODEX_CA_CERTIFICATE');
  }
  return out;
}
