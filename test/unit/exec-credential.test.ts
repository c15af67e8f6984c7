import { describe, expect, it } from 'vitest';
import { execCredential, execCredentialVersion } from '../../src/core/exec-credential.js';

describe('the ExecCredential for kubectl', () => {
  it('answers in the API version KUBERNETES_EXEC_INFO asks for, v1beta1 when it names none', () => {
    const v1 =
      '{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","spec":{"interactive":false}}';
    expect(execCredentialVersion(v1)).toBe('client.authentication.k8s.io/v1');
    expect(execCredentialVersion(v1.replace('/v1"', '/v1beta1"'))).toBe(
      'client.authentication.k8s.io/v1beta1',
    );
    expect(execCredentialVersion(undefined)).toBe('client.authentication.k8s.io/v1beta1');
    expect(execCredentialVersion('not json')).toBe('client.authentication.k8s.io/v1beta1');
  });

  it('carries the token and an RFC 3339 expirationTimestamp', () => {
    expect(JSON.parse(execCredential('client.authentication.k8s.io/v1', 'tok', 1_800_000_000))).toEqual({
      apiVersion: 'client.authentication.k8s.io/v1',
      kind: 'ExecCredential',
      status: { token: 'tok', expirationTimestamp: '2027-01-15T08:00:00Z' },
    });
    expect(JSON.parse(execCredential('client.authentication.k8s.io/v1', 'tok', undefined)).status).toEqual({
      token: 'tok',
    });
  });
});
