import { constantTimeEqual } from '../core/callback.js';
import type { Profile } from '../core/config.js';
import { refreshLockName } from '../core/store.js';
import { nowSeconds, type Deps } from './deps.js';

/**
 * Marks the stored access token as expired when it is still `accessToken`: a server rejected it (git's
 * `erase`), or the id token that came with it runs out first. Every path that serves a token — `token`,
 * the CommonJS fast path, the helpers — then refreshes it first; the sign-in itself is kept. Done under
 * the profile's refresh lock, so that it cannot undo a refresh another process is storing. True when
 * the stored token was the one named.
 */
export async function expireAccessToken(deps: Deps, profile: Profile, accessToken: string): Promise<boolean> {
  const store = await deps.store(profile);
  return deps.lock(refreshLockName(profile.name), async () => {
    let expired = false;
    await store.update(profile.name, (current) => {
      if (current?.kind !== 'oauth' || !constantTimeEqual(current.access_token, accessToken))
        return undefined;
      expired = true;
      const now = nowSeconds(deps);
      return { ...current, expires_at: Math.min(current.expires_at ?? now, now - 1) };
    });
    if (expired) {
      deps.output.debug(
        `profile "${profile.name}": the access token was rejected; the next use refreshes it`,
      );
    }
    return expired;
  });
}
