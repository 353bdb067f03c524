// The HTML report opens in headless Chromium (Debian's, through playwright-core) with every figure
// present and attacker strings inert; a screenshot goes to docs/screenshots/. PDF and CSV are written too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { launchChromium } from '../../src/report/browser.js';
import { runCli, tempDir } from '../helpers/apiary-process.js';
import { writeScenario } from '../helpers/report-scenario.js';

const FIGURES = [
  '#fig1-by-service', '#fig1-by-sensor', '#fig1-by-service-sensor', '#fig1-monthly-all', '#fig1-monthly-ssh', '#fig1-monthly-smb',
  '#fig2-internal-by-kind', '#internal-hosts', '#world-map', '#countries-top', '#groups', '#unserved-ports', '#credentials',
  '#commands', '#malware', '#method',
];

test('report --format html opens in headless Chromium with every figure; pdf and csv are written', async () => {
  const dir = tempDir();
  const { configPath } = await writeScenario(dir);
  const html = join(dir, 'report.html');
  await runCli(['report', '--config', configPath, '--format', 'html', '--out', html]);
  const text = readFileSync(html, 'utf8');
  assert.ok(!text.includes('<script>alert(1)</script>'), 'attacker strings are escaped');
  assert.ok(text.includes('&lt;script&gt;alert(1)&lt;/script&gt;'));
  assert.doesNotMatch(text, /<script|src="http|href="http/i, 'self-contained: no script, nothing fetched');

  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(`file://${html}`);
    for (const sel of FIGURES) assert.equal(await page.locator(sel).count(), 1, `figure ${sel} present`);
    // Charts have bars, the map has country shapes coloured by source count.
    assert.ok((await page.locator('#fig1-by-service rect').count()) > 4);
    assert.ok((await page.locator('#world-map path').count()) > 150);
    const fi = page.locator('#world-map path[data-country="FI"]');
    assert.equal(await fi.count(), 1);
    assert.notEqual(await fi.getAttribute('fill'), '#e8e8e8', 'Finland has sources and is coloured');
    assert.equal(await page.locator('#world-map path[data-country="BR"]').getAttribute('fill'), '#e8e8e8');
    assert.match(await page.locator('#internal-hosts + .tw table').innerText(), /10\.20\.1\.5/);
    // Hashes, chain ids and URLs wrap or scroll inside their tables: the page never scrolls sideways.
    assert.equal(await page.evaluate('document.documentElement.scrollWidth'), 1100);
    assert.match(await page.locator('#attacks table').innerText(), /\b20\d\d-\d\d-\d\d\s+\d\d:\d\d:\d\d\b/, 'times without T and milliseconds');
    assert.equal(await page.locator('script').count(), 0);
    assert.deepEqual(requests.filter((u) => !u.startsWith('file://')), [], 'the page fetches nothing');
    mkdirSync('docs/screenshots', { recursive: true });
    await page.screenshot({ path: 'docs/screenshots/report.png', fullPage: true });
  } finally {
    await browser.close();
  }
  assert.ok(statSync('docs/screenshots/report.png').size > 10_000);

  const pdf = join(dir, 'report.pdf');
  await runCli(['report', '--config', configPath, '--format', 'pdf', '--out', pdf]);
  const head = readFileSync(pdf).subarray(0, 5).toString('latin1');
  assert.equal(head, '%PDF-');

  const csv = join(dir, 'report.csv');
  await runCli(['report', '--config', configPath, '--format', 'csv', '--out', csv]);
  const lines = readFileSync(csv, 'utf8').split('\r\n');
  assert.equal(lines[0], 'section,key,metric,value');
  const json = join(dir, 'report.json');
  await runCli(['report', '--config', configPath, '--format', 'json', '--out', json]);
  const totals = JSON.parse(readFileSync(json, 'utf8')).totals;
  assert.ok(lines.includes(`totals,,events,${totals.events}`), 'CSV carries the same totals as JSON');
  assert.ok(lines.includes(`totals,,internal,${totals.sources.internal}`));
  assert.ok(lines.some((l) => l.startsWith('groups,nato,')));
});
