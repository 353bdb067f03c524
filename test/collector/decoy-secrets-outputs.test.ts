// Decoy secrets leave masked through every output, not the syslog one alone: the jsonl and
// cowrie_json files show a planted token's secret, and an attacker trying or typing it, masked.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CowrieJsonOutput } from '../../src/collector/cowrie-json-output.js';
import { JsonlOutput } from '../../src/collector/jsonl-output.js';
import { DecoySecrets, maskSecret } from '../../src/events/mask.js';
import { startApiaryProcess } from '../helpers/apiary-process.js';
import { makeEvent } from '../helpers/events.js';
import { removeScratch, scratchDir } from '../helpers/scratch.js';
import { sshWithPassword } from '../helpers/ssh-tools.js';

after(removeScratch);

const SECRET = 'Rocket1192';
const planted = makeEvent({ type: 'honeytoken.planted', time: '2026-01-01T00:00:00.000Z', src: '0.0.0.0', payload: { token_id: 'e24d0a592b16c702', kind: 'ssh', username: 'ubuntu', secret: SECRET, host: '10.0.0.2', locations: ['/root/.bash_history'] } });
const tried = makeEvent({ type: 'auth.attempt', time: '2026-01-01T00:00:01.000Z', src: '198.51.100.7', payload: { method: 'password', username: 'ubuntu', password: SECRET, success: false } });
const typed = makeEvent({ type: 'command.input', time: '2026-01-01T00:00:02.000Z', src: '198.51.100.7', payload: { input: `sshpass -p ${SECRET} ssh ubuntu@10.0.0.2` } });

function lines(path: string): Record<string, unknown>[] {
  return readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
}

test('jsonl and cowrie_json mask a planted secret, and an attacker trying or typing it', async () => {
  const dir = scratchDir('apiary-mask-');
  const jsonl = new JsonlOutput(join(dir, 'events.jsonl'));
  const cowrie = new CowrieJsonOutput(join(dir, 'cowrie.json'));
  for (const o of [jsonl, cowrie]) {
    o.write([planted, tried, typed]);
    await o.close();
  }
  const masked = maskSecret(SECRET);
  const j = lines(join(dir, 'events.jsonl'));
  assert.deepEqual(j.map((l) => l.type), ['honeytoken.planted', 'auth.attempt', 'command.input']);
  assert.equal(j[0]!.secret, masked);
  assert.equal(j[1]!.password, masked);
  assert.equal(j[2]!.input, `sshpass -p ${masked} ssh ubuntu@10.0.0.2`);
  const c = lines(join(dir, 'cowrie.json'));
  const login = c.find((l) => l.eventid === 'cowrie.login.failed')!;
  assert.equal(login.password, masked);
  assert.equal(login.message, `login attempt [ubuntu/${masked}] failed`);
  assert.equal(c.find((l) => l.eventid === 'cowrie.command.input')!.input, `sshpass -p ${masked} ssh ubuntu@10.0.0.2`);
  for (const f of ['events.jsonl', 'cowrie.json']) assert.ok(!readFileSync(join(dir, f), 'utf8').includes(SECRET), f);
});

test('secrets learnt at start (earlier runs, remote sensors) are masked by every output that shares them', async () => {
  const dir = scratchDir('apiary-mask-');
  const secrets = new DecoySecrets();
  secrets.learn([planted]);
  const jsonl = new JsonlOutput(join(dir, 'events.jsonl'), secrets);
  const cowrie = new CowrieJsonOutput(join(dir, 'cowrie.json'), secrets);
  for (const o of [jsonl, cowrie]) {
    o.write([tried]);
    await o.close();
  }
  assert.equal(lines(join(dir, 'events.jsonl'))[0]!.password, maskSecret(SECRET));
  assert.equal(lines(join(dir, 'cowrie.json'))[0]!.password, maskSecret(SECRET));
});

test('live: apiary start writes a configured decoy and a real login trying it masked to jsonl and cowrie_json', async () => {
  const dir = scratchDir('apiary-mask-live-');
  const decoy = 'Zebra-77-Quartz';
  const apiary = await startApiaryProcess(
    {
      services: { ssh: { listen: ['127.0.0.1:0'], failure_delay_ms: 0 } },
      shell: { honeytokens: [{ kind: 'ssh', username: 'deploy', secret: decoy }] },
      outputs: { jsonl: { path: join(dir, 'out', 'events.jsonl') }, cowrie_json: { path: join(dir, 'out', 'cowrie.json') } },
    },
    { dir },
  );
  try {
    await sshWithPassword(apiary.ports.ssh!, 'deploy', decoy);
  } finally {
    await apiary.stop();
  }
  const masked = maskSecret(decoy);
  const j = lines(join(dir, 'out', 'events.jsonl'));
  assert.deepEqual(j.filter((l) => l.type === 'honeytoken.planted').map((l) => l.secret), [masked]);
  assert.ok(j.some((l) => l.type === 'auth.attempt' && l.username === 'deploy' && l.password === masked), 'the attempt is written, masked');
  const c = lines(join(dir, 'out', 'cowrie.json'));
  assert.ok(c.some((l) => String(l.eventid).startsWith('cowrie.login.') && l.username === 'deploy' && l.password === masked), 'the attempt is written, masked');
  for (const f of ['events.jsonl', 'cowrie.json']) assert.ok(!readFileSync(join(dir, 'out', f), 'utf8').includes(decoy), f);
});
