/**
 * Self-contained HTML pages of the embedded issuer: inline CSS only, no external fonts, scripts or images.
 */

export const PAGE_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'";

export function escapeHtml(value: unknown): string {
  return String(value)
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

const CSS = `
*{box-sizing:border-box}
body{margin:0;min-height:100vh;display:flex;align-items:center;justify-content:center;background:#f3f4f6;color:#111827;
font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{width:100%;max-width:380px;margin:24px;padding:28px 28px 20px;background:#fff;border-radius:12px;
box-shadow:0 1px 3px rgba(0,0,0,.08),0 8px 24px rgba(0,0,0,.06)}
h1{margin:0 0 4px;font-size:1.35em;font-weight:600}
.brand{margin:0 0 18px;color:#6b7280;font-size:.85em;letter-spacing:.04em;text-transform:uppercase}
p{margin:0 0 14px}
label{display:block;margin:0 0 4px;font-size:.9em;color:#374151}
input[type=text],input[type=password]{display:block;width:100%;height:42px;margin:0 0 14px;padding:0 10px;font-size:1em;
border:1px solid #d1d5db;border-radius:8px;background:#fff;color:inherit}
input[type=text]:focus,input[type=password]:focus{outline:2px solid #2563eb;outline-offset:0;border-color:#2563eb}
input[name=user_code]{text-transform:uppercase;text-align:center;letter-spacing:.15em;font-family:ui-monospace,monospace}
button{display:block;width:100%;height:42px;margin:0 0 10px;border:0;border-radius:8px;font-size:1em;font-weight:600;cursor:pointer;
background:#2563eb;color:#fff}
button:hover{background:#1d4ed8}
button.secondary{background:#fff;color:#374151;border:1px solid #d1d5db}
button.secondary:hover{background:#f9fafb}
.hint{padding:10px 12px;border-radius:8px;background:#eff6ff;color:#1e3a8a;font-size:.9em}
.error{padding:10px 12px;border-radius:8px;background:#fef2f2;color:#991b1b;font-size:.9em}
.ok{color:#166534}
code,.code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
.code{display:block;margin:0 0 14px;padding:10px;text-align:center;font-size:1.6em;letter-spacing:.12em;background:#f9fafb;border-radius:8px}
ul{margin:0 0 16px;padding-left:20px}
li{margin:2px 0}
small{color:#6b7280}
`;

export function layout(title: string, body: string, page: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(title)} · keyturn demo issuer</title>
<style>${CSS}</style>
</head>
<body data-keyturn-page="${escapeHtml(page)}">
<main>
<p class="brand">keyturn demo issuer</p>
${body}
</main>
</body>
</html>`;
}

export function loginPage(opts: {
  action: string;
  clientId: string;
  username: string;
  password: string;
  error?: string;
  usernameValue?: string;
}): string {
  const error = opts.error ? `<p class="error" role="alert">${escapeHtml(opts.error)}</p>` : '';
  return layout(
    'Sign in',
    `<h1>Sign in</h1>
<p><small>to continue to <code>${escapeHtml(opts.clientId)}</code></small></p>
<p class="hint">Demo account: <strong><code>${escapeHtml(opts.username)}</code></strong> / <strong><code>${escapeHtml(opts.password)}</code></strong></p>
${error}
<form method="post" action="${escapeHtml(opts.action)}" autocomplete="off">
<label for="username">Username</label>
<input type="text" id="username" name="username" value="${escapeHtml(opts.usernameValue ?? '')}" autofocus required>
<label for="password">Password</label>
<input type="password" id="password" name="password" required>
<button type="submit">Sign in</button>
</form>`,
    'login',
  );
}

const SCOPE_TEXT: Record<string, string> = {
  openid: 'Know who you are (your account identifier)',
  profile: 'See your name',
  email: 'See your email address',
  offline_access: 'Stay signed in (keep access while you are away)',
};

export function consentPage(opts: {
  allowAction: string;
  denyAction: string;
  clientId: string;
  scopes: string[];
}): string {
  const items = opts.scopes
    .map((s) => `<li>${escapeHtml(SCOPE_TEXT[s] ?? s)} <small>(<code>${escapeHtml(s)}</code>)</small></li>`)
    .join('\n');
  return layout(
    'Allow access?',
    `<h1>Allow access?</h1>
<p><code>${escapeHtml(opts.clientId)}</code> wants to:</p>
<ul>
${items || '<li>Sign you in</li>'}
</ul>
<form method="post" action="${escapeHtml(opts.allowAction)}">
<button type="submit">Allow</button>
</form>
<form method="post" action="${escapeHtml(opts.denyAction)}">
<button type="submit" class="secondary">Deny</button>
</form>`,
    'consent',
  );
}

export function errorPage(title: string, message: string, details?: Record<string, unknown>): string {
  const rows = details
    ? Object.entries(details)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => `<li><code>${escapeHtml(k)}</code>: ${escapeHtml(v)}</li>`)
        .join('\n')
    : '';
  return layout(
    title,
    `<h1>${escapeHtml(title)}</h1>
<p>${escapeHtml(message)}</p>
${rows ? `<ul>${rows}</ul>` : ''}`,
    'error',
  );
}

export function deviceInputPage(form: string, message: string, isError: boolean): string {
  return layout(
    'Connect a device',
    `<h1>Connect a device</h1>
<p class="${isError ? 'error' : ''}">${escapeHtml(message)}</p>
${form}
<button type="submit" form="op.deviceInputForm">Continue</button>`,
    'device-input',
  );
}

export function deviceConfirmPage(form: string, clientId: string, userCode: string): string {
  return layout(
    'Confirm the device',
    `<h1>Confirm the device</h1>
<p><code>${escapeHtml(clientId)}</code> asks to sign in. Check that this code is the one shown in your terminal:</p>
<span class="code">${escapeHtml(userCode)}</span>
${form}
<button type="submit" form="op.deviceConfirmForm">Continue</button>
<button type="submit" form="op.deviceConfirmForm" name="abort" value="yes" class="secondary">Cancel</button>
<p><small>If you did not start this sign-in, or the code does not match, cancel.</small></p>`,
    'device-confirm',
  );
}

export function deviceSuccessPage(clientId: string): string {
  return layout(
    'Device connected',
    `<h1 class="ok">Sign-in complete</h1>
<p>The device using <code>${escapeHtml(clientId)}</code> is now signed in. You can close this window and return to your terminal.</p>`,
    'device-success',
  );
}
