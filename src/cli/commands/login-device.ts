import type { Profile } from '../../core/config.js';
import type { DeviceUserCode } from '../../flows/login-device.js';
import { formatDuration as duration } from '../../core/duration.js';
import type { CommandContext } from '../context.js';
import type { Style } from '../output.js';

/**
 * The instructions of RFC 8628 §3.3 on stderr, large and clear, with the phishing warning of
 * §5.4 (remote phishing): a user code is only safe on a page the user opened. The wait it states is
 * the one keyturn keeps.
 */
export function deviceInstructions(
  code: DeviceUserCode,
  timeoutSeconds?: number,
): { text: string; style?: Style }[] {
  // The flow's own rule (flows/login-device.ts): the code's lifetime, or --timeout when shorter.
  const waitSeconds = Math.min(code.expires_in, timeoutSeconds ?? Infinity);
  const lines: { text: string; style?: Style }[] = [
    { text: '' },
    { text: 'To sign in, open this page in a browser on any device:' },
    { text: '' },
    { text: `    ${code.verification_uri}`, style: 'bold' },
    { text: '' },
    { text: 'and enter this code:' },
    { text: '' },
    { text: `    ${code.user_code}`, style: 'bold' },
    { text: '' },
  ];
  if (code.verification_uri_complete !== null) {
    lines.push(
      { text: `Or open this link, which fills the code in: ${code.verification_uri_complete}` },
      { text: '' },
    );
  }
  const wait =
    waitSeconds < code.expires_in
      ? `the code expires in ${duration(code.expires_in)}; waiting ${duration(waitSeconds)} (--timeout)`
      : `the code expires in ${duration(code.expires_in)}`;
  lines.push(
    {
      text: '! Only enter this code on a page you opened yourself. Never enter a code someone sent you: such codes are a phishing target, and entering one signs the sender in as you.',
      style: 'warning',
    },
    { text: `Waiting for approval (${wait}; Ctrl-C to stop)…` },
  );
  return lines;
}

export async function runDeviceLogin(
  ctx: CommandContext,
  input: { profile: Profile; timeout?: number },
): Promise<void> {
  const { loginWithDevice } = await import('../../flows/login-device.js');
  const result = await loginWithDevice(
    ctx.deps,
    {
      profile: input.profile,
      ...(input.timeout === undefined ? {} : { timeoutSeconds: input.timeout }),
      onUserCode: (code) => {
        for (const line of deviceInstructions(code, input.timeout)) ctx.output.say(line.text, line.style);
      },
    },
    ctx.signal,
  );
  if (ctx.json) ctx.output.json({ ok: true, ...result });
  else {
    const who = result.name ?? result.email ?? result.subject ?? 'unknown user';
    ctx.output.info(
      `✓ Signed in to ${result.issuer} as ${who} (profile "${result.profile}", ${result.store} store).`,
    );
  }
}
