// Sensor bodies inflated with each chunk charged as it is made, and batches read line by line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { forEachLine, inflateCharged, InflateStopped } from '../../src/collector/inflate.js';

test('a gzip bomb stops as soon as the budget refuses a chunk: what was charged stays near the budget, not the 64 MiB it would inflate to', async () => {
  const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024, 10), { level: 9 });
  assert.ok(bomb.length < 100_000);
  let charged = 0;
  const budget = 4 * 1024 * 1024;
  await assert.rejects(
    inflateCharged(bomb, 64 * 1024 * 1024, (n) => {
      if (charged + n > budget) return false;
      charged += n;
      return true;
    }),
    (err: unknown) => err instanceof InflateStopped && err.reason === 'budget',
  );
  assert.ok(charged <= budget, `${charged} bytes charged`);
});

test('past MAX the body is refused as invalid; a body that is not gzip too; a body within both comes back whole', async () => {
  const text = Buffer.from('{"a":1}\n'.repeat(100_000));
  await assert.rejects(inflateCharged(gzipSync(text), text.length - 1, () => true), (err: unknown) => err instanceof InflateStopped && err.reason === 'invalid');
  await assert.rejects(inflateCharged(Buffer.from('not gzip at all'), 1 << 20, () => true), (err: unknown) => err instanceof InflateStopped && err.reason === 'invalid');
  let charged = 0;
  const out = await inflateCharged(gzipSync(text), text.length, (n) => ((charged += n), true));
  assert.deepEqual(out, text);
  assert.equal(charged, text.length);
});

test('property: forEachLine gives the non-empty lines of split("\\n"), in order', () => {
  fc.assert(
    fc.property(fc.array(fc.oneof(fc.constant('\n'), fc.constant(''), fc.string({ maxLength: 8 }))), (parts) => {
      const text = parts.join('');
      const seen: string[] = [];
      forEachLine(text, (l) => seen.push(l));
      assert.deepEqual(seen, text.split('\n').filter((l) => l.length > 0));
    }),
    { numRuns: 500 },
  );
});
