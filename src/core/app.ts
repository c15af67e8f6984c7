/**
 * Who is speaking to the user: keyturn's own CLI, or a CLI an author built on keyturn's library
 * ("acme"). Every text a user reads — fixes, the callback page, folder names, the keyring service,
 * the User-Agent — takes its names from this one object, carried in `deps.app`.
 */

export interface AppIdentity {
  /** The application's name: its folders, the callback page, the keyring service (`acme`). */
  readonly name: string;
  /** The command a user types to run it, as fixes name it (`acme` → "Run `acme login`"). */
  readonly command: string;
  /**
   * Prefix of the environment variables it reads (`ACME` → `ACME_HOME`, `ACME_PROFILE`, …), or
   * `undefined` when it reads none of its own.
   */
  readonly envPrefix: string | undefined;
  /** The User-Agent of its HTTP requests (RFC 9110 §10.1.5 product token). */
  readonly userAgent: string;
}

/** keyturn's own CLI. */
export const KEYTURN_APP: AppIdentity = Object.freeze({
  name: 'keyturn',
  command: 'keyturn',
  envPrefix: 'KEYTURN',
  userAgent: 'keyturn',
});

/** What a library author may say about their application (all but `name` optional). */
export interface AppOptions {
  name: string;
  command?: string | undefined;
  envPrefix?: string | undefined;
  version?: string | undefined;
}

const NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/i;
const PREFIX = /^[A-Z][A-Z0-9_]{0,31}$/;

/**
 * The identity of an application named `name`. The name becomes folder names and a keyring service,
 * so it is one path segment of letters, digits, `.`, `_` and `-`.
 */
export function appIdentity(options: AppOptions): AppIdentity {
  // NAME starts with a letter or digit: '.' and '..' are not names either.
  if (!NAME.test(options.name)) {
    throw new TypeError(
      `appName ${JSON.stringify(options.name)} cannot name a folder: use letters, digits, ".", "_" and "-" (at most 64).`,
    );
  }
  if (options.envPrefix !== undefined && !PREFIX.test(options.envPrefix)) {
    throw new TypeError(
      `envPrefix ${JSON.stringify(options.envPrefix)} is not an environment variable prefix: use A-Z, 0-9 and "_", starting with a letter.`,
    );
  }
  const product = options.name.replace(/[^A-Za-z0-9!#$%&'*+.^_`|~-]/g, '-');
  return Object.freeze({
    name: options.name,
    command: options.command ?? options.name,
    envPrefix: options.envPrefix,
    userAgent: options.version === undefined ? product : `${product}/${options.version}`,
  });
}

/**
 * The settings environment the flows read (they read `KEYTURN_*` names): for keyturn itself the
 * environment as it is; for another application its own `PREFIX_*` variables in their place, and
 * keyturn's own variables ignored, so that a user's `KEYTURN_HOME` never moves acme's folders.
 */
export function settingsEnvironment(
  env: Readonly<Record<string, string | undefined>>,
  app: AppIdentity,
): Record<string, string | undefined> {
  if (app.envPrefix === KEYTURN_APP.envPrefix) return { ...env };
  const settings: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(env)) {
    if (!key.startsWith('KEYTURN_')) settings[key] = value;
  }
  if (app.envPrefix === undefined) return settings;
  const prefix = `${app.envPrefix}_`;
  for (const [key, value] of Object.entries(env)) {
    if (key.startsWith(prefix) && key.length > prefix.length) {
      settings[`KEYTURN_${key.slice(prefix.length)}`] = value;
    }
  }
  return settings;
}

/** The name of the settings variable `KEYTURN_<suffix>` as this application's user sets it. */
export function settingName(app: AppIdentity, suffix: string): string | undefined {
  return app.envPrefix === undefined ? undefined : `${app.envPrefix}_${suffix}`;
}

/** A text that names the application's command: rendered for the app that shows it. */
export type AppText = string | ((app: AppIdentity) => string);

export function renderText(text: AppText, app: AppIdentity): string {
  return typeof text === 'string' ? text : text(app);
}
