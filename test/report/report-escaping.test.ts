// Hostile strings in events (credentials, commands, URLs, sensor names) never become markup in the HTML
// report or formulas in the CSV, and the counting pass never throws on them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CountryGroups } from '../../src/enrich/country-groups.js';
import { ReportBuilder } from '../../src/report/compute.js';
import { csvCell, renderCsv } from '../../src/report/csv.js';
import { renderHtml } from '../../src/report/html.js';
import { makeEvent } from '../helpers/events.js';

const TAGS = new Set(['!doctype', 'html', 'head', 'meta', 'title', 'style', 'body', 'h1', 'h2', 'h3', 'p', 'span', 'b', 'section', 'svg', 'rect', 'text', 'line', 'path', 'div', 'table', 'tr', 'th', 'td', 'dl', 'dt', 'dd']);

/** Cell values of an RFC 4180 document (quotes removed), to check what a spreadsheet would see. */
function csvCells(text: string): string[] {
  const cells: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (cur += '"'), i++;
      else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === ',' || c === '\n') (cells.push(cur.replace(/\r$/, '')), (cur = ''));
    else cur += c;
  }
  return cells;
}

test('attacker strings are inert in the HTML report and the CSV', () => {
  const hostile = fc.oneof(fc.string({ maxLength: 60 }), fc.constantFrom('<script>alert(1)</script>', '"><img src=x onerror=alert(1)>', "' onmouseover='x", '</td></tr><tr><td>', '=HYPERLINK("http://x")', '&lt;b&gt;'));
  fc.assert(
    fc.property(hostile, hostile, hostile, hostile, (user, pass, cmd, file) => {
      const b = new ReportBuilder({ quietGapMs: 3600_000, groups: new CountryGroups(), enrichment: new Map() });
      const t = '2026-01-01T00:00:0';
      b.add(makeEvent({ type: 'auth.attempt', time: `${t}1Z`, src: '198.51.100.1', payload: { method: 'password', username: user, password: pass, success: true } }));
      b.add(makeEvent({ type: 'command.input', time: `${t}2Z`, src: '198.51.100.1', payload: { input: cmd } }));
      b.add(makeEvent({ type: 'file.upload', time: `${t}3Z`, src: '198.51.100.1', payload: { filename: file, sha256: 'f'.repeat(64), size: 1, outcome: 'stored' } }));
      const r = b.finish();
      const html = renderHtml(r);
      for (const m of html.matchAll(/<\/?([a-zA-Z0-9!]+)/g)) assert.ok(TAGS.has(m[1]!.toLowerCase()), `unexpected tag <${m[1]}>`);
      // Every "<" left in the page opens one of our tags, so tags are exactly the <...> runs: none carries a handler.
      for (const tag of html.match(/<[^>]*>/g) ?? []) assert.ok(!/\son\w+\s*=/i.test(tag), `event-handler attribute in ${tag.slice(0, 120)}`);
      const csv = renderCsv(r);
      for (const cell of csvCells(csv)) assert.doesNotMatch(cell, /^[=+@\t\r]/, `no cell starts a formula: ${cell.slice(0, 40)}`);
    }),
    { numRuns: 150 },
  );
  assert.equal(csvCell('=1+1'), "'=1+1");
  assert.equal(csvCell('a,"b"'), '"a,""b"""');
});
