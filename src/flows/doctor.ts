import { NETWORK_CODES } from '../core/classify.js';
import { formatDuration as duration } from '../core/duration.js';
import { requireProvider, type Profile } from '../core/config.js';
import { maskSecret, type Credentials } from '../core/credentials.js';
import { KeyturnError, isKeyturnError } from '../core/errors.js';
import {
  buildReport,
  findingsFor,
  noted,
  passed,
  problem,
  type DoctorReport,
  type Finding,
  type ReportContext,
} from '../core/diagnosis.js';
import { browserSignInAdvice, type EnvironmentReport } from '../core/environment.js';
import { displayUrl } from '../core/redact.js';
import type { CaSource, Exchange, HttpClient } from '../adapters/http.js';
import type { Probes } from '../adapters/probes/index.js';
import { checkClock } from '../core/clock.js';
import { checkBinding } from '../core/binding.js';
import { deadSignIn } from './credentials.js';
import { nowSeconds, type Deps } from './deps.js';

/**
 * What the doctor examines: a keyturn profile, or another program's sign-in (`doctor --codex`, built
 * by adapters/codex-home.ts). The probes are the same; their inputs and the wording of fixes differ.
 */
export interface DoctorTarget {
  /** The report's `profile` field. */
  name: string;
  /** The provider settings probed: issuer, client id, scopes, redirect URI. */
  profile: Profile;
  /** The environment that program sees: its proxy variables (from a file it loads too). */
  env: Record<string, string | undefined>;
  /** The trusted-CA settings that program reads. */
  caSources: CaSource[];
  /** Its stored sign-in: the store's mode and parse, who is signed in until when; its secrets. */
  signIn(): Promise<{ findings: Finding[]; secrets: string[]; store?: string }>;
  /** Its loopback callback port(s) and their holders. */
  ports(): Promise<Finding[]>;
  /** It can sign in without a browser on this machine, whatever discovery says. */
  deviceSignIn?: boolean;
  /** Each finding told in that program's words. */
  reword?(finding: Finding): Finding;
  /** The report's settings table. */
  settings: Record<string, string>;
  /** Variables of the report's environment table beyond the proxy and CA ones. */
  variables?: string[];
}

export interface DoctorInput {
  profile: Profile;
  /** Another program's sign-in to examine instead of `profile`'s (`doctor --codex`). */
  target?: DoctorTarget;
  /** Bound of each network probe, in seconds (`--timeout`). */
  timeoutSeconds: number;
  /** keyturn's version, for the report. */
  version?: string;
}

export interface DoctorRun {
  report: DoctorReport;
  /** What the Markdown report adds to the findings. */
  context: ReportContext;
  /** The secrets the store holds for this profile, so a report can be checked against them. */
  secrets: string[];
}

function secretsOf(credentials: Credentials | undefined): string[] {
  if (credentials === undefined) return [];
  if (credentials.kind === 'api_key') return [credentials.api_key];
  return [credentials.access_token, credentials.refresh_token, credentials.id_token].filter(
    (s): s is string => typeof s === 'string' && s !== '',
  );
}

