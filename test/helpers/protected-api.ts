/**
 * A protected API on loopback, as a resource server is built (RFC 6750): it takes a Bearer token,
 * asks the authorization server whether it works (its userinfo endpoint, OIDC Core §5.3), and
 * answers 200 with who is calling, or 401 with a `WWW-Authenticate: Bearer error="invalid_token"`
 * challenge (RFC 6750 §3). It records what it was sent, so tests can see tokens and retries.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ApiRequest {
  method: string;
  path: string;
  /** The Bearer token sent, if any. */
  token: string | undefined;
  body: string;
  status: number;
}

export interface ProtectedApi {
  url: string;
  requests: ApiRequest[];
  /**
   * From now on, refuse this token although the provider would accept it: what a resource server
   * does after a security event, a key rotation, or when its clock runs ahead of the client's.
   */
  refuse(token: string): void;
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startProtectedApi(issuer: string, port = 0): Promise<ProtectedApi> {
  const discovery = (await (await fetch(`${issuer}/.well-known/openid-configuration`)).json()) as {
    userinfo_endpoint: string;
  };
  const requests: ApiRequest[] = [];
  const refused = new Set<string>();
  const server = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      const match = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '');
      const token = match?.[1];
      let status = 401;
      let answer: unknown = { error: 'invalid_token' };
      if (token !== undefined && !refused.has(token)) {
        const userinfo = await fetch(discovery.userinfo_endpoint, {
          headers: { authorization: `Bearer ${token}` },
        });
        if (userinfo.ok) {
          const claims = (await userinfo.json()) as { sub: string; name?: string };
          status = 200;
          answer = { sub: claims.sub, name: claims.name ?? null, method: req.method, echo: body };
        } else {
          await userinfo.arrayBuffer();
        }
      }
      requests.push({ method: req.method ?? 'GET', path: req.url ?? '/', token, body, status });
      res.statusCode = status;
      res.setHeader('content-type', 'application/json');
      if (status === 401) {
        res.setHeader(
          'www-authenticate',
          token === undefined ? 'Bearer realm="api"' : 'Bearer realm="api", error="invalid_token"',
        );
      }
      res.end(JSON.stringify(answer));
    })().catch((error: unknown) => {
      res.statusCode = 500;
      res.end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${bound}`,
    requests,
    refuse: (token) => refused.add(token),
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
