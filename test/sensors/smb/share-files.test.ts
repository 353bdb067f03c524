// The per-source index of what sources wrote to the shares: names case-insensitive with their case
// kept, one source's files unseen by another, and its limits (entries, sources, name length) holding
// whatever is thrown at it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MAX_ENTRIES_PER_SOURCE, MAX_FILE_SOURCES, MAX_NAME_CHARS, MAX_SHARE_PATH, matchesPattern, ShareIndex } from '../../../src/sensors/smb/share-files.js';

test('a source finds its files whatever the case, as it spelled them, and no other source does', () => {
  const index = new ShareIndex();
  const a = index.of('127.0.0.1');
  const e = a.add('Public', '\\Up.TXT', false, 1000)!;
  e.size = 5;
  assert.equal(a.find('PUBLIC', 'up.txt'), e);
  assert.equal(a.find('public', 'UP.txt')?.path, 'Up.TXT');
  assert.deepEqual(a.list('Public', '').map((x) => x.path), ['Up.TXT']);
  assert.equal(index.of('127.0.0.2').find('Public', 'up.txt'), undefined);
  assert.deepEqual(index.of('127.0.0.2').list('Public', ''), []);
  assert.equal(a.find('Other', 'up.txt'), undefined, 'per share');
  // An IPv6 /64 is one source.
  index.of('2001:db8::1').add('Public', 'v6.bin', false, 0);
  assert.ok(index.of('2001:db8::ffff').find('Public', 'V6.BIN'));
});

test('directories list what is in them; rename moves a directory with its files; a non-empty one is not removed', () => {
  const v = new ShareIndex().of('127.0.0.1');
  const d = v.add('s', 'd', true, 0)!;
  v.add('s', 'd\\x.exe', false, 0);
  assert.equal(v.isDirectory('s', 'D'), true);
  assert.deepEqual(v.list('s', 'd').map((x) => x.path), ['d\\x.exe']);
  assert.deepEqual(v.list('s', '').map((x) => x.path), ['d']);
  assert.equal(v.remove('s', d), 'not_empty');
  assert.equal(v.rename('s', d, 'Longer', false), 'ok');
  assert.deepEqual(v.list('s', 'longer').map((x) => x.path), ['Longer\\x.exe']);
  assert.equal(v.rename('s', d, 'Longer\\inner', false), 'invalid', 'not into itself');
  assert.equal(v.remove('s', v.find('s', 'LONGER\\x.exe')!), 'ok');
  assert.equal(v.remove('s', d), 'ok');
  assert.deepEqual(v.list('s', ''), []);
});

test('names past MAX_NAME_CHARS or MAX_SHARE_PATH, and dot components, are not kept', () => {
  const v = new ShareIndex().of('127.0.0.1');
  assert.ok(v.add('s', 'a'.repeat(MAX_NAME_CHARS), false, 0));
  assert.equal(v.add('s', 'b'.repeat(MAX_NAME_CHARS + 1), false, 0), undefined);
  assert.equal(v.add('s', 'c\\'.repeat(MAX_SHARE_PATH / 2 + 1), false, 0), undefined);
  assert.equal(v.add('s', '..\\x', false, 0), undefined);
  assert.equal(v.add('s', 'x*', false, 0), undefined);
});

test('limits hold: entries per source, sources kept, the least recently used go first', () => {
  fc.assert(
    fc.property(
      fc.array(fc.record({ src: fc.integer({ min: 0, max: 40 }), op: fc.constantFrom('file', 'dir', 'del', 'ren'), name: fc.string({ maxLength: 8 }) }), { maxLength: 400 }),
      (ops) => {
        const index = new ShareIndex({ sources: 16, entries: 8 });
        for (const { src, op, name } of ops) {
          const v = index.of(`10.0.0.${src}`);
          if (op === 'file' || op === 'dir') v.add('s', name, op === 'dir', 0);
          else {
            const e = v.list('s', '')[0];
            if (e && op === 'del') v.remove('s', e);
            if (e && op === 'ren') v.rename('s', e, name, true);
          }
          assert.ok(index.size <= 16);
          assert.ok(v.list('s', '').length <= 8);
        }
      },
    ),
  );
  // Defaults: a source past MAX_ENTRIES_PER_SOURCE keeps the first ones; past MAX_FILE_SOURCES the one
  // used a moment ago stays while the oldest go.
  const index = new ShareIndex();
  const v = index.of('192.0.2.1');
  for (let i = 0; i < MAX_ENTRIES_PER_SOURCE + 10; i++) v.add('s', `f${i}`, false, 0);
  assert.equal(v.list('s', '').length, MAX_ENTRIES_PER_SOURCE);
  for (let i = 0; i < MAX_FILE_SOURCES * 2; i++) {
    index.of(`198.51.${i >> 8}.${i & 255}`).add('s', 'x', false, 0);
    v.find('s', 'f0');
  }
  assert.ok(index.size <= MAX_FILE_SOURCES);
  assert.ok(v.find('s', 'f0'), 'a source in use is kept');
  assert.equal(index.of('198.51.0.0').find('s', 'x'), undefined, 'the least recently used is gone');
});

test('search patterns match as a regular expression of the same wildcards does', () => {
  const reference = (name: string, pattern: string): boolean =>
    new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'is').test(name);
  fc.assert(
    fc.property(fc.string({ unit: fc.constantFrom('a', 'B', '.', 'x'), maxLength: 10 }), fc.string({ unit: fc.constantFrom('a', 'b', '.', '*', '?'), minLength: 1, maxLength: 8 }), (name, pattern) => {
      if (pattern === '*' || pattern === '*.*') return;
      assert.equal(matchesPattern(name, pattern), reference(name, pattern), `${name} ~ ${pattern}`);
    }),
  );
  assert.ok(matchesPattern('up.txt', '*.*'));
  assert.ok(matchesPattern('UP.TXT', 'up.txt'));
  // A pattern built to make a backtracking matcher explode is answered at once.
  assert.equal(matchesPattern('a'.repeat(255), '*a'.repeat(100) + 'b'), false);
});