/** The store in use, its file's modes and parse, and who is signed in until when. */
async function checkSignIn(
  deps: Deps,
  probes: Probes,
  profile: Profile,
): Promise<{ findings: Finding[]; secrets: string[]; store?: string }> {
  const findings: Finding[] = [];
  let store;
  try {
    store = await deps.store(profile);
  } catch (error) {
    if (!isKeyturnError(error)) throw error;
    return { findings: [problem(error)], secrets: [] };
  }
  const where = `${store.kind} ${store.location}`;
  findings.push(
    noted('store', `Credentials are kept in the ${store.kind} store: ${store.location}`, store.note ?? '', {
      kind: store.kind,
      location: store.location,
      ...(store.note === undefined ? {} : { note: store.note }),
    }),
  );
  findings.push(
    ...(await probes.checkStoreFile(store.kind === 'file' ? store.location : deps.paths.authFile)),
  );
  let credentials: Credentials | undefined;
  try {
    credentials = await store.get(profile.name);
    if (credentials !== undefined) checkBinding(credentials, profile);
  } catch (error) {
    if (!isKeyturnError(error)) throw error;
    findings.push(
      error.code === 'not_signed_in'
        ? noted('not_signed_in', 'Not signed in to the configured provider', error.message, {}, error.fix)
        : problem(error),
    );
    return { findings, secrets: secretsOf(credentials), store: where };
  }
  const secrets = secretsOf(credentials);
  const flag = profile.name === 'default' ? '' : ` --profile ${profile.name}`;
  if (credentials === undefined) {
    findings.push(
      noted(
        'not_signed_in',
        'Not signed in',
        `Profile "${profile.name}" holds no credentials yet.`,
        { profile: profile.name },
        ({ command }) =>
          `Run \`${command} login${flag}\` (or \`${command} login${flag} --device\` where no browser can reach this machine).`,
      ),
    );
  } else if (credentials.kind === 'api_key') {
    findings.push(passed('signed_in', `Signed in with an API key (${maskSecret(credentials.api_key)})`));
  } else {
    const dead = deadSignIn(credentials);
    const who = credentials.claims?.email ?? credentials.claims?.name ?? credentials.claims?.sub ?? 'unknown';
    const left = credentials.expires_at === undefined ? undefined : credentials.expires_at - nowSeconds(deps);
    const evidence = {
      subject: credentials.claims?.sub ?? null,
      expires_in: left ?? null,
      has_refresh_token: credentials.refresh_token !== undefined,
    };
    if (dead !== undefined) findings.push(problem(dead, 'error', evidence));
    else if (left !== undefined && left <= 0 && credentials.refresh_token === undefined) {
      findings.push(
        problem(
          new KeyturnError(
            'refresh_rejected',
            `The access token of ${who} expired ${duration(left)} ago and no refresh token is held.`,
            { fix: ({ command }) => `Sign in again: \`${command} login${flag}\`.`, evidence },
          ),
        ),
      );
    } else if (left !== undefined && left <= 0) {
      findings.push(
        passed(
          'signed_in',
          `Signed in as ${who}; the access token expired ${duration(left)} ago and the next \`${deps.app.command} token\` refreshes it`,
          evidence,
        ),
      );
    } else {
      findings.push(
        passed(
          'signed_in',
          `Signed in as ${who}${left === undefined ? '' : `; the access token is valid for ${duration(left)}`}`,
          evidence,
        ),
      );
    }
  }
  return { findings, secrets, store: where };
}

/** Browser, SSH, container, WSL: whether the browser sign-in can work from here. */
function environmentFindings(
  environment: EnvironmentReport,
  port: number,
  deviceGrant: boolean | undefined,
  command: string,
): Finding[] {
  if (environment.findings.length === 0) {
    return [
      passed(
        'environment',
        environment.canOpenBrowser
          ? 'A browser can be opened here and can reach the loopback callback'
          : 'Nothing here keeps a browser from reaching the loopback callback',
        { platform: environment.platform, display: environment.display },
      ),
    ];
  }
  const advice = browserSignInAdvice(environment, port, command).join(' ');
  return environment.findings.map((found) =>
    problem(
      new KeyturnError(found.code, found.detail, { evidence: found.evidence, fix: advice }),
      // Not a fault of the setup where the device grant (RFC 8628) signs in from any other device
      // (or where the provider could not be asked: the cause found there comes first).
      found.code === 'no_browser' && deviceGrant !== false ? 'info' : 'warning',
    ),
  );
}

/**
 * Resolves, connects, handshakes every endpoint host (directly or through the proxy), reads discovery,
 * compares clocks, and asks the authorization and token endpoints what `login` would; independent
 * probes run in parallel, each bounded by the timeout.
 */
