// Files written at offsets: whatever the writes, a file the allowance lets through is never much
// larger than what its writes carried, and the bytes read back are the last ones written.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MAX_SPARSE_SLACK, emptySparseFile, sparseBytes, withinSparseAllowance, writeSparse } from '../../../src/sensors/runtime/sparse-file.js';

const CAPACITY = 16 * 1024 * 1024;

test('writes the allowance admits keep a file within twice what they carried plus the slack, and read back as written', () => {
  const write = fc.record({ offset: fc.oneof(fc.nat(4096), fc.nat(CAPACITY - 64)), length: fc.integer({ min: 1, max: 64 }), byte: fc.integer({ min: 1, max: 255 }) });
  fc.assert(
    fc.property(fc.array(write, { maxLength: 40 }), (writes) => {
      const f = emptySparseFile();
      const expect = new Map<number, number>();
      for (const w of writes) {
        if (!withinSparseAllowance(f, w.offset, w.length)) continue;
        writeSparse(f, w.offset, new Uint8Array(w.length).fill(w.byte), CAPACITY);
        for (let i = 0; i < w.length; i++) expect.set(w.offset + i, w.byte);
        assert.ok(f.size <= 2 * f.written + MAX_SPARSE_SLACK, `size ${f.size} from ${f.written} bytes written`);
      }
      const bytes = sparseBytes(f);
      for (const [at, b] of expect) assert.equal(bytes[at], b);
    }),
  );
});

test('a byte far past the end is refused; chunks a little out of order and rewrites inside the file are not', () => {
  const f = emptySparseFile();
  assert.equal(withinSparseAllowance(f, CAPACITY - 1, 1), false);
  assert.equal(withinSparseAllowance(f, 65536, 65536), true, 'the second chunk before the first');
  writeSparse(f, 65536, new Uint8Array(65536), CAPACITY);
  writeSparse(f, 0, new Uint8Array(65536), CAPACITY);
  assert.equal(withinSparseAllowance(f, 10, 1), true, 'inside the file');
  assert.equal(withinSparseAllowance(f, 2 * 131072 + MAX_SPARSE_SLACK + 8, 1), false);
});
