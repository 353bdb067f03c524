// trimTrailing: the same result as the regular expression it replaces, in one pass however long the run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { trimTrailing } from '../../src/wire/text.js';
import { callWithin } from '../helpers/bounded-call.js';

test('trimTrailing removes what /[chars]+$/ removes, for any text', () => {
  fc.assert(
    fc.property(fc.string({ unit: fc.constantFrom('a', '.', '\\', '/', ')', 'é', ' ') as fc.Arbitrary<string>, maxLength: 40 }), fc.constantFrom('.', '\\/', `)'",;.`, '\\'), (s, chars) => {
      const cls = new RegExp(`[${chars.replace(/[\\\]^-]/g, '\\$&')}]+$`);
      assert.equal(trimTrailing(s, chars), s.replace(cls, ''));
    }),
    { numRuns: 3000 },
  );
});

test('trimTrailing on a long run not at the end is linear (the regex took 1.3 s on 32,767 characters, and grows with the square)', async () => {
  // In a worker, so that a quadratic version fails the test instead of blocking it for hours.
  const TEXT = new URL('../../src/wire/text.js', import.meta.url).href;
  const run = '\\'.repeat(4_000_000);
  assert.equal(((await callWithin(TEXT, 'trimTrailing', [`${run}a`, '\\/'], 5000)) as string).length, 4_000_001);
  assert.equal(await callWithin(TEXT, 'trimTrailing', [`a${run}`, '\\/'], 5000), 'a');
});