async function probeProvider(
  deps: Deps,
  probes: Probes,
  target: DoctorTarget,
  timeoutSeconds: number,
  observe: (exchange: Exchange) => void,
  clients: HttpClient[],
): Promise<{ findings: Finding[]; deviceGrant?: boolean }> {
  const { profile } = target;
  let provider;
  try {
    provider = requireProvider(profile);
  } catch (error) {
    if (!isKeyturnError(error)) throw error;
    return { findings: [problem(error)] };
  }
  const timeoutMs = timeoutSeconds * 1000;
  const newClient = async () => {
    const client = await deps.http(profile, { timeoutMs, env: target.env, caSources: target.caSources });
    client.observe(observe);
    clients.push(client);
    return client;
  };
  let http: HttpClient;
  try {
    http = await newClient();
  } catch (error) {
    if (isKeyturnError(error) && error.code === 'ca_file_invalid') {
      return {
        findings: [noted('skipped', 'Network probes skipped until the CA setting is fixed')],
      };
    }
    throw error;
  }
  // The very trust of the requests (for --codex: that program's, not this process's).
  const ca = http.trust;
  const hosts = new Map<string, { url: URL; endpoints: string[]; findings: Promise<Finding[]> }>();
  const probe = (endpoint: string | undefined, role: string) => {
    if (endpoint === undefined) return;
    const url = new URL(endpoint);
    const known = hosts.get(url.host);
    if (known !== undefined) {
      if (!known.endpoints.includes(role)) known.endpoints.push(role);
      return;
    }
    // The route the requests themselves take (core/proxy.ts): one decision for both.
    const route = http.route(url);
    hosts.set(url.host, {
      url,
      endpoints: [role],
      findings: probes.probeHost(
        { url, endpoints: [role] },
        {
          timeoutMs,
          caSources: http.caSources,
          now: deps.now,
          ...(route.kind === 'proxy' ? { proxy: route.proxy, proxyVariable: route.variable } : {}),
          ...(ca === undefined ? {} : { ca }),
        },
      ),
    });
  };
  probe(provider.issuer ?? provider.tokenEndpoint, provider.issuer === undefined ? 'token' : 'issuer');

  const httpFindings: Finding[] = [];
  const discovery = await probes.probeDiscovery(provider, http, timeoutSeconds, deps.now);
  httpFindings.push(...discovery.findings);
  const answer = discovery.answer;
  if (answer?.receivedAt !== undefined) {
    const clock = checkClock(answer.date, answer.receivedAt, new URL(answer.url).host);
    if (clock !== undefined) httpFindings.push(clock);
  }
  const config = discovery.config;
  let deviceGrant: boolean | undefined;
  if (config !== undefined) {
    const server = config.serverMetadata();
    deviceGrant = server.device_authorization_endpoint !== undefined;
    probe(server.authorization_endpoint, 'authorization');
    probe(server.token_endpoint, 'token');
    probe(server.device_authorization_endpoint, 'device_authorization');
    probe(server.revocation_endpoint, 'revocation');
    probe(server.jwks_uri, 'jwks');
    // Separate clients: each probe reads its own last failure.
    const [authorization, token] = await Promise.all([
      newClient().then((client) => probes.probeAuthorization(config, profile, client)),
      newClient().then((client) => probes.probeToken(config, profile, client)),
    ]);
    httpFindings.push(...authorization);
    for (const finding of token) {
      // An unknown client is refused at both endpoints: one finding, saying where else it was seen.
      const same = authorization.find((f) => f.severity !== 'ok' && f.code === finding.code);
      if (same !== undefined) same.evidence = { ...same.evidence, also_at: finding.evidence.url };
      else httpFindings.push(finding);
    }
  }

  const hostFindings: Finding[] = [];
  const unreachable = new Set<string>();
  for (const [key, host] of hosts) {
    for (const finding of await host.findings) {
      finding.evidence = { ...finding.evidence, endpoints: host.endpoints.join(', ') };
      if (finding.severity === 'error' && NETWORK_CODES.has(finding.code as never)) unreachable.add(key);
      hostFindings.push(finding);
    }
  }
  // A host that cannot be reached fails every request to it: say it once, where it was found.
  const kept = httpFindings.filter(
    (f) =>
      !(
        NETWORK_CODES.has(f.code as never) &&
        typeof f.evidence.host === 'string' &&
        unreachable.has(f.evidence.host)
      ),
  );
  if (kept.length < httpFindings.length) {
    kept.push(
      noted(
        'skipped',
        `Requests to ${[...unreachable].join(', ')} were not judged further: that host cannot be reached (above)`,
      ),
    );
  }
  return { findings: [...hostFindings, ...kept], ...(deviceGrant === undefined ? {} : { deviceGrant }) };
}

/** The doctor's target for a keyturn profile: its store, its redirect port, keyturn's own settings. */
function profileTarget(deps: Deps, probes: Probes, profile: Profile): DoctorTarget {
  return {
    name: profile.name,
    profile,
    env: deps.env,
    caSources: probes.caSources(deps.env, profile.caFile),
    signIn: () => checkSignIn(deps, probes, profile),
    ports: async () => [
      await probes.checkRedirectPort(profile.redirectUri, profile.redirectPortFallback, deps.findPortHolder),
    ],
    settings: profileSettings(profile),
  };
}

