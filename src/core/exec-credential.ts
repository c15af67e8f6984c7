/**
 * The kubectl exec credential plugin's answer: an `ExecCredential` of the API version kubectl asks
 * for in `KUBERNETES_EXEC_INFO` (the kubeconfig's `exec.apiVersion`), `v1beta1` when it names none.
 * Pure, and small: the CommonJS fast path (cli/launcher.ts) uses it too.
 * @see https://kubernetes.io/docs/reference/access-authn-authz/authentication/#input-and-output-formats
 */

export const EXEC_CREDENTIAL_V1 = 'client.authentication.k8s.io/v1';
export const EXEC_CREDENTIAL_V1BETA1 = 'client.authentication.k8s.io/v1beta1';

/** The API version kubectl asked for: v1 when `KUBERNETES_EXEC_INFO` says so, else v1beta1. */
export function execCredentialVersion(execInfo: string | undefined): string {
  if (execInfo === undefined || execInfo === '') return EXEC_CREDENTIAL_V1BETA1;
  try {
    const info = JSON.parse(execInfo) as { apiVersion?: unknown } | null;
    return info?.apiVersion === EXEC_CREDENTIAL_V1 ? EXEC_CREDENTIAL_V1 : EXEC_CREDENTIAL_V1BETA1;
  } catch {
    return EXEC_CREDENTIAL_V1BETA1;
  }
}

/** RFC 3339 in UTC, whole seconds: what `status.expirationTimestamp` holds. */
export function rfc3339(unixSeconds: number): string {
  return new Date(Math.floor(unixSeconds) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The document on stdout; without an expiry kubectl keeps the token until a request is refused. */
export function execCredential(apiVersion: string, token: string, expiresAt: number | undefined): string {
  const status: { token: string; expirationTimestamp?: string } = { token };
  if (expiresAt !== undefined) status.expirationTimestamp = rfc3339(expiresAt);
  return `${JSON.stringify({ apiVersion, kind: 'ExecCredential', status })}\n`;
}
