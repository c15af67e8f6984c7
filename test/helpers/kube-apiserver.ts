/**
 * A stand-in of a Kubernetes API server on loopback HTTPS (a CA of the test's own), authenticating
 * bearer tokens as the API server's OIDC authenticator does: the id token's signature against the
 * issuer's JWKS, `iss` = --oidc-issuer-url, `aud` = --oidc-client-id, not expired. Or, in `access`
 * mode, an access token the provider's userinfo endpoint accepts (what a webhook token authenticator
 * would ask). It serves `GET /version` and answers 401 with a `Status` otherwise.
 * @see https://kubernetes.io/docs/reference/access-authn-authz/authentication/#openid-connect-tokens
 * @see https://kubernetes.io/docs/reference/using-api/api-concepts/#response-status-kind (Status)
 */
import { createServer, type Server } from 'node:https';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import type { TestCa } from './certs.js';
import { userinfoStatus } from './userinfo.js';

export interface KubeApiServer {
  url: string;
  /** The `sub` of every authenticated request, or null for a refused one. */
  requests: (string | null)[];
  close(): Promise<void>;
}

/** What `kubectl version` reads: the shape of k8s.io/apimachinery's version.Info. */
const VERSION = {
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.4-keyturn-stand-in',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2026-01-01T00:00:00Z',
  goVersion: 'go1.23.8',
  compiler: 'gc',
  platform: 'linux/amd64',
};

const UNAUTHORIZED = {
  kind: 'Status',
  apiVersion: 'v1',
  metadata: {},
  status: 'Failure',
  message: 'Unauthorized',
  reason: 'Unauthorized',
  code: 401,
};

export async function startKubeApiServer(
  ca: TestCa,
  oidc: { issuer: string; clientId: string; accept: 'id' | 'access' },
): Promise<KubeApiServer> {
  const leaf = await ca.issue(['IP:127.0.0.1', 'DNS:localhost']);
  const discovery = (await (await fetch(`${oidc.issuer}/.well-known/openid-configuration`)).json()) as {
    jwks_uri: string;
  };
  const jwks = createRemoteJWKSet(new URL(discovery.jwks_uri));
  const requests: (string | null)[] = [];

  const authenticate = async (header: string | undefined): Promise<string | null> => {
    const token = /^Bearer (\S+)$/.exec(header ?? '')?.[1];
    if (token === undefined) return null;
    if (oidc.accept === 'access') {
      return (await userinfoStatus(oidc.issuer, token).catch(() => 0)) === 200 ? 'access-token-user' : null;
    }
    try {
      const { payload } = await jwtVerify(token, jwks, { issuer: oidc.issuer, audience: oidc.clientId });
      return payload.sub ?? null;
    } catch {
      return null;
    }
  };

  const server: Server = createServer({ key: leaf.key, cert: leaf.cert }, (req, res) => {
    void authenticate(req.headers.authorization).then((sub) => {
      requests.push(sub);
      const send = (status: number, body: object) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (sub === null) send(401, UNAUTHORIZED);
      else if (req.url === '/version') send(200, VERSION);
      else
        send(404, {
          ...UNAUTHORIZED,
          message: 'the server could not find the requested resource',
          reason: 'NotFound',
          code: 404,
        });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    url: `https://127.0.0.1:${port}`,
    requests,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
