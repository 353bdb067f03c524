// Inter-keystroke gaps from asciicast recordings: one key at a time counts, pasted lines and Enter
// break a run, and no recording text (truncated, hostile) throws.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { keystrokeGaps } from '../../src/analysis/recording-keystrokes.js';
import { keystrokesLookHuman } from '../../src/analysis/attacks/chains.js';

test('keystroke gaps: single keys of one line; Enter and pasted text start a new run', () => {
  const cast = [
    '{"version": 2, "width": 80, "height": 24}',
    '[0.5, "o", "$ "]',
    '[1.0, "i", "l"]',
    '[1.12, "i", "s"]',
    '[1.4, "i", "\\r"]',
    '[3.0, "i", "cat /etc/passwd\\r"]',
    '[4.0, "i", "i"]',
    '[4.25, "i", "d"]',
    '[4.3, "o", "uid=0(root)"]',
    '[not json',
  ].join('\n');
  assert.deepEqual(keystrokeGaps(cast), [120, 250]);
  assert.equal(keystrokesLookHuman([120, 250, 90, 180, 300, 75, 140, 210]), true);
  assert.equal(keystrokesLookHuman([5, 5, 5, 5, 5, 5, 5, 5]), false, 'a script typing');
  assert.equal(keystrokesLookHuman([120, 250]), false, 'too few keys to say');
});

test('property: any recording text gives gaps without throwing', () => {
  fc.assert(
    fc.property(fc.array(fc.oneof(fc.string(), fc.json(), fc.tuple(fc.double(), fc.constantFrom('i', 'o'), fc.string()).map((t) => JSON.stringify(t))), { maxLength: 50 }), (lines) => {
      const gaps = keystrokeGaps(lines.join('\n'));
      assert.ok(gaps.every((g) => Number.isFinite(g) && g >= 0));
    }),
    { numRuns: 300 },
  );
});

test('readers of recordings and quarantined files answer undefined for any path that is not a readable file, never throw', async () => {
  const { mkdirSync, symlinkSync, writeFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tempDir } = await import('../helpers/apiary-process.js');
  const { recordingKeystrokes } = await import('../../src/analysis/recording-keystrokes.js');
  const { quarantineStrings } = await import('../../src/analysis/quarantine-strings.js');
  const dataDir = tempDir();
  mkdirSync(join(dataDir, 'recordings'), { recursive: true });
  writeFileSync(join(dataDir, 'recordings', 'a.cast'), '{"version": 2}\n[1.0, "i", "l"]\n[1.2, "i", "s"]\n');
  symlinkSync('loop', join(dataDir, 'recordings', 'loop'));
  const keys = recordingKeystrokes(dataDir);
  assert.deepEqual(keys('a'), [200]);
  // Missing; through a file (ENOTDIR); a name too long (ENAMETOOLONG); a symlink loop (ELOOP); a directory.
  for (const path of ['recordings/none.cast', 'recordings/a.cast/inner.cast', `recordings/${'x'.repeat(300)}.cast`, 'recordings/loop', 'recordings']) {
    assert.equal(keys('s', path), undefined, path);
  }
  assert.equal(keys('none'), undefined);
  const strings = quarantineStrings(join(dataDir, 'recordings', 'a.cast'));
  assert.equal(strings('a'.repeat(64)), undefined);
});
