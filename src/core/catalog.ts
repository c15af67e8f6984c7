/**
 * The diagnosis catalog: every error and every doctor finding names one of these codes.
 * One table says, per code, what it means, the default fix, whether it is transient and its exit code.
 */

import type { AppText } from './app.js';

/**
 * Every code a failure or a finding can have, with its title, default fix (told in the
 * application's words), and exit code. OAuth's own error codes (RFC 6749 §5.2, RFC 8628 §3.5) keep
 * their names.
 */
export const CATALOG = {
  not_signed_in: {
    title: 'Not signed in',
    fix: ({ command }) =>
      `Run \`${command} login\` (or \`${command} login --device\` where no browser can reach this machine).`,
    exit: 3,
  },
  port_in_use: {
    title: 'The loopback redirect port is held by another process',
    fix: 'Stop the process that holds the port, or set `redirect_port_fallback = true` if the provider accepts any loopback port.',
    exit: 1,
  },
  no_browser: {
    title: 'No browser can reach this machine',
    fix: ({ command }) =>
      `Use \`${command} login --device\`, or forward the port: \`ssh -L 1455:localhost:1455 HOST\`.`,
    exit: 1,
  },
  wsl: {
    title: 'Running inside WSL',
    fix: ({ command, name }) =>
      `The browser and the loopback relay run on Windows: use \`${command} login --device\`, or run ${name} on the Windows side.`,
    exit: 1,
  },
  clock_skew: {
    title: "The local clock differs from the provider's",
    fix: 'Synchronise the clock: `sudo timedatectl set-ntp true` (Linux) or enable automatic time in the system settings.',
    exit: 1,
  },
  ca_file_invalid: {
    title: 'A CA file setting names a missing or unusable file',
    fix: 'Point NODE_EXTRA_CA_CERTS / SSL_CERT_FILE / ca_file at a readable PEM file, or unset it.',
    exit: 1,
  },
  store_insecure: {
    title: 'The credential store is readable or writable by others',
    fix: 'Restrict it: `chmod 700 <folder> && chmod 600 <folder>/auth.json`.',
    exit: 1,
  },
  store_unreadable: {
    title: 'The credential store cannot be read',
    fix: ({ command }) =>
      `Move the credential file aside (it is named in the message) and run \`${command} login\` again.`,
    exit: 1,
  },
  dns_failed: {
    title: 'A provider host does not resolve',
    fix: 'Check the issuer URL for typos, then the DNS or VPN settings of this machine.',
    exit: 1,
  },
  connect_failed: {
    title: 'Cannot connect to the provider',
    fix: 'Check that the host and port are right and reachable from this network (firewall, VPN, proxy settings).',
    exit: 1,
  },
  proxy_unreachable: {
    title: 'The configured proxy cannot be reached',
    fix: 'Check HTTPS_PROXY / HTTP_PROXY: the proxy named there is not answering. Fix the address or unset the variable.',
    exit: 1,
  },
  proxy_auth_required: {
    title: 'The proxy requires authentication',
    fix: 'Put the proxy credentials in the proxy URL: HTTPS_PROXY=http://USER:PASSWORD@proxy:port, or ask IT for the right proxy.',
    exit: 1,
  },
  proxy_denied: {
    title: 'The proxy refuses the connection',
    fix: "Ask the proxy's administrators to allow the provider's hosts, or add them to NO_PROXY if they are reachable directly.",
    exit: 1,
  },
  tls_untrusted: {
    title: 'The TLS certificate chain is not trusted',
    fix: 'If a corporate proxy inspects TLS, add its root CA: `export NODE_EXTRA_CA_CERTS=/path/to/corporate-root.pem`. Never disable verification.',
    exit: 1,
  },
  tls_hostname_mismatch: {
    title: 'The TLS certificate does not name the host',
    fix: 'Check the issuer URL; a proxy or captive portal may be answering in place of the provider.',
    exit: 1,
  },
  tls_expired: {
    title: 'A certificate in the chain is expired or not yet valid',
    fix: "Check this machine's clock; if it is right, the provider (or an inspecting proxy) must renew its certificate.",
    exit: 1,
  },
  discovery_failed: {
    title: 'The discovery document could not be read',
    fix: 'Check the issuer URL: `<issuer>/.well-known/openid-configuration` must answer 200 with JSON metadata. Or configure the endpoints explicitly.',
    exit: 1,
  },
  issuer_mismatch: {
    title: "The discovery document's issuer differs from the configured one",
    fix: 'Set `issuer` to exactly the value the discovery document names (scheme, host, path, trailing slash).',
    exit: 1,
  },
  endpoint_blocked: {
    title: 'An endpoint refused the request before OAuth saw it',
    fix: ({ command }) =>
      `A firewall, WAF, CDN, region or IP block answered instead of the provider: try another network or VPN, or ask the provider's support with the report from \`${command} doctor --report\`.`,
    exit: 1,
  },
  invalid_client: {
    title: 'The provider does not know this client',
    fix: 'Check `client_id` (and `client_secret` for confidential clients) against the app registration at the provider.',
    exit: 1,
  },
  unauthorized_client: {
    title: 'The client may not use this grant type',
    fix: "Enable the grant for this client in the provider's app registration, or use another sign-in method.",
    exit: 1,
  },
  redirect_uri_mismatch: {
    title: 'The provider does not accept the redirect URI',
    fix: "Register the redirect URI exactly (scheme, host, port, path) in the provider's app registration, or set `redirect_uri` to one that is.",
    exit: 1,
  },
  invalid_scope: {
    title: 'A requested scope is unknown or not allowed',
    fix: 'Request only scopes the provider supports for this client (`--scope`, or `scopes` in config.toml).',
    exit: 1,
  },
  access_denied: {
    title: 'Access was denied',
    fix: 'Sign in again and approve the request; if a policy denied it, ask your administrator to approve the app.',
    exit: 1,
  },
  // Beyond the SPEC catalog: RFC 6749 §5.2's invalid_request, which no other code describes.
  invalid_request: {
    title: 'The provider rejected the request as malformed',
    fix: ({ command }) =>
      `Check the profile's extra parameters (\`authorize_params\`, \`token_params\`, \`resource\`), scopes and redirect URI against the provider's documentation; \`${command} doctor\` probes every endpoint.`,
    exit: 1,
  },
  invalid_grant: {
    title: 'The authorization code was rejected',
    fix: ({ command }) => `Run \`${command} login\` again: codes are single-use and short-lived.`,
    exit: 1,
  },
  refresh_rejected: {
    title: 'The refresh token is no longer valid',
    fix: ({ command }) => `Sign in again: \`${command} login\`.`,
    exit: 3,
  },
  state_mismatch: {
    title: 'The callback does not belong to this sign-in',
    fix: ({ command }) =>
      `Run \`${command} login\` again and complete the sign-in in the browser window it opens.`,
    exit: 1,
  },
  login_timeout: {
    title: 'The sign-in was not completed in time',
    fix: ({ command }) => `Run \`${command} login\` again and finish in the browser, or raise \`--timeout\`.`,
    exit: 1,
  },
  rate_limited: {
    title: 'The provider is rate limiting requests',
    fix: 'Wait a minute and try again.',
    exit: 4,
  },
  server_error: {
    title: 'The provider is temporarily unavailable',
    fix: 'Try again in a few minutes; check the provider status page if it persists.',
    exit: 4,
  },
  resource_mismatch: {
    title: "The MCP server's resource metadata names another resource",
    fix: 'Use the URL the server names as its resource (`--resource`), or ask its operator to correct `resource` in its protected resource metadata (RFC 9728 §3.3).',
    exit: 1,
  },
  pkce_unsupported: {
    title: 'The authorization server does not advertise PKCE with S256',
    fix: "Ask the server's operator to list `S256` in `code_challenge_methods_supported`; the MCP authorization spec forbids signing in without it.",
    exit: 1,
  },
  registration_refused: {
    title: 'The authorization server refused to register this client',
    fix: 'Configure a pre-registered client (`client_id`, and `client_secret` where it has one) or a `client_metadata_url` for this server.',
    exit: 1,
  },
  // Codes beyond the SPEC catalog, for failures that are not about the provider.
  usage: { title: 'Invalid usage', fix: ({ command }) => `See \`${command} --help\`.`, exit: 2 },
  config_invalid: {
    title: 'The configuration is incomplete or invalid',
    fix: 'Pass `--issuer` and `--client-id`, or add a `[profiles.NAME]` table to config.toml.',
    exit: 2,
  },
  // `keyturn exec`: the shell's exit codes (POSIX "Command Search and Execution").
  command_not_found: {
    title: 'The command to run was not found',
    fix: 'Check the command name, or give its full path.',
    exit: 127,
  },
  command_not_executable: {
    title: 'The command to run cannot be executed',
    fix: 'Check that the file is an executable program and that you may run it.',
    exit: 126,
  },
  login_cancelled: {
    title: 'The sign-in was cancelled',
    fix: ({ command }) => `Run \`${command} login\` again.`,
    exit: 1,
  },
  internal: {
    title: 'Unexpected error',
    fix: ({ envPrefix }) =>
      `Run again with ${envPrefix ?? 'KEYTURN'}_DEBUG=1 and report the output (it holds no secrets).`,
    exit: 1,
  },
} as const satisfies Record<string, { title: string; fix: AppText; exit: number }>;

/** A code of the diagnosis catalog: `KeyturnError.code` and `Finding.code`. */
export type ErrorCode = keyof typeof CATALOG;

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(CATALOG, value);
}

/** Codes whose failure passes by itself: retried with backoff, exit 4 when retries run out. */
export const TRANSIENT_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'rate_limited',
  'server_error',
  'connect_failed',
]);
