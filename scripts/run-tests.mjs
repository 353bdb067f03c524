// Runs every compiled test file under dist/test with node's test runner.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

function find(dir, out = []) {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) find(p, out);
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out;
}

const only = process.argv.slice(2);
const files = find('dist/test').filter((f) => only.length === 0 || only.some((o) => f.includes(o)));
if (files.length === 0) {
  console.error('no test files found under dist/test; run "npm run build" first');
  process.exit(1);
}
// --test-force-exit: a file whose tests are all done ends even if something it opened is still
// open. A client socket left open once kept ftp-fidelity's process (and so the whole run) waiting
// after its last test had passed, until CI's time limit.
const r = spawnSync(process.execPath, ['--test', '--test-force-exit', '--test-concurrency=2', '--test-reporter=spec', ...files], { stdio: 'inherit' });
process.exit(r.status ?? 1);
