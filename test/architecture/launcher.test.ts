// The `apiary` command's node flags live in two places: the `#!` line of src/cli/main.ts (used when the
// installed `apiary` bin runs) and package.json's `npm start`. They must say the same thing, and the
// `#!` line must actually start the command on this system.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const SHEBANG = /^#!\/usr\/bin\/env -S node((?: --[\w-]+(?:=\S+)?)*)\n/;

test('npm start and the apiary bin run node with the same flags, and the #! line works', () => {
  const m = SHEBANG.exec(readFileSync('src/cli/main.ts', 'utf8'));
  assert.ok(m, 'src/cli/main.ts starts with #!/usr/bin/env -S node [--flags]');
  const flags = m[1]!.trim();
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string>; bin: Record<string, string> };
  assert.equal(pkg.scripts['start'], `node ${flags} ${pkg.bin['apiary']} start`.replace(/ +/g, ' '));
  const built = readFileSync(pkg.bin['apiary']!, 'utf8');
  assert.equal(SHEBANG.exec(built)?.[1], m[1], 'the built bin keeps the #! line');
  const out = execFileSync('/usr/bin/env', ['-S', `node ${flags}`, pkg.bin['apiary']!, 'help'], { encoding: 'utf8' });
  assert.match(out, /usage: apiary <command>/);
});
