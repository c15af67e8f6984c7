/**
 * A redirect-following HTTP "browser" for the provider stand-ins: opens the authorization URL, follows
 * redirects, submits the consent form (a user clicking Allow), and ends on the CLI's loopback callback,
 * whose page it returns. Loopback only.
 */
import { fetch as undiciFetch, type Dispatcher } from 'undici';

export interface BrowserVisit {
  /** The last URL loaded (the callback, when the sign-in went through). */
  url: string;
  status: number;
  body: string;
  /** Every URL visited, in order (query strings included: test assertions only). */
  trail: string[];
}

function formOf(page: string, base: string): { action: string; fields: URLSearchParams } | undefined {
  const form = /<form[^>]*method="post"[^>]*action="([^"]+)"[^>]*>([\s\S]*?)<\/form>/i.exec(page);
  if (form === undefined || form === null) return undefined;
  const decode = (s: string) =>
    s.replace(/&#(\d+);/g, (_m, n: string) => String.fromCharCode(Number(n))).replace(/&amp;/g, '&');
  const fields = new URLSearchParams();
  for (const input of (form[2] ?? '').matchAll(/<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"[^>]*>/gi)) {
    fields.append(decode(input[1] ?? ''), decode(input[2] ?? ''));
  }
  const button = /<button[^>]*name="([^"]+)"[^>]*value="([^"]*)"/i.exec(form[2] ?? '');
  if (button !== null) fields.append(button[1] ?? '', button[2] ?? '');
  return { action: new URL(decode(form[1] ?? ''), base).href, fields };
}

export async function signInWithHttpBrowser(
  authorizationUrl: string,
  options: { dispatcherFor?: (url: string) => Dispatcher | undefined; maxSteps?: number } = {},
): Promise<BrowserVisit> {
  const trail: string[] = [];
  let url = authorizationUrl;
  let init: { method: string; body?: string; headers?: Record<string, string> } = { method: 'GET' };
  for (let step = 0; step < (options.maxSteps ?? 12); step++) {
    trail.push(url);
    const dispatcher = options.dispatcherFor?.(url);
    const response = await undiciFetch(url, {
      ...init,
      redirect: 'manual',
      ...(dispatcher === undefined ? {} : { dispatcher }),
    });
    const body = await response.text();
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location !== null) {
      url = new URL(location, url).href;
      init = { method: 'GET' };
      continue;
    }
    const form = response.status === 200 ? formOf(body, url) : undefined;
    if (form === undefined) return { url, status: response.status, body, trail };
    url = form.action;
    init = {
      method: 'POST',
      body: form.fields.toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    };
  }
  throw new Error(`the sign-in did not end within its steps: ${trail.join(' → ')}`);
}
