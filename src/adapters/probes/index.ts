import { caSources, trustedCas } from '../ca.js';
import { probeAuthorization } from './authorization.js';
import { probeDiscovery } from './discovery.js';
import { probeHost } from './host.js';
import { checkCaSources, checkRedirectPort, checkStoreFile } from './local.js';
import { probeToken } from './token.js';

/**
 * The doctor's probes, as `deps.probes()` hands them to flows/doctor.ts: each looks at one thing
 * (a host, discovery, an endpoint, a file, a port, the CA settings) and says what it found.
 */
export interface Probes {
  caSources: typeof caSources;
  trustedCas: typeof trustedCas;
  probeHost: typeof probeHost;
  probeDiscovery: typeof probeDiscovery;
  probeAuthorization: typeof probeAuthorization;
  probeToken: typeof probeToken;
  checkCaSources: typeof checkCaSources;
  checkStoreFile: typeof checkStoreFile;
  checkRedirectPort: typeof checkRedirectPort;
}

export const probes: Probes = {
  caSources,
  trustedCas,
  probeHost,
  probeDiscovery,
  probeAuthorization,
  probeToken,
  checkCaSources,
  checkStoreFile,
  checkRedirectPort,
};
