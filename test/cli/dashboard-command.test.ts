// `apiary dashboard` over a store of imported Cowrie logs (the paper's offline workflow): no sensors,
// incidents and attack chains brought up to date first, the real 2019 honeypot's sessions and figures in the API; the
// overview of that data in Chromium is the README's screenshot.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { CLI, runCli, tempDir, writeConfig } from '../helpers/apiary-process.js';
import { dashboardLogin, httpsRequest } from '../helpers/https-client.js';
import { DATA } from '../helpers/shared-data.js';
import { launchChromium } from '../../src/report/browser.js';
import { ensureClientBuilt, imagesLoaded } from '../helpers/dashboard-ui.js';

test('apiary dashboard serves imported Cowrie logs: overview, incidents, sessions; stops on SIGTERM', async () => {
  ensureClientBuilt();
  const dir = tempDir();
  const configPath = writeConfig(dir, { dashboard: { listen: '127.0.0.1:0', admin_password: 'offline password 1' } });
  const imported = await runCli(['import', 'cowrie', join(DATA, 'cowrie', 'honeylist-2019-cowrie.json'), '--config', configPath], { allowFail: true });
  assert.ok(imported.code === 0 || imported.code === 3, imported.stderr);
  const proc = spawn(process.execPath, [CLI, 'dashboard', '--config', configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no start: ${out}`)), 60_000);
      proc.stdout.on('data', () => {
        if (out.includes('press Ctrl-C to stop')) {
          clearTimeout(timer);
          resolve();
        }
      });
      proc.once('exit', () => reject(new Error(`exited: ${out}`)));
    });
    const port = Number(/dashboard listening on 127\.0\.0\.1:(\d+)/.exec(out)?.[1]);
    const { cookie } = await dashboardLogin(port, 'admin', 'offline password 1');
    const overview = (await httpsRequest(port, '/api/overview', { headers: { cookie } })).json<{ totals: { events: number; sources: { all: number } }; days: unknown[] }>();
    assert.ok(overview.totals.events > 1000, `events: ${overview.totals.events}`);
    assert.ok(overview.totals.sources.all > 10);
    assert.ok(overview.days.length >= 1);
    const chains = (await httpsRequest(port, '/api/chains', { headers: { cookie } })).json<{ id: string; intents: string[] }[]>();
    assert.ok(chains.some((c) => c.intents.includes('proxy')), 'attack chains were folded before serving');
    const chain = (await httpsRequest(port, `/api/chains/${encodeURIComponent(chains[0]!.id)}`, { headers: { cookie } })).json<{ steps: unknown[] }>();
    assert.ok(chain.steps.length > 0);
    const incidents = (await httpsRequest(port, '/api/incidents', { headers: { cookie } })).json<unknown[]>();
    assert.ok(incidents.length > 0, 'incidents were folded before serving');
    const sessions = (await httpsRequest(port, '/api/sessions?protocol=ssh&limit=20', { headers: { cookie } })).json<{ sessions: { session: string; events: number; first: string }[] }>().sessions;
    assert.equal(sessions.length, 20);
    const next = (await httpsRequest(port, `/api/sessions?protocol=ssh&limit=20&until=${encodeURIComponent(sessions.at(-1)!.first)}`, { headers: { cookie } })).json<{ sessions: { session: string; first: string }[] }>().sessions;
    assert.ok(next.length > 0, 'an older page');
    assert.ok(next.every((n) => n.first < sessions.at(-1)!.first && !sessions.some((s) => s.session === n.session)), 'older sessions only, none repeated');
    const one = (await httpsRequest(port, `/api/sessions/${sessions[0]!.session}`, { headers: { cookie } })).json<{ events: unknown[] }>();
    assert.equal(one.events.length, sessions[0]!.events);

    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 900 } });
      const errors: string[] = [];
      page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
      await page.goto(`https://127.0.0.1:${port}/#/login`);
      await page.fill('#login-form input[name=username]', 'admin');
      await page.fill('#login-form input[name=password]', 'offline password 1');
      await page.click('#login-submit');
      await page.waitForSelector('#countries tbody tr');
      await imagesLoaded(page, '.charts img');
      assert.ok((await page.locator('#countries tbody tr').count()) > 3, 'sources located in several countries');
      await page.screenshot({ path: 'docs/screenshots/dashboard-overview.png', fullPage: true });
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
    }
  } finally {
    proc.kill('SIGTERM');
  }
  assert.equal(await exited, 0);
});
