import {
  formatGitCredentialAnswer,
  matchGitHost,
  parseGitHostPattern,
  type GitCredentialRequest,
  type GitHostPattern,
} from '../core/git-credential.js';
import type { Profile } from '../core/config.js';
import { getHelperToken } from './helper-token.js';
import { expireAccessToken } from './reject-token.js';
import type { Deps } from './deps.js';

/**
 * `keyturn credential git`: git's credential helper (gitcredentials(7)). It answers only for the hosts
 * it was configured for — the profile's `git_hosts`, or the `credential.<url>.helper` contexts that run
 * keyturn for this profile — and says nothing for any other, so that git falls through to its next
 * helper and the token never goes to a host it was not meant for.
 * @see https://git-scm.com/docs/gitcredentials#_custom_helpers
 */

export const DEFAULT_GIT_USERNAME = 'oauth2';

export interface GitCredentialInput {
  profile: Profile;
  /** `get`, `store`, `erase`; git may add others, which a helper ignores. */
  operation: string | undefined;
  request: GitCredentialRequest;
  /** The git config contexts that run keyturn as this profile's helper (read only when needed). */
  helperContexts: () => Promise<GitHostPattern[]>;
}

/** What to print on stdout: the answer to `get`, or nothing. */
export async function answerGitCredential(
  deps: Deps,
  input: GitCredentialInput,
  signal?: AbortSignal,
): Promise<string> {
  const { operation, request, profile } = input;
  if (operation !== 'get' && operation !== 'erase') return ''; // `store`: the sign-in is keyturn's.
  const patterns = await allowedHosts(input);
  if (matchGitHost(request, patterns) === undefined) {
    if (patterns.length === 0) {
      deps.output.warn(
        `${deps.app.command} answers git only for the hosts it is configured for, and none is: set \`git_hosts\` in profile "${profile.name}", or configure the helper for one host (\`git config --global credential.https://HOST.helper '!${deps.app.command} credential git'\`).`,
      );
    } else {
      deps.output.debug(`git asked for ${request.protocol ?? '?'}://${request.host ?? '?'}: not ours`);
    }
    return '';
  }
  if (operation === 'erase') {
    // The server rejected this token: the next `get` refreshes it. The sign-in itself stays.
    if (request.password !== undefined) await expireAccessToken(deps, profile, request.password);
    return '';
  }
  const { token, expiresAt } = await getHelperToken(deps, { profile, kind: 'access' }, signal);
  return formatGitCredentialAnswer({
    username: profile.gitUsername ?? DEFAULT_GIT_USERNAME,
    password: token,
    passwordExpiryUtc: expiresAt,
  });
}

async function allowedHosts(input: GitCredentialInput): Promise<GitHostPattern[]> {
  if (input.profile.gitHosts !== undefined) {
    return input.profile.gitHosts.flatMap((value) => parseGitHostPattern(value, 'git_hosts') ?? []);
  }
  return input.helperContexts();
}
