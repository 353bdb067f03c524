// --since/--until/--from/--to: dates, dates and times, and times ago (30m, 1h, 7d, 2w).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ApiaryError } from '../../src/errors/errors.js';
import { parseTimeFlag } from '../../src/cli/events-command.js';
import { parseDateFlag } from '../../src/cli/tracking-commands.js';

const NOW = Date.parse('2026-11-28T12:00:00.000Z');

test('a time ago counts back from now; dates and times are read as before', () => {
  assert.equal(parseTimeFlag('since', '1h', NOW), '2026-11-28T11:00:00.000Z');
  assert.equal(parseTimeFlag('since', '30m', NOW), '2026-11-28T11:30:00.000Z');
  assert.equal(parseTimeFlag('since', '7d', NOW), '2026-11-21T12:00:00.000Z');
  assert.equal(parseTimeFlag('since', '2w', NOW), '2026-11-14T12:00:00.000Z');
  assert.equal(parseTimeFlag('since', '90s', NOW), '2026-11-28T11:58:30.000Z');
  assert.equal(parseTimeFlag('since', '2026-01-31', NOW), '2026-01-31T00:00:00.000Z');
  assert.equal(parseTimeFlag('until', '2026-01-31T12:00:00Z', NOW), '2026-01-31T12:00:00.000Z');
  assert.match(parseDateFlag('from', '1d'), /^\d{4}-\d{2}-\d{2}T/);
});

test('what is neither is refused with the flag named, never a stack trace', () => {
  for (const v of ['yesterday', '1y', '1 h', 'h', '-1h', '1.5h', '99999999d', '9999999w']) {
    assert.throws(() => parseTimeFlag('since', v, NOW), (e: unknown) => e instanceof ApiaryError && e.code === 'APIARY_CLI_USAGE' && /--since: expected a date .* or a time ago such as 30m/.test(e.message), v);
  }
  fc.assert(
    fc.property(fc.string({ maxLength: 40 }), (v) => {
      try {
        parseTimeFlag('since', v, NOW);
      } catch (e) {
        return e instanceof ApiaryError && e.code === 'APIARY_CLI_USAGE';
      }
      return true;
    }),
    { numRuns: 2000 },
  );
});
