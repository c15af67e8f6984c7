import { KeyturnError } from '../../core/errors.js';
import type { Profile } from '../../core/config.js';
import type { CommandContext } from '../context.js';

export async function runDeviceLogin(
  _ctx: CommandContext,
  _input: { profile: Profile; timeout: number },
): Promise<void> {
  throw new KeyturnError('unauthorized_client', 'Device sign-in is not available in this build yet.', {
    fix: 'Use the browser sign-in: `keyturn login`.',
  });
}
