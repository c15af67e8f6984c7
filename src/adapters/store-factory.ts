import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Profile } from '../core/config.js';
import { KeyturnError } from '../core/errors.js';
import type { CredentialStore } from '../core/store.js';
import { storedBinding } from '../core/binding.js';
import type { ProviderBinding } from '../core/credentials.js';
import { FileStore, writeAtomic } from './file-store.js';
import type { KeyturnPaths } from './paths.js';
import { KEYTURN_APP, type AppIdentity } from '../core/app.js';
import type { Output } from '../flows/deps.js';
import {
  PROBE_FILE,
  fallbackNote,
  probeEnvironment,
  rememberedVerdict,
  type ProbeRecord,
  type Verdict,
} from './keyring-verdict.js';
import type * as KeyringModuleNs from './keyring-store.js';
import type { KeyringClient, KeyringMarker, KeyringUnusable } from './keyring-store.js';

type KeyringModule = typeof KeyringModuleNs;

export interface OpenStoreOptions {
  env: Record<string, string | undefined>;
  output: Output;
  /** The application whose keyring service the entries go under (default keyturn). */
  app?: Pick<AppIdentity, 'name'>;
  platform?: NodeJS.Platform;
  /** Milliseconds since the epoch (the probe cache's clock). */
  now?: () => number;
}

/**
 * Chooses the credential store of a profile (SPEC "Credential store"): `file`, `keyring`, or `auto` —
 * the keyring where a probe (write, read, delete) passes, auth.json otherwise, saying so once on
 * stderr and always in `store.note`. The probe's verdict is cached in the data folder, and a profile
 * whose credentials are already in the keyring goes there without probing. When the profile's
 * credentials sit in the other kind of store, they are moved, and the move is announced.
 */
export async function openStore(
  profile: Profile,
  paths: KeyturnPaths,
  options: OpenStoreOptions,
): Promise<CredentialStore> {
  const file = new FileStore(paths.authFile);
  const doc = await file.readAll();
  const entry: unknown =
    doc !== undefined && Object.hasOwn(doc.profiles, profile.name) ? doc.profiles[profile.name] : undefined;
  const inKeyring = isMarker(entry);
  // The common case loads nothing of the keyring.
  if (profile.store === 'file' && !inKeyring) return file;

  const keyring: KeyringModule = await import('./keyring-store.js');
  const client = new keyring.KeyringClient({
    env: options.env,
    ...(options.platform === undefined ? {} : { platform: options.platform }),
  });
  const service = keyringService(paths, options.env, options.app);
  const ctx: Context = { profile, paths, options, file, client, keyring, service };

  if (profile.store === 'file') return moveOutOfKeyring(ctx, entry as KeyringMarker);
  if (profile.store === 'keyring') {
    if (entry !== undefined && !inKeyring) await moveIntoKeyring(ctx);
    return new keyring.KeyringStore(file, client, { service });
  }

  // auto
  const fallback = {
    output: options.output,
    onUnusable: (error: KeyringUnusable) => rememberProbe(ctx, { usable: false, error }),
  };
  if (inKeyring) return new keyring.KeyringStore(file, client, { service, fallback });
  const verdict = await probeOnce(ctx);
  if (verdict.usable) {
    if (entry === undefined) return new keyring.KeyringStore(file, client, { service, fallback });
    try {
      await moveIntoKeyring(ctx);
      return new keyring.KeyringStore(file, client, { service, fallback });
    } catch (error) {
      if (!(error instanceof keyring.KeyringUnusable)) throw error;
      await rememberProbe(ctx, { usable: false, error });
      return fellBack(ctx, error.reason, error.remedy, true);
    }
  }
  return fellBack(ctx, verdict.reason, verdict.remedy, verdict.fresh);
}

/**
 * What the stored sign-in of a profile remembers of its provider (auth.json holds it for both store
 * kinds: beside the credentials, or in the keyring marker). Undefined when the profile has no
 * sign-in, or auth.json cannot be read: the store itself reports that when it is opened.
 */
export async function readRememberedBinding(
  paths: KeyturnPaths,
  profile: string,
): Promise<ProviderBinding | undefined> {
  let doc;
  try {
    doc = await new FileStore(paths.authFile).readAll();
  } catch {
    return undefined;
  }
  if (doc === undefined || !Object.hasOwn(doc.profiles, profile)) return undefined;
  const entry: unknown = doc.profiles[profile];
  if (typeof entry !== 'object' || entry === null) return undefined;
  return storedBinding(entry as Parameters<typeof storedBinding>[0]);
}

interface Context {
  profile: Profile;
  paths: KeyturnPaths;
  options: OpenStoreOptions;
  file: FileStore;
  client: KeyringClient;
  keyring: KeyringModule;
  service: string;
}

function isMarker(entry: unknown): entry is KeyringMarker {
  // The same test as keyring-store's isKeyringMarker, without loading that module on the file path.
  return typeof entry === 'object' && entry !== null && (entry as { store?: unknown }).store === 'keyring';
}

/**
 * The keyring service entries are written under; the account is the profile name. A KEYTURN_HOME
 * gets its own service, so two homes never share (and overwrite) each other's entries.
 */
export function keyringService(
  paths: KeyturnPaths,
  env: Record<string, string | undefined>,
  app: Pick<AppIdentity, 'name'> = KEYTURN_APP,
): string {
  return env.KEYTURN_HOME === undefined || env.KEYTURN_HOME === ''
    ? app.name
    : `${app.name}:${paths.dataDir}`;
}

