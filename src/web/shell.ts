// The page shell and style sheet of the dashboard: no inline script or style, so the strict
// Content-Security-Policy holds; the client is ES modules under /ui/.

export const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "font-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export const INDEX_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Apiary</title>
<link rel="stylesheet" href="/app.css">
<script type="module" src="/ui/main.js"></script>
</head>
<body>
<header id="top"><span class="brand">Apiary</span><nav id="nav"></nav><span id="who"></span></header>
<main id="app"><p>Loading…</p></main>
</body>
</html>
`;

export const APP_CSS = `
:root { --bg: #f6f7f9; --fg: #1d2330; --muted: #667085; --line: #d9dde3; --accent: #b7791f; --ext: #d9822b; --int: #2b6cb0; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, sans-serif; background: var(--bg); color: var(--fg); }
header { display: flex; align-items: center; gap: 16px; padding: 8px 16px; background: #1d2330; color: #fff; flex-wrap: wrap; }
header a { color: #f4d58d; text-decoration: none; margin-right: 10px; }
header a.active { color: #fff; text-decoration: underline; }
.brand { font-weight: 700; color: #f6c343; }
#who { margin-left: auto; color: #cfd4dc; }
main { padding: 16px; max-width: 1400px; }
h1 { font-size: 20px; margin: 4px 0 12px; }
h2 { font-size: 16px; margin: 20px 0 8px; }
table { border-collapse: collapse; background: #fff; margin: 6px 0 12px; max-width: 100%; }
th, td { border: 1px solid var(--line); padding: 3px 8px; text-align: left; vertical-align: top; max-width: 520px; overflow-wrap: anywhere; }
th { background: #eef0f3; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.counters { display: flex; gap: 12px; flex-wrap: wrap; }
.counter { background: #fff; border: 1px solid var(--line); padding: 8px 14px; min-width: 130px; }
.counter b { display: block; font-size: 22px; }
.charts { display: flex; gap: 16px; flex-wrap: wrap; }
.charts img { background: #fff; border: 1px solid var(--line); max-width: 100%; }
form.inline, .toolbar { display: flex; gap: 8px; align-items: center; flex-wrap: wrap; margin: 8px 0; }
input, select, button, textarea { font: inherit; padding: 3px 6px; }
button { cursor: pointer; }
.error { color: #b42318; }
.ok { color: #067647; }
.muted { color: var(--muted); }
pre.term { background: #111; color: #e6e6e6; padding: 10px; min-height: 200px; max-height: 480px; overflow: auto; white-space: pre-wrap; }
pre.sql { background: #fff; border: 1px solid var(--line); padding: 6px; }
textarea.sql { width: 100%; min-height: 90px; font-family: monospace; }
.live { max-height: 600px; overflow: auto; background: #fff; border: 1px solid var(--line); }
.badge { display: inline-block; padding: 0 6px; border-radius: 8px; background: #eef0f3; }
.badge.off { background: #fde2e1; }
.badge.on { background: #dcfae6; }
.login { max-width: 360px; background: #fff; border: 1px solid var(--line); padding: 16px; }
.login label { display: block; margin: 8px 0 2px; }
.login input { width: 100%; }
.limits input { width: 80px; }
`;
