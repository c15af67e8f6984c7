/**
 * An MCP server built on the MCP TypeScript SDK's server side, protected as the MCP authorization
 * spec says: the SDK's own bearer middleware (`requireBearerAuth`) answering 401 with
 * `WWW-Authenticate: Bearer resource_metadata=…`, and protected resource metadata (RFC 9728) at the
 * path-inserted well-known URI. Access tokens are the embedded issuer's JWTs, verified with jose
 * against its JWKS, audience this server's URL (RFC 8707, RFC 9068).
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { requireBearerAuth } from '@modelcontextprotocol/sdk/server/auth/middleware/bearerAuth.js';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';

export interface RunningMcpServer {
  /** The MCP endpoint, e.g. http://127.0.0.1:PORT/mcp: the resource. */
  url: string;
  /** Tool calls answered, with the token's subject and scopes. */
  calls: { subject: string; scopes: string[] }[];
  /** Requests refused with 401. */
  unauthorized: number;
  close(): Promise<void>;
}

export interface McpServerOptions {
  issuer: string;
  scope: string;
  /** Broken on purpose, for `doctor --resource`: the authorization server the metadata names. */
  authorizationServer?: string;
  /** …the `resource` it names (default: this server's URL). */
  metadataResource?: string;
  /** …no protected resource metadata, and a bare 401 without `WWW-Authenticate`. */
  bare?: boolean;
}

export async function startMcpServer(options: McpServerOptions): Promise<RunningMcpServer> {
  const app = express();
  app.use(express.json());
  const calls: RunningMcpServer['calls'] = [];
  let unauthorized = 0;
  let base = '';
  const jwks = createRemoteJWKSet(new URL(`${options.issuer}/jwks`));

  app.get('/.well-known/oauth-protected-resource/mcp', (_req, res, next) => {
    if (options.bare === true) return next();
    res.json({
      resource: options.metadataResource ?? `${base}/mcp`,
      authorization_servers: [options.authorizationServer ?? options.issuer],
      scopes_supported: [options.scope],
      bearer_methods_supported: ['header'],
    });
  });

  const verifier = {
    async verifyAccessToken(token: string): Promise<AuthInfo> {
      const { payload } = await jwtVerify(token, jwks, { issuer: options.issuer, audience: `${base}/mcp` });
      return {
        token,
        clientId: String(payload.client_id ?? ''),
        scopes: String(payload.scope ?? '')
          .split(' ')
          .filter((s) => s !== ''),
        ...(payload.exp === undefined ? {} : { expiresAt: payload.exp }),
        extra: { subject: String(payload.sub ?? '') },
      };
    },
  };

  app.post(
    '/mcp',
    (req, res, next) => {
      res.once('finish', () => {
        if (res.statusCode === 401) unauthorized++;
      });
      if (options.bare === true && req.headers.authorization === undefined) {
        res.status(401).json({ error: 'invalid_token' });
        return;
      }
      requireBearerAuth({
        verifier,
        requiredScopes: [options.scope],
        resourceMetadataUrl: `${base}/.well-known/oauth-protected-resource/mcp`,
      })(req, res, next);
    },
    async (req, res) => {
      const server = new McpServer({ name: 'keyturn-test-mcp', version: '1.0.0' });
      server.registerTool('whoami', { description: 'Says who the token belongs to' }, (extra) => {
        const subject = String(extra.authInfo?.extra?.subject ?? '');
        calls.push({ subject, scopes: extra.authInfo?.scopes ?? [] });
        return { content: [{ type: 'text', text: `hello ${subject}` }] };
      });
      const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
      res.on('close', () => {
        void transport.close();
        void server.close();
      });
      await server.connect(transport);
      await transport.handleRequest(req, res, req.body);
    },
  );

  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: `${base}/mcp`,
    calls,
    get unauthorized() {
      return unauthorized;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
