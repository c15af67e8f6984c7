import { KeyturnError, isKeyturnError } from '../core/errors.js';
import type { Profile } from '../core/config.js';
import { noted, passed, problem, type Finding } from '../core/diagnosis.js';
import { chooseTokenEndpointAuthMethod, type McpBinding } from '../core/mcp.js';
import type { Deps } from './deps.js';
import { discoverResource, probeResource } from './mcp-discovery.js';
import { resourceProfile, storedResourceSignIn } from './mcp-login.js';

/**
 * `doctor --resource URL`: walks the MCP discovery chain step by step and names the step that
 * fails (no challenge, metadata at no well-known path, issuer mismatch, no PKCE S256, no way to get
 * a client). Registers nothing: a client is checked for, not created. Returns the profile the rest
 * of the doctor probes when a client is known (configured, metadata document, or stored).
 */
export async function diagnoseResource(
  deps: Deps,
  base: Profile & { resource: string },
  timeoutSeconds: number,
): Promise<{ findings: Finding[]; profile?: Profile }> {
  const findings: Finding[] = [];
  const http = await deps.http(base, { timeoutMs: timeoutSeconds * 1000 });
  try {
    const resource = new URL(base.resource);
    let probe;
    try {
      probe = await probeResource(http.fetch, resource);
    } catch (error) {
      if (!isKeyturnError(error)) throw error;
      return { findings: [problem(error, 'error', { step: 'challenge', url: resource.href })] };
    }
    if (probe.status === 401 && probe.challenge !== undefined) {
      findings.push(
        passed('resource_challenge', `${resource.href} asks for a token (401, Bearer challenge)`, {
          status: probe.status,
          ...(probe.challenge.resourceMetadata === undefined
            ? {}
            : { resource_metadata: probe.challenge.resourceMetadata }),
          ...(probe.challenge.scopes === undefined ? {} : { scope: probe.challenge.scopes.join(' ') }),
        }),
      );
    } else if (probe.status === 401) {
      findings.push(
        problem(
          new KeyturnError(
            'discovery_failed',
            `${resource.href} answered 401 without a \`WWW-Authenticate: Bearer\` challenge: clients must guess where its metadata is.`,
            {
              fix: 'Ask the server\'s operator to send `WWW-Authenticate: Bearer resource_metadata="…"` with its 401 (RFC 9728 §5.1).',
            },
          ),
          'warning',
          { step: 'challenge', status: probe.status },
        ),
      );
    } else {
      findings.push(
        noted('resource_challenge', `${resource.href} answered ${probe.status} without a token`, '', {
          status: probe.status,
        }),
      );
    }

    let discovery;
    try {
      discovery = await discoverResource(http.fetch, base.resource, {
        ...(probe.challenge === undefined ? {} : { challenge: probe.challenge }),
      });
    } catch (error) {
      if (!isKeyturnError(error)) throw error;
      findings.push(problem(error));
      return { findings };
    }
    const tried = discovery.tried.map((t) => `${t.url} → ${t.status ?? t.problem ?? '?'}`).join(', ');
    if (discovery.legacy && discovery.serverMetadataUrl === undefined) {
      findings.push(
        problem(
          new KeyturnError(
            'discovery_failed',
            `No protected resource metadata nor authorization server metadata at any well-known path (${tried}): only a 2025-03-26 server with its default endpoints /authorize, /token and /register at ${resource.origin} can be signed in to.`,
            {
              fix: 'Check the MCP server URL; if it is right, ask its operator to serve protected resource metadata (RFC 9728) at `/.well-known/oauth-protected-resource`.',
            },
          ),
          'warning',
          { step: 'resource_metadata', tried: discovery.tried },
        ),
      );
    }
    findings.push(
      discovery.resourceMetadataUrl === undefined
        ? noted(
            'resource_metadata',
            'No protected resource metadata: the server is treated as a 2025-03-26 one (its origin is its authorization server)',
            '',
            { tried: discovery.tried },
          )
        : passed(
            'resource_metadata',
            `Protected resource metadata at ${discovery.resourceMetadataUrl}: resource ${discovery.resource}, authorization server ${discovery.server.issuer}`,
            { url: discovery.resourceMetadataUrl },
          ),
      passed(
        'authorization_server_metadata',
        `Authorization server metadata${discovery.serverMetadataUrl === undefined ? ' (2025-03-26 default endpoints)' : ` at ${discovery.serverMetadataUrl}`}: issuer ${discovery.server.issuer}, PKCE S256`,
        { issuer: discovery.server.issuer },
      ),
    );

    const server = discovery.server;
    const common = {
      resource: discovery.resource,
      server: server as McpBinding['server'],
    };
    const stored = await storedResourceSignIn(deps, base).catch(() => undefined);
    let binding: McpBinding | undefined;
    if (base.clientId !== undefined) {
      binding = {
        ...common,
        client_id: base.clientId,
        ...(base.clientSecret === undefined ? {} : { client_secret: base.clientSecret }),
        token_endpoint_auth_method: chooseTokenEndpointAuthMethod({
          supported: server.token_endpoint_auth_methods_supported,
          hasSecret: base.clientSecret !== undefined,
        }),
        client_source: 'configured',
      };
      findings.push(passed('registration', `Client: ${base.clientId} (configured)`));
    } else if (
      stored?.credentials.mcp !== undefined &&
      stored.credentials.mcp.server.issuer === server.issuer
    ) {
      binding = stored.credentials.mcp;
      findings.push(
        passed('registration', `Client: ${binding.client_id} (${binding.client_source}, kept in the store)`),
      );
    } else if (
      base.clientMetadataUrl !== undefined &&
      server.client_id_metadata_document_supported === true
    ) {
      binding = {
        ...common,
        client_id: base.clientMetadataUrl,
        token_endpoint_auth_method: 'none',
        client_source: 'metadata_document',
      };
      findings.push(
        passed('registration', `Client: ${base.clientMetadataUrl} (client ID metadata document)`),
      );
    } else if (server.registration_endpoint !== undefined) {
      findings.push(
        passed(
          'registration',
          `Client: keyturn will register itself at ${server.registration_endpoint} on \`keyturn login --resource\``,
        ),
      );
    } else {
      findings.push(
        problem(
          new KeyturnError(
            'registration_refused',
            `${server.issuer} offers no dynamic client registration${server.client_id_metadata_document_supported === true ? '' : ' nor client ID metadata documents'}, and no client is configured for ${base.resource}.`,
          ),
          'error',
          { step: 'registration' },
        ),
      );
    }
    if (binding === undefined) return { findings };
    return { findings, profile: resourceProfile(base, binding) };
  } finally {
    await http.close();
  }
}
