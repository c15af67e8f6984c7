/** An error carrying the errno-like code the classifier reads (`ETIMEDOUT` when a probe ran out of time). */
export function probeError(code: string, message: string): Error & { code: string } {
  return Object.assign(new Error(message), { code });
}

/** Rejects with ETIMEDOUT after `ms`, running `onTimeout` (to destroy a socket) first. */
export function withDeadline<T>(work: Promise<T>, ms: number, onTimeout?: () => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      onTimeout?.();
      reject(probeError('ETIMEDOUT', `no answer within ${ms / 1000} s`));
    }, ms);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

export function errnoOf(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : 'EUNKNOWN';
}
