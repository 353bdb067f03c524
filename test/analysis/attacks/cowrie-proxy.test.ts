// Real Cowrie logs (honeylist, July 2019): the direct-tcpip proxy-abuse sessions, once imported, come
// out of attack reconstruction as proxy intent with ATT&CK T1090, with the tunnel requests as evidence.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { runCli, tempDir, writeConfig } from '../../helpers/apiary-process.js';
import { DATA } from '../../helpers/shared-data.js';
import type { AttackRecord } from '../../../src/store/store.js';

test('honeylist 2019 Cowrie log: every source that asked for a direct-tcpip tunnel is in a chain with proxy intent and T1090', { timeout: 120_000 }, async () => {
  const dir = tempDir();
  const config = writeConfig(dir, { sensor: 'honeylist' });
  await runCli(['import', 'cowrie', join(DATA, 'cowrie', 'honeylist-2019-cowrie.json'), '--config', config], { allowFail: true });
  const tunnels = (await runCli(['events', '--config', config, '--type', 'tunnel.request', '--json', '--limit', '100000'])).stdout
    .split('\n').filter(Boolean).map((l) => JSON.parse(l) as { id: string; src_ip: string });
  assert.ok(tunnels.length > 0, 'the log holds direct-tcpip requests');
  const { stdout } = await runCli(['attacks', '--config', config, '--json']);
  const chains = stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as AttackRecord);
  const proxySources = new Set(tunnels.map((t) => t.src_ip));
  const tunnelIds = new Set(tunnels.map((t) => t.id));
  const missed: string[] = [];
  for (const ip of proxySources) {
    const c = chains.find((x) => x.sources.some((s) => s.ip === ip));
    const proxy = c?.intents.find((i) => i.name === 'proxy');
    const t1090 = c?.techniques.find((t) => t.id === 'T1090');
    if (!proxy || !t1090 || !t1090.evidence.some((id) => tunnelIds.has(id)) || !proxy.evidence.some((e) => /tunnel request to /.test(e.detail))) missed.push(ip);
  }
  // Sources that asked for no tunnel are not called proxies.
  const wrongly = chains.filter((c) => c.intents.some((i) => i.name === 'proxy') && !c.sources.some((s) => proxySources.has(s.ip))).map((c) => c.id);
  process.stdout.write(`# honeylist: ${tunnels.length} tunnel requests from ${proxySources.size} sources; ${proxySources.size - missed.length} recognised as proxy abuse; ${chains.length} chains\n`);
  assert.deepEqual(missed, []);
  assert.deepEqual(wrongly, []);
});
