// TTY logs turned into recordings (hpfeeds input, imports) charge the recordings directory's space:
// an hpfeeds publisher sending session after session could otherwise fill the disk, 8 MiB at a time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { saveRecording } from '../../src/importers/kippo/recordings.js';
import { encodeTtyRecord, TTY_DIR, TTY_OP } from '../../src/importers/kippo/ttylog.js';
import { BufferBudget } from '../../src/sensors/runtime/framed-input.js';
import { tempDir } from '../helpers/apiary-process.js';

/** A TTY log printing BYTES bytes of text. */
function ttyLog(bytes: number): Buffer {
  return Buffer.concat([
    encodeTtyRecord({ op: TTY_OP.OPEN, tty: 1, direction: 0, time: 1, data: Buffer.alloc(0) }),
    encodeTtyRecord({ op: TTY_OP.WRITE, tty: 1, direction: TTY_DIR.OUTPUT, time: 2, data: Buffer.alloc(bytes, 'a') }),
  ]);
}

test('a recording that would pass recording.max_total_bytes is not written; one written again is not charged twice', () => {
  const dir = tempDir();
  const space = new BufferBudget(30_000);
  const first = saveRecording(dir, 's1', ttyLog(10_000), 'one', { space });
  assert.equal(first.ok, true);
  const charged = space.inUse;
  assert.ok(charged > 10_000 && charged < 11_000, `${charged} bytes charged`);
  assert.equal(saveRecording(dir, 's1', ttyLog(10_000), 'one', { space }).ok, true, 'the same file again');
  assert.equal(space.inUse, charged);
  assert.equal(saveRecording(dir, 's2', ttyLog(10_000), 'two', { space }).ok, true);
  const full = saveRecording(dir, 's3', ttyLog(10_000), 'three', { space });
  assert.deepEqual(full, { ok: false, reason: 'the recordings directory is full (recording.max_total_bytes)' });
  assert.deepEqual(readdirSync(dir).sort(), ['s1.cast', 's2.cast']);
  assert.ok(space.inUse <= 30_000);
});
