// The `apiary` launcher (bin/apiary) picks node's flags per command: the sensor commands get a small
// young generation, the others node's defaults. npm start and the bin must be that launcher, and it
// must start the command on this system with the flags it says.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { APIARY_BIN, nodeFlagsFor } from '../../bench/helpers.js';

test('npm start and the apiary bin are bin/apiary, which gives sensor commands their node flags and runs the others plainly', () => {
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string>; bin: Record<string, string> };
  assert.equal(pkg.bin['apiary'], 'bin/apiary');
  assert.equal(pkg.scripts['start'], 'bin/apiary start');
  assert.deepEqual(nodeFlagsFor('start'), ['--max-semi-space-size=4']);
  assert.deepEqual(nodeFlagsFor('sensor'), ['--max-semi-space-size=4']);
  for (const c of ['collector', 'import', 'report', 'dashboard', 'help']) assert.deepEqual(nodeFlagsFor(c), [], c);
  // The launcher really runs the command, from any working directory.
  const out = execFileSync(APIARY_BIN, ['help'], { encoding: 'utf8', cwd: '/' });
  assert.match(out, /usage: apiary <command>/);
});
