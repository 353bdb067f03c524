// The attack-chain pages in Chromium over chains committed to the store: the ranked list, a chain's link
// graph, the evidence for each link, the ATT&CK matrix and the timeline; attacker strings inside a
// chain (commands, user names) stay text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { validateConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { launchChromium } from '../../src/report/browser.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { SqliteDashboardReads } from '../../src/store/sqlite/dashboard-reads.js';
import type { AttackRecord } from '../../src/store/store.js';
import { startDashboard } from '../../src/web/server.js';
import { tempDir } from '../helpers/apiary-process.js';
import { ensureClientBuilt, imagesLoaded } from '../helpers/dashboard-ui.js';

const HOSTILE = '<script>alert(1)</script>"><img src=x onerror=alert(2)>';

function chain(id: string, score: number): AttackRecord {
  return {
    id,
    score,
    factors: { persistence: { points: 30, explanation: 'came back on 9 days over 5 weeks' }, separation: { points: 40, explanation: 'scanning and logging in from different hosts' } },
    first_seen: '2026-10-01T10:00:00.000Z',
    last_seen: '2026-11-05T12:00:00.000Z',
    sources: [
      { ip: '203.0.113.7', scope: 'external', country: 'NL', role: 'attacker' },
      { ip: '198.51.100.23', scope: 'external', country: 'US', role: 'attacker' },
      { ip: '192.0.2.80', scope: 'external', country: null, role: 'server' },
    ],
    services: ['ssh', 'mysql'],
    techniques: [
      { id: 'T1110.001', name: 'Brute Force: Password Guessing', evidence: ['1,200 attempts'] },
      { id: 'T1078', name: 'Valid Accounts', evidence: ['root accepted'] },
      { id: 'T1082', name: 'System Information Discovery', evidence: ['uname -a'] },
      { id: 'T1105', name: 'Ingress Tool Transfer', evidence: [HOSTILE] },
    ],
    intents: [{ name: 'resource_abuse', evidence: [{ event_id: 'e1', detail: `miner: ${HOSTILE}` }] }],
    links: [
      { type: 'credential_handoff', from: '203.0.113.7', to: '198.51.100.23', explanation: 'the password found by 203.0.113.7 was used by 198.51.100.23 three days later', evidence: [`root / ${HOSTILE}`] },
      { type: 'shared_infrastructure', from: '198.51.100.23', to: '192.0.2.80', explanation: 'downloads from the same server', evidence: ['http://192.0.2.80/x.sh'] },
    ],
    steps: [
      { time: '2026-10-01T10:00:00.000Z', src_ip: '203.0.113.7', country: 'NL', service: 'ssh', sensor: 's1', technique: 'T1110.001', summary: 'password guessing', event_id: 'e0' },
      { time: '2026-10-04T10:00:00.000Z', src_ip: '198.51.100.23', country: 'US', service: 'ssh', sensor: 's1', technique: 'T1105', summary: `wget ${HOSTILE}`, event_id: 'e1' },
    ],
    events: 1234,
    merged: [],
  };
}

test('attack chain pages: ranked list, graph, link evidence, ATT&CK matrix, timeline; hostile text inert', async () => {
  ensureClientBuilt();
  const dir = tempDir();
  const config = validateConfig({ data_dir: dir, dashboard: { listen: '127.0.0.1:0', admin_password: 'chains password 1' } }) as unknown as Config;
  const store = new SqliteStore(join(dir, 'apiary.db'));
  assert.equal(await store.commitAttacks([chain('c-low', 31), chain('c-high', 82)], { key: 'test.attacks', expected: undefined, next: '1' }), true);
  const dash = await startDashboard({ config, dash: config.dashboard!, store, reads: new SqliteDashboardReads(join(dir, 'apiary.db')), services: [], onEvents: () => () => undefined, log: pino({ level: 'silent' }) });
  const browser = await launchChromium();
  try {
    const base = `https://127.0.0.1:${dash.bound[0]!.port}`;
    const ctx = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 900 } });
    const page = await ctx.newPage();
    const problems: string[] = [];
    page.on('dialog', (d) => {
      problems.push(`dialog ${d.message()}`);
      void d.dismiss();
    });
    page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
    page.on('pageerror', (e) => problems.push(e.message));
    await page.goto(`${base}/#/login`);
    await page.fill('#login-form input[name=username]', 'admin');
    await page.fill('#login-form input[name=password]', 'chains password 1');
    await page.click('#login-submit');
    await page.waitForSelector('#top-chains');
    assert.match(await page.locator('#top-chains').innerText(), /\b82\b[\s\S]*\b31\b/, 'the overview ranks the top chains');

    await page.goto(`${base}/#/chains`);
    await page.waitForSelector('#chains-table');
    const rows = page.locator('#chains-table tbody tr');
    assert.equal(await rows.count(), 2);
    assert.match(await rows.first().innerText(), /\b82\b/);
    mkdirSync('docs/screenshots', { recursive: true });
    await page.screenshot({ path: 'docs/screenshots/dashboard-chains.png', fullPage: true });

    await rows.first().locator('a').click();
    await page.waitForSelector('#chain-links');
    await imagesLoaded(page, '#chain-graph');
    const links = await page.locator('#chain-links').innerText();
    assert.match(links, /credential_handoff/);
    assert.ok(links.includes(`root / ${HOSTILE}`), 'link evidence is shown as text');
    const matrix = await page.locator('#attack-matrix').innerText();
    for (const t of ['Credential Access', 'Initial Access', 'Discovery', 'Command and Control', 'T1110.001', 'T1105']) assert.ok(matrix.includes(t), `matrix shows ${t}`);
    assert.ok((await page.locator('#chain-steps').innerText()).includes(`wget ${HOSTILE}`));
    await page.screenshot({ path: 'docs/screenshots/dashboard-chain.png', fullPage: true });
    const svg = await page.request.get(`${base}/api/chains/c-high/graph.svg`);
    const body = await svg.text();
    assert.match(body, /203\.0\.113\.7 \(NL\)/);
    assert.match(body, /class="service"[^>]*>ssh</, 'services are nodes of the graph too');
    assert.doesNotMatch(body, /<script|onerror=/);
    assert.equal((await page.request.get(`${base}/api/chains/nope`)).status(), 404);
    assert.equal(await page.locator('img[src="x"]').count(), 0);
    assert.deepEqual(problems, []);
  } finally {
    await browser.close();
    await dash.close();
    await store.close();
  }
});
