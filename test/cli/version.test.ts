// `apiary --version` and `apiary version` print the package's version, and `apiary help` lists them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { runCli } from '../helpers/apiary-process.js';

test('apiary --version and apiary version print the version of package.json; help lists them', async () => {
  const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
  for (const arg of ['--version', 'version']) {
    const r = await runCli([arg]);
    assert.equal(r.stdout, `apiary ${version}\n`, arg);
    assert.equal(r.stderr, '', arg);
  }
  const help = await runCli(['help']);
  assert.match(help.stdout, /^ {2}version, --version {2,}print Apiary's version$/m);
});
