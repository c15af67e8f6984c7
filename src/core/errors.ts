import { CATALOG, TRANSIENT_CODES, isErrorCode, type ErrorCode } from './catalog.js';
import { KEYTURN_APP, renderText, type AppIdentity, type AppText } from './app.js';

export interface KeyturnErrorOptions {
  /** What to do; a function of the app when it names its command (`acme login`). */
  fix?: AppText;
  /** The application the fix is told for (default: keyturn's own CLI). */
  app?: AppIdentity;
  transient?: boolean;
  cause?: unknown;
  httpStatus?: number;
  oauthError?: string;
  oauthErrorDescription?: string;
  /** Facts for doctor and reports; never a secret. */
  evidence?: Record<string, unknown>;
  /** Seconds the server asked us to wait (Retry-After). */
  retryAfter?: number;
}

/**
 * The one error type of keyturn: a catalog code (the diagnosis catalog), whether it passes by itself
 * (`transient`: retried, exit 4), and what to do (`fix`, in the words of the application that shows
 * it). OAuth error responses keep their `error` and `error_description` (RFC 6749 §5.2).
 */
export class KeyturnError extends Error {
  override readonly name = 'KeyturnError';
  readonly code: ErrorCode;
  readonly fix: string;
  readonly transient: boolean;
  readonly httpStatus: number | undefined;
  readonly oauthError: string | undefined;
  readonly oauthErrorDescription: string | undefined;
  readonly evidence: Record<string, unknown>;
  readonly retryAfter: number | undefined;
  /** The application `fix` is told for. */
  readonly app: AppIdentity;
  readonly #fix: AppText;

  constructor(code: ErrorCode, message: string, options: KeyturnErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.#fix = options.fix ?? CATALOG[code].fix;
    this.app = options.app ?? KEYTURN_APP;
    this.fix = renderText(this.#fix, this.app);
    this.transient = options.transient ?? TRANSIENT_CODES.has(code);
    this.httpStatus = options.httpStatus;
    this.oauthError = options.oauthError;
    this.oauthErrorDescription = options.oauthErrorDescription;
    this.evidence = options.evidence ?? {};
    this.retryAfter = options.retryAfter;
  }

  /** The same failure told differently: another message or fix, everything else kept. */
  restate(change: { message?: string; fix?: AppText }): KeyturnError {
    return this.#copy(change.message ?? this.message, change.fix ?? this.#fix, this.app, this);
  }

  #copy(message: string, fix: AppText, app: AppIdentity, cause: unknown): KeyturnError {
    return new KeyturnError(this.code, message, {
      fix,
      app,
      transient: this.transient,
      ...(cause === undefined ? {} : { cause }),
      evidence: this.evidence,
      ...(this.httpStatus === undefined ? {} : { httpStatus: this.httpStatus }),
      ...(this.oauthError === undefined ? {} : { oauthError: this.oauthError }),
      ...(this.oauthErrorDescription === undefined
        ? {}
        : { oauthErrorDescription: this.oauthErrorDescription }),
      ...(this.retryAfter === undefined ? {} : { retryAfter: this.retryAfter }),
    });
  }

  /** The same failure with its fix told for `app` (`acme login` rather than `keyturn login`). */
  forApp(app: AppIdentity): KeyturnError {
    if (app === this.app) return this;
    const told = this.#copy(this.message, this.#fix, app, this.cause);
    if (this.stack !== undefined) told.stack = this.stack;
    return told;
  }

  /** The `{"error": …}` document of the CLI's `--json` (`http_status`, `oauth_error` as RFC 6749 §5.2 names them). */
  toJSON(): { error: Record<string, unknown> } {
    const error: Record<string, unknown> = {
      code: this.code,
      message: this.message,
      fix: this.fix,
      transient: this.transient,
    };
    if (this.httpStatus !== undefined) error.http_status = this.httpStatus;
    if (this.oauthError !== undefined) error.oauth_error = this.oauthError;
    if (this.oauthErrorDescription !== undefined) error.oauth_error_description = this.oauthErrorDescription;
    return { error };
  }
}

/** Whether a thrown value is a {@link KeyturnError} (with a catalog code and a fix). */
export function isKeyturnError(value: unknown): value is KeyturnError {
  return value instanceof KeyturnError;
}

/**
 * The exit code keyturn's CLI gives a failure (and a CLI built on the library may give it): `3`
 * sign-in required, `4` temporarily unavailable after retries, `2` usage, `1` any other failure.
 */
export function exitCodeFor(error: unknown): number {
  if (!isKeyturnError(error)) return 1;
  if (error.transient) return 4;
  return CATALOG[error.code].exit;
}

/** A usage error (exit 2). */
export function usageError(message: string, fix?: string): KeyturnError {
  return new KeyturnError('usage', message, fix === undefined ? {} : { fix });
}

export { CATALOG, isErrorCode, type ErrorCode };
