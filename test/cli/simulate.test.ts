// `apiary simulate` refuses scenarios that would leave the machine or name what they do not define,
// and prints the enrichment entries that give its actors their countries and internal standing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, tempDir } from '../helpers/apiary-process.js';
import { hostFromConfig } from '../../src/cli/simulate/simulate-command.js';
import { validateConfig } from '../../src/config/load.js';

test('simulate: scenarios stay on loopback and name only their own actors; --print-enrichment', async () => {
  const dir = tempDir();
  const write = (name: string, text: string): string => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };
  const outside = write('out.yaml', 'name: out\nactors:\n  a: { ip: 10.0.0.5 }\nsteps:\n  - { do: scan, actor: a, ports: [22] }\n');
  const r1 = await runCli(['simulate', '--scenario', outside], { allowFail: true });
  assert.equal(r1.code, 2);
  assert.match(r1.stderr, /actors\.a\.ip: a loopback IPv4 address/);
  const unknown = write('unknown.yaml', 'name: unk\nactors:\n  a: { ip: 127.60.0.1 }\nsteps:\n  - { do: scan, actor: b, ports: [22] }\n');
  assert.match((await runCli(['simulate', '--scenario', unknown], { allowFail: true })).stderr, /step names unknown actor b/);
  const host = await runCli(['simulate', '--scenario', join('scenarios', 'story3-internal-propagation.yaml'), '--host', '192.0.2.1'], { allowFail: true });
  assert.match(host.stderr, /--host: simulations stay on loopback/);
  const e = await runCli(['simulate', '--scenario', join('scenarios', 'story1-credential-handoff.yaml'), '--print-enrichment']);
  const entries = JSON.parse(e.stdout) as { overrides: { cidr: string; country: string }[] };
  assert.deepEqual(entries.overrides[0], { cidr: '127.41.1.10/32', country: 'CN' });
});

test('simulate looks for the sensors on the loopback address their config names, else 127.0.0.1', () => {
  const host = (services: unknown): string => hostFromConfig(validateConfig({ services }) as unknown as Parameters<typeof hostFromConfig>[0]);
  assert.equal(host({ ssh: { listen: ['127.0.0.88:22'] }, smb: { listen: ['127.0.0.88:445'] } }), '127.0.0.88');
  assert.equal(host({ ssh: { listen: ['127.0.0.88:22'] }, mysql: { listen: ['127.0.0.89:3306'] } }), '127.0.0.1');
  assert.equal(host({ ssh: { listen: ['0.0.0.0:2222'] } }), '127.0.0.1');
  assert.equal(host({ ssh: { listen: ['[::1]:2222'] } }), '127.0.0.1');
});
