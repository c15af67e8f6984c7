import type { Profile } from '../../core/config.js';
import type { DeviceUserCode } from '../../flows/login-device.js';
import type { CommandContext } from '../context.js';

function minutes(seconds: number): string {
  return seconds < 120 ? `${seconds} s` : `${Math.round(seconds / 60)} min`;
}

/**
 * The instructions of RFC 8628 §3.3 on stderr, large and clear, with the phishing warning of
 * §5.4 (remote phishing): a user code is only safe on a page the user opened.
 */
export function deviceInstructions(code: DeviceUserCode, colour: boolean): string[] {
  const bold = (text: string) => (colour ? `\u001b[1m${text}\u001b[0m` : text);
  const warn = (text: string) => (colour ? `\u001b[33m${text}\u001b[0m` : text);
  const lines = [
    '',
    'To sign in, open this page in a browser on any device:',
    '',
    `    ${bold(code.verification_uri)}`,
    '',
    'and enter this code:',
    '',
    `    ${bold(code.user_code)}`,
    '',
  ];
  if (code.verification_uri_complete !== null) {
    lines.push(`Or open this link, which fills the code in: ${code.verification_uri_complete}`, '');
  }
  lines.push(
    warn(
      '! Only enter this code on a page you opened yourself. Never enter a code someone sent you: such codes are a phishing target, and entering one signs the sender in as you.',
    ),
    `Waiting for approval (the code expires in ${minutes(code.expires_in)}; Ctrl-C to stop)…`,
  );
  return lines;
}

export async function runDeviceLogin(
  ctx: CommandContext,
  input: { profile: Profile; timeout: number },
): Promise<void> {
  const { loginWithDevice } = await import('../../flows/login-device.js');
  const result = await loginWithDevice(
    ctx.deps,
    {
      profile: input.profile,
      timeoutSeconds: input.timeout,
      onUserCode: (code) => {
        for (const line of deviceInstructions(code, ctx.output.colour)) ctx.output.info(line);
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
