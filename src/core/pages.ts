/** The self-contained pages the loopback server shows: no external fonts, scripts or images. */

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function resultPage(
  kind: 'success' | 'failure',
  title: string,
  detail: string,
  appName = 'keyturn',
): string {
  const colour = kind === 'success' ? '#1a7f37' : '#cf222e';
  const mark = kind === 'success' ? '&#10003;' : '&#10007;';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(appName)}: ${escapeHtml(title)}</title>
<style>
body{font:16px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;background:#f6f8fa;color:#1f2328;margin:0;display:flex;min-height:100vh;align-items:center;justify-content:center}
main{background:#fff;border:1px solid #d0d7de;border-radius:12px;padding:32px 40px;max-width:520px;box-shadow:0 1px 3px rgba(0,0,0,.06)}
.mark{font-size:40px;color:${colour};line-height:1}
h1{font-size:22px;margin:12px 0 8px}
p{margin:0;color:#57606a}
</style></head>
<body><main><div class="mark">${mark}</div><h1 id="title">${escapeHtml(title)}</h1><p id="detail">${escapeHtml(detail)}</p></main></body></html>
`;
}