function profileSettings(profile: Profile): Record<string, string> {
  return {
    issuer: profile.issuer ?? '(none)',
    client_id: profile.clientId ?? '(none)',
    client_secret: profile.clientSecret === undefined ? 'none (public client)' : 'set (redacted)',
    scopes: profile.scopes.join(' '),
    redirect_uri: profile.redirectUri,
    redirect_port_fallback: String(profile.redirectPortFallback),
    ca_file: profile.caFile ?? '(none)',
    store: profile.store,
    ...(profile.tokenEndpoint === undefined ? {} : { token_endpoint: profile.tokenEndpoint }),
    ...(profile.authorizationEndpoint === undefined
      ? {}
      : { authorization_endpoint: profile.authorizationEndpoint }),
  };
}

/**
 * `keyturn doctor`: every diagnostic probe of SPEC.md for one profile (or for another program's
 * sign-in, `--codex`), in parallel where independent, turned into findings with a catalog code, the
 * cause in a sentence and the fix.
 */
export async function runDoctor(deps: Deps, input: DoctorInput): Promise<DoctorRun> {
  const started = deps.now();
  const { timeoutSeconds } = input;
  // An MCP server: its discovery chain first; the provider probes then take the profile it leads to.
  let resourceFindings: Finding[] = [];
  let probeTheProvider = true;
  let probed = input.profile;
  if (input.target === undefined && probed.resource !== undefined) {
    const { diagnoseResource } = await import('./mcp-doctor.js');
    const walked = await diagnoseResource(deps, { ...probed, resource: probed.resource }, timeoutSeconds);
    resourceFindings = walked.findings;
    if (walked.profile === undefined) probeTheProvider = false;
    else probed = walked.profile;
  }
  const probes = await deps.probes();
  const target = input.target ?? profileTarget(deps, probes, probed);
  const { profile } = target;
  const exchanges: Exchange[] = [];
  const clients: HttpClient[] = [];
  const redirectPort = Number(new URL(profile.redirectUri).port || 80);
  try {
    const [environment, signIn, ports, network] = await Promise.all([
      deps.environment(),
      target.signIn(),
      target.ports(),
      probeTheProvider
        ? probeProvider(deps, probes, target, timeoutSeconds, (e) => exchanges.push(e), clients)
        : { findings: [] as Finding[], deviceGrant: undefined },
    ]);
    const told = findingsFor(
      [
        ...environmentFindings(
          environment,
          redirectPort,
          target.deviceSignIn ?? network.deviceGrant,
          deps.app.command,
        ),
        ...probes.checkCaSources(target.caSources),
        ...signIn.findings,
        ...ports,
        ...resourceFindings,
        ...network.findings,
      ],
      deps.app,
    );
    // Told for the app first, then in the words of the program examined (doctor --codex).
    const findings = target.reword === undefined ? told : told.map((f) => target.reword?.(f) ?? f);
    const secrets = [
      ...signIn.secrets,
      ...(profile.clientSecret === undefined ? [] : [profile.clientSecret]),
    ];
    const report = buildReport(target.name, findings, secrets);
    const proxyVariables = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'NO_PROXY', 'no_proxy'];
    const env = target.env;
    const context: ReportContext = {
      generatedAt: new Date(deps.now()).toISOString(),
      keyturn: input.version ?? 'unknown',
      node: process.version,
      platform: `${process.platform} ${process.arch}`,
      settings: { ...target.settings, ...(signIn.store === undefined ? {} : { store: signIn.store }) },
      environment: {
        ssh: String(environment.ssh),
        container: environment.container ?? 'no',
        wsl: String(environment.wsl),
        display: String(environment.display),
        ...(environment.browserOverride === undefined ? {} : { BROWSER: environment.browserOverride }),
        ...Object.fromEntries(
          [
            ...proxyVariables,
            ...(target.variables ?? ['NODE_EXTRA_CA_CERTS', 'SSL_CERT_FILE', 'KEYTURN_HOME']),
          ]
            .filter((name) => env[name] !== undefined && env[name] !== '')
            .map((name) => [name, displayUrl(env[name] as string)]),
        ),
      },
      exchanges,
      durationMs: deps.now() - started,
    };
    return { report, context, secrets };
  } finally {
    await Promise.all(clients.map((client) => client.close().catch(() => undefined)));
  }
}
