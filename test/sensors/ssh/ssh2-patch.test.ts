// The installed ssh2 carries scripts/patch-ssh2.mjs's server-sig-algs, and a copy without it is seen as unpatched.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SSH2_PATCH_MARK, ssh2Patched, ssh2ProtocolPath } from '../../../src/sensors/ssh/ssh2-patch.js';
import { tempDir } from '../../helpers/apiary-process.js';

test('the installed ssh2 is patched; its text without the patch, or no file, is not', () => {
  assert.equal(ssh2Patched(), true, ssh2ProtocolPath());
  const text = readFileSync(ssh2ProtocolPath(), 'utf8');
  const copy = join(tempDir(), 'Protocol.js');
  writeFileSync(copy, text.split(SSH2_PATCH_MARK).join('something else'));
  assert.equal(ssh2Patched(copy), false);
  assert.equal(ssh2Patched(join(tempDir(), 'missing.js')), false);
});
