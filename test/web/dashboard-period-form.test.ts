// A period the dashboard refuses (a 400 naming from or to) in Chromium: the page shows the period form,
// holding what was typed, above the error, and correcting it there shows the page; the reports page
// checks the period before offering downloads that would each be the refusal.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import pino from 'pino';
import { validateConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { launchChromium } from '../../src/report/browser.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { startDashboard } from '../../src/web/server.js';
import { tempDir } from '../helpers/apiary-process.js';
import { ensureClientBuilt } from '../helpers/dashboard-ui.js';
import { dashboardLogin, httpsRequest } from '../helpers/https-client.js';

const PASSWORD = 'period password 1';

test('a refused period shows the period form above the error, on the reports page and the overview, and is corrected in place', async () => {
  ensureClientBuilt();
  const dir = tempDir();
  const config = validateConfig({ data_dir: dir, dashboard: { listen: '127.0.0.1:0', admin_password: PASSWORD } }) as unknown as Config;
  const store = new SqliteStore(join(dir, 'apiary.db'));
  const dash = await startDashboard({ config, dash: config.dashboard!, store, services: [], onEvents: () => () => undefined, log: pino({ level: 'silent' }) });
  const browser = await launchChromium();
  try {
    const port = dash.bound[0]!.port;
    const { cookie } = await dashboardLogin(port, 'admin', PASSWORD);
    const period = await httpsRequest(port, '/api/period?from=2026-01-01&to=2026-02-01', { headers: { cookie } });
    assert.deepEqual(period.json(), { from: '2026-01-01T00:00:00.000Z', to: '2026-02-01T00:00:00.000Z' });
    assert.equal((await httpsRequest(port, '/api/period?from=garbage', { headers: { cookie } })).status, 400);

    const base = `https://127.0.0.1:${port}`;
    const ctx = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 900 } });
    const page = await ctx.newPage();
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(e.message));
    await page.goto(`${base}/#/login`);
    await page.fill('#login-form input[name=username]', 'admin');
    await page.fill('#login-form input[name=password]', PASSWORD);
    await page.click('#login-submit');
    await page.waitForSelector('#counters');

    for (const name of ['reports', 'overview']) {
      await page.goto(`${base}/#/${name}?from=garbage&to=2026-02-01`);
      await page.waitForSelector('#page-error');
      assert.match(await page.locator('#page-error').innerText(), /^from: expected a date/, name);
      assert.equal(await page.locator('#period input[name=from]').inputValue(), 'garbage', `${name}: the form holds what was typed`);
      assert.equal(await page.locator('#period input[name=to]').inputValue(), '2026-02-01');
      assert.ok(await page.locator('#period + #page-error').count(), `${name}: the form is above the error`);
      assert.equal(await page.locator('#report-links').count(), 0, `${name}: no download of a refused period`);
      await page.fill('#period input[name=from]', '2026-01-01');
      await page.click('#period button[type=submit]');
      await page.waitForSelector(name === 'reports' ? '#report-links' : '#counters');
      assert.equal(await page.locator('#page-error').count(), 0);
    }
    assert.deepEqual(problems, []);
  } finally {
    await browser.close();
    await dash.close();
    await store.close();
  }
});