/** `auto` without a usable keyring: the file store, with the reason in `note` (status, doctor). */
function fellBack(ctx: Context, reason: string, remedy: string, announce: boolean): FileStore {
  const { backend } = ctx.client;
  if (announce) {
    ctx.options.output.warn(
      `The OS keyring (${backend}) is not usable here: ${reason}. Keeping credentials in ${ctx.paths.authFile} (store = "auto"). To use the keyring: ${remedy}; to keep the file and silence this: store = "file".`,
    );
  }
  return new FileStore(ctx.paths.authFile, fallbackNote(backend, reason));
}

/** Moves plain credentials from auth.json into the keyring; throws KeyringUnusable when it cannot. */
async function moveIntoKeyring(ctx: Context): Promise<void> {
  const name = ctx.profile.name;
  await underMoveLock(ctx, async () => {
    // Re-read under the lock: another process may have moved them already.
    const entry: unknown = await ctx.file.readAll().then((doc) => doc?.profiles[name]);
    if (entry === undefined || isMarker(entry)) return;
    const credentials = await ctx.file.get(name);
    if (credentials === undefined) return;
    const store = new ctx.keyring.KeyringStore(ctx.file, ctx.client, { service: ctx.service });
    await store.put(name, credentials);
    ctx.options.output.info(
      `Moved the credentials of profile "${name}" from ${ctx.paths.authFile} into the ${ctx.client.backend} (store = "${ctx.profile.store}").`,
    );
  });
}

/** `store = "file"` while the credentials are in the keyring: moves them into auth.json, or says why not. */
async function moveOutOfKeyring(ctx: Context, marker: KeyringMarker): Promise<CredentialStore> {
  const name = ctx.profile.name;
  const { file, client, keyring } = ctx;
  try {
    await underMoveLock(ctx, async () => {
      const entry = await file.readAll().then((doc) => doc?.profiles[name]);
      if (!isMarker(entry)) return;
      const source = new keyring.KeyringStore(file, client, { service: ctx.service });
      let credentials;
      try {
        credentials = await source.get(name);
      } catch (error) {
        if (!(error instanceof KeyturnError) || error.code !== 'not_signed_in') throw error;
        // The keyring works but the entry is gone: drop the marker; the profile is signed out.
        await file.delete(name);
        ctx.options.output.warn(error.message);
        return;
      }
      if (credentials === undefined) return;
      await file.put(name, credentials);
      await client.delete(entry.service, entry.account).catch(() => false);
      ctx.options.output.info(
        `Moved the credentials of profile "${name}" from the ${client.backend} into ${ctx.paths.authFile} (store = "file").`,
      );
    });
  } catch (error) {
    if (!(error instanceof keyring.KeyringUnusable)) throw error;
    return new keyring.StrandedKeyringStore(file, client, marker, error, ctx.options.output);
  }
  return file;
}

/** Moves between stores under one lock, so two processes never move (and overwrite) at once. */
async function underMoveLock(ctx: Context, move: () => Promise<void>): Promise<void> {
  const { withFileLock } = await import('./lock.js');
  await withFileLock(
    join(ctx.paths.lockDir, `store-move-${encodeURIComponent(ctx.profile.name)}.lock`),
    move,
    {
      timeoutMs: ctx.client.timeoutMs * 3 + 10_000,
    },
  );
}

function probeEnvironmentOf(ctx: Context): string {
  return probeEnvironment(ctx.options.platform ?? process.platform, ctx.options.env);
}

/** The cached verdict for this environment when recent, else a fresh probe (remembered). */
async function probeOnce(ctx: Context): Promise<Verdict> {
  const now = (ctx.options.now ?? Date.now)();
  const path = join(ctx.paths.dataDir, PROBE_FILE);
  const text = await readFile(path, 'utf8').catch(() => undefined);
  const remembered = text === undefined ? undefined : rememberedVerdict(text, probeEnvironmentOf(ctx), now);
  if (remembered !== undefined) return remembered;
  try {
    await ctx.client.probe(ctx.service);
  } catch (error) {
    if (!(error instanceof ctx.keyring.KeyringUnusable)) throw error;
    await rememberProbe(ctx, { usable: false, error });
    return { usable: false, reason: error.reason, remedy: error.remedy, fresh: true };
  }
  await rememberProbe(ctx, { usable: true });
  return { usable: true };
}

async function rememberProbe(
  ctx: Context,
  verdict: { usable: true } | { usable: false; error: KeyringUnusable },
): Promise<void> {
  const record: ProbeRecord = {
    version: 1,
    environment: probeEnvironmentOf(ctx),
    usable: verdict.usable,
    probed_at: (ctx.options.now ?? Date.now)(),
  };
  if (!verdict.usable) {
    record.reason = verdict.error.reason;
    record.remedy = verdict.error.remedy;
  }
  try {
    await mkdir(ctx.paths.dataDir, { recursive: true, mode: 0o700 });
    await writeAtomic(join(ctx.paths.dataDir, PROBE_FILE), `${JSON.stringify(record, null, 2)}\n`);
  } catch (error) {
    // Only a cache: the next command probes again.
    ctx.options.output.debug(`could not remember the keyring probe: ${String(error)}`);
  }
}
