// The honeynet on a real routed network of namespaces: an outside attacker (81.2.69.2, a public
// address: its packets never leave these namespaces, which have no route out), a DMZ
// sensor (198.51.100.2), an internal LAN sensor (10.77.1.2) and an internal attacker (10.77.2.2),
// and a central namespace (10.77.9.2) with the collector and PostgreSQL. hydra, nmap and ssh attack
// both sensors while the central link is cut for 60 seconds (`ip link set down`). Afterwards every event
// each sensor recorded is in PostgreSQL exactly once, and internal and external sources are told apart.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { collectorSetup, recordedThisRun, sensorSetup, type Child } from '../helpers/honeynet.js';
import { startHydra } from '../helpers/hydra-attack.js';
import { Topology } from '../helpers/netns.js';
import { pgQuery, startPgServer, type PgServer } from '../helpers/pg-server.js';
import { run, SSH_OPTS } from '../helpers/ssh-tools.js';
import { waitFor } from '../helpers/apiary-process.js';
import { readSpool } from '../../src/transport/spool.js';

const children: Child[] = [];
let topo: Topology | undefined;
let server: PgServer | undefined;

after(async () => {
  for (const c of children) await c.kill9();
  server?.destroy();
  topo?.destroy();
});


test('outside and inside attackers against a DMZ and a LAN sensor: every event in PostgreSQL once, sources classified, through a cut link', async () => {
  topo = new Topology();
  const out = topo.addLeaf('out', '81.2.69');
  const dmz = topo.addLeaf('dmz', '198.51.100');
  const lan = topo.addLeaf('lan', '10.77.1');
  const inside = topo.addLeaf('lanatk', '10.77.2');
  const core = topo.addLeaf('core', '10.77.9');
  server = await startPgServer({ fast: true, netns: core.ns, host: core.ip });
  server.createDatabase('honeynet');
  // The collector shares the central host with PostgreSQL and talks to it over its Unix socket; the test reads it the same way.
  const url = `postgres://postgres@/honeynet?host=${server.socketDir}&port=${server.port}`;
  const c = await collectorSetup({ pgUrl: url, host: core.ip, wrapper: topo.exec('core') });
  children.push(await c.start());
  const collectorUrl = `https://${core.ip}:${c.port}`;
  // A failure delay keeps hydra busy through the cut.
  const services = { ssh: { listen: ['0.0.0.0:2222'], failure_delay_ms: 150, max_auth_tries: 1000 } };
  const dmzSetup = await sensorSetup('dmz-1', collectorUrl, await c.token('dmz-1'), { services, wrapper: topo.exec('dmz') });
  const lanSetup = await sensorSetup('lan-1', collectorUrl, await c.token('lan-1'), { services, wrapper: topo.exec('lan') });
  const dmzSensor = await dmzSetup.start();
  children.push(dmzSensor);
  const lanSensor = await lanSetup.start();
  children.push(lanSensor);

  // The attacks: hydra from outside on the DMZ sensor and from inside on the LAN sensor, nmap from inside on both, one ssh login from outside.
  const outsideHydra = startHydra(dmzSetup.dir, dmz.ip, 2222, 150, 4, topo.exec('out'));
  const insideHydra = startHydra(lanSetup.dir, lan.ip, 2222, 100, 4, topo.exec('lanatk'));
  const nmap = run(topo.exec('lanatk')[0]!, [...topo.exec('lanatk').slice(1), 'nmap', '-Pn', '-sT', '-n', '-p', '2220-2224', dmz.ip, lan.ip], { timeoutMs: 60_000 });
  const stored = async (): Promise<number> => Number((await pgQuery<{ n: string }>(url, 'SELECT count(*) AS n FROM events'))[0]!.n);
  await waitFor(async () => (await stored()) > 20, 20_000);
  topo.setLink('core', false);
  await new Promise((r) => setTimeout(r, 1000));
  const cutEarly = await stored();
  await new Promise((r) => setTimeout(r, 59_000));
  const duringCut = await stored();
  const spooledInCut = readSpool(dmzSetup.spoolDir).length + readSpool(lanSetup.spoolDir).length;
  topo.setLink('core', true);
  const sshFrom = (leaf: string, target: string) =>
    run('ip', ['netns', 'exec', topo!.leaf(leaf).ns, 'sshpass', '-p', '123456', 'ssh', ...SSH_OPTS, '-p', '2222', `root@${target}`, 'uname -a'], { timeoutMs: 30_000 });
  for (const [from, to] of [['out', dmz.ip], ['lanatk', dmz.ip]] as const) {
    const login = await sshFrom(from, to);
    assert.match(login.stdout, /Linux/, login.stderr);
  }
  const [outTried, inTried, scan] = await Promise.all([outsideHydra.done, insideHydra.done, nmap]);
  assert.ok(outTried.length >= 150 && inTried.length >= 100, `hydra attempts: ${outTried.length}, ${inTried.length}`);
  assert.match(scan.stdout, /2222\/tcp\s+open/);

  await dmzSensor.stop();
  await lanSensor.stop();
  const perSensor = await pgQuery<{ sensor: string; total: string; distinct: string }>(url, 'SELECT sensor, count(*) AS total, count(DISTINCT id) AS distinct FROM events GROUP BY sensor ORDER BY sensor');
  const want = [
    { sensor: 'dmz-1', total: String(recordedThisRun(dmzSensor.stdout())), distinct: String(recordedThisRun(dmzSensor.stdout())) },
    { sensor: 'lan-1', total: String(recordedThisRun(lanSensor.stdout())), distinct: String(recordedThisRun(lanSensor.stdout())) },
  ];
  assert.deepEqual(perSensor, want, 'every recorded event once, none lost to the cut link');
  assert.ok(duringCut < Number(want[0]!.total) + Number(want[1]!.total), 'events recorded during the cut arrived after it');
  assert.equal(duringCut, cutEarly, 'nothing reached the centre while the link was down');
  assert.ok(spooledInCut > 0, 'the sensors kept recording into their spools meanwhile');

  // Who attacked whom, as the sensors saw it across the router: no NAT, real source addresses.
  // (0.0.0.0: a connection nmap reset before Node read its peer address; the sensor runtime records it so.)
  const sources = await pgQuery<{ sensor: string; src_ip: string }>(url, "SELECT DISTINCT sensor, src_ip FROM events WHERE type = 'connection.open' AND src_ip <> '0.0.0.0' ORDER BY sensor, src_ip");
  assert.deepEqual(sources.map((r) => `${r.sensor} ${r.src_ip}`), ['dmz-1 10.77.2.2', 'dmz-1 81.2.69.2', 'lan-1 10.77.2.2']);
  const passwords = await pgQuery<{ sensor: string; n: string }>(url, "SELECT sensor, count(*) AS n FROM events WHERE type = 'auth.attempt' AND payload LIKE '%\"guess-%' GROUP BY sensor ORDER BY sensor");
  assert.deepEqual(passwords.map((r) => [r.sensor, Number(r.n)]), [['dmz-1', outTried.length], ['lan-1', inTried.length]]);
  await waitFor(async () => (await pgQuery(url, 'SELECT 1 FROM ip_enrichment')).length >= 2, 10_000);
  const scopes = await pgQuery<{ ip: string; scope: string }>(url, "SELECT ip, scope FROM ip_enrichment WHERE ip IN ('10.77.2.2', '81.2.69.2') ORDER BY ip");
  assert.deepEqual(scopes.map((r) => [r.ip, r.scope]), [['10.77.2.2', 'internal'], ['81.2.69.2', 'external']]);
});
