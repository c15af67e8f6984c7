/**
 * The git credential helper protocol, pure: the `key=value` request git writes on the helper's stdin,
 * the answer it reads back, and which hosts keyturn answers for.
 * @see https://git-scm.com/docs/git-credential#IOFMT
 * @see https://git-scm.com/docs/gitcredentials#_custom_helpers
 */

/** The attributes of one request; multi-valued ones (`wwwauth[]`, `capability[]`) keep every value. */
export interface GitCredentialRequest {
  protocol?: string;
  /** The host name, with `:port` when the URL has one. */
  host?: string;
  path?: string;
  username?: string;
  password?: string;
  /** Every attribute as sent, in order. */
  attributes: [key: string, value: string][];
}

/**
 * Parses git's request: one `key=value` per line, ending at a blank line or the end of input. A `url`
 * attribute stands for its protocol, host, path and username (git-credential(1)). Lines without `=`
 * are ignored, as git's own reader ignores what it does not understand.
 */
export function parseGitCredentialRequest(text: string): GitCredentialRequest {
  const request: GitCredentialRequest = { attributes: [] };
  for (const raw of text.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line === '') break;
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const key = line.slice(0, eq);
    const value = line.slice(eq + 1);
    request.attributes.push([key, value]);
    switch (key) {
      case 'protocol':
      case 'host':
      case 'path':
      case 'username':
      case 'password':
        request[key] = value;
        break;
      case 'url':
        Object.assign(request, fromUrl(value));
        break;
    }
  }
  return request;
}

function fromUrl(value: string): Partial<GitCredentialRequest> {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return {};
  }
  const parts: Partial<GitCredentialRequest> = { protocol: url.protocol.replace(/:$/, ''), host: url.host };
  const path = url.pathname.replace(/^\//, '');
  if (path !== '') parts.path = decodeURIComponent(path);
  if (url.username !== '') parts.username = decodeURIComponent(url.username);
  return parts;
}

/**
 * The answer to `get`: `username`, `password` and `password_expiry_utc` (Unix seconds; git 2.41+
 * drops a password past it, older versions ignore the attribute). A value git could not read back
 * (a newline or NUL in it) is refused rather than sent.
 */
export function formatGitCredentialAnswer(answer: {
  username: string;
  password: string;
  passwordExpiryUtc?: number | undefined;
}): string {
  const lines: [string, string][] = [
    ['username', answer.username],
    ['password', answer.password],
  ];
  if (answer.passwordExpiryUtc !== undefined) {
    lines.push(['password_expiry_utc', String(Math.floor(answer.passwordExpiryUtc))]);
  }
  for (const [key, value] of lines) {
    if (/[\n\r\0]/.test(value)) throw new Error(`The ${key} for git holds a line break or NUL.`);
  }
  return lines.map(([key, value]) => `${key}=${value}\n`).join('');
}

/** A host keyturn answers for: a host (with port), `*.` wildcards per label, and optionally a scheme. */
export interface GitHostPattern {
  protocol?: string;
  host: string;
  /** Where the pattern comes from, for messages: `git_hosts` or the git config key. */
  source: string;
}

const DEFAULT_PORTS: Record<string, string> = { https: '443', http: '80' };

function normaliseHost(host: string, protocol: string | undefined): string {
  const lower = host.toLowerCase();
  const port = protocol === undefined ? undefined : DEFAULT_PORTS[protocol];
  return port !== undefined && lower.endsWith(`:${port}`) ? lower.slice(0, -port.length - 1) : lower;
}

/**
 * A pattern from the profile's `git_hosts`: `host`, `host:port`, `*.example.com` or a URL such as
 * `https://git.example.com`.
 */
export function parseGitHostPattern(value: string, source: string): GitHostPattern | undefined {
  const text = value.trim();
  if (text === '') return undefined;
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(text);
  if (scheme === null) return { host: text.replace(/\/.*$/, '').toLowerCase(), source };
  const protocol = (scheme[1] as string).toLowerCase();
  const rest = text.slice(scheme[0].length).replace(/\/.*$/, '').replace(/^.*@/, '');
  if (rest === '') return undefined;
  return { protocol, host: normaliseHost(rest, protocol), source };
}

/** git's host matching: equal, or a `*` label standing for exactly one label. */
function hostMatches(pattern: string, host: string): boolean {
  if (pattern === host) return true;
  const want = pattern.split('.');
  const have = host.split('.');
  return want.length === have.length && want.every((label, i) => label === '*' || label === have[i]);
}

/** The pattern of `patterns` that covers git's request, if any. */
export function matchGitHost(
  request: Pick<GitCredentialRequest, 'protocol' | 'host'>,
  patterns: readonly GitHostPattern[],
): GitHostPattern | undefined {
  if (request.host === undefined || request.host === '') return undefined;
  const protocol = request.protocol?.toLowerCase();
  const host = normaliseHost(request.host, protocol);
  return patterns.find((pattern) => {
    if (pattern.protocol !== undefined && pattern.protocol !== protocol) return false;
    const wanted = pattern.protocol === undefined ? normaliseHost(pattern.host, protocol) : pattern.host;
    return hostMatches(wanted, host);
  });
}

/**
 * The URL contexts under which git runs keyturn as this profile's helper, from the output of
 * `git config --null --get-regexp '^credential\..+\.helper$'` (entries `key\nvalue\0`). A helper line
 * that names another profile (`--profile OTHER`) is another profile's; one that names none is ours.
 * @see https://git-scm.com/docs/gitcredentials#_credential_contexts
 */
export function keyturnHelperContexts(
  configOutput: string,
  profile: string,
  /** The command the helper line runs (an application built on keyturn names its own). */
  command = 'keyturn',
): GitHostPattern[] {
  const name = command.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const runsUs = new RegExp(`\\b${name}(\\.c?js)?\\b.*\\bcredential\\s+git\\b`);
  const patterns: GitHostPattern[] = [];
  for (const entry of configOutput.split('\0')) {
    const newline = entry.indexOf('\n');
    if (newline < 0) continue;
    const key = entry.slice(0, newline);
    const value = entry.slice(newline + 1);
    const context = /^credential\.(.+)\.helper$/i.exec(key)?.[1];
    if (context === undefined || !runsUs.test(value)) continue;
    const named = /--profile(?:=|\s+)["']?([^\s"']+)/.exec(value)?.[1];
    if (named !== undefined && named !== profile) continue;
    const pattern = parseGitHostPattern(context, key);
    // A context without a scheme is not a URL git matches requests against.
    if (pattern?.protocol !== undefined) patterns.push(pattern);
  }
  return patterns;
}
