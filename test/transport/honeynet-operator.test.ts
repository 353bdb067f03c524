// What an operator meets running a honeynet from the README: central settings that fail or are
// removed, a re-enrolment while the sensor runs, misplaced or unreadable credentials and CA files,
// a wrong collector URL. `apiary collector` and `apiary sensor` run as child processes on loopback.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { runCli, waitFor } from '../helpers/apiary-process.js';
import { collectorSetup, freePort, sensorSetup, type Child } from '../helpers/honeynet.js';
import { startPgServer, type PgServer } from '../helpers/pg-server.js';

let server: PgServer;
let dbs = 0;
const children: Child[] = [];
const holders: Server[] = [];

before(async () => {
  server = await startPgServer({ fast: true });
});
after(async () => {
  for (const c of children) await c.kill9();
  for (const h of holders) h.close();
  server.destroy();
});

async function track(p: Promise<Child>): Promise<Child> {
  const c = await p;
  children.push(c);
  return c;
}

/** A port some other program holds on 127.0.0.1. */
async function heldPort(): Promise<number> {
  const port = await freePort();
  const s = createServer();
  await new Promise<void>((r) => s.listen(port, '127.0.0.1', r));
  holders.push(s);
  return port;
}

describe('honeynet operations', { timeout: 240_000 }, () => {
  test('central settings that cannot start are not kept for the next start; --clear brings the config file\'s services back', async () => {
    const c = await collectorSetup({ pgUrl: server.createDatabase(`op${dbs++}`) });
    const collector = await track(c.start());
    const dmz = await sensorSetup('dmz-1', `https://127.0.0.1:${c.port}`, await c.token('dmz-1'));
    let sensor = await track(dmz.start());
    const heartbeat = async (): Promise<{ services: string[] }> =>
      (JSON.parse((await runCli(['collector', 'sensors', '--json', '--config', c.configPath])).stdout.trim()) as { heartbeat: { services: string[] } | null }).heartbeat ?? { services: [] };
    await waitFor(async () => (await heartbeat()).services.includes('ssh'), 10_000, 200);
    const set = async (services: Record<string, unknown>): Promise<void> => {
      const file = join(c.dir, `services-${Date.now()}.yaml`);
      writeFileSync(file, stringify({ services }));
      await runCli(['collector', 'settings', 'dmz-1', file, '--config', c.configPath]);
    };

    // Telnet on a port another program holds: the sensor keeps its SSH, and a restart does not run the failed settings.
    const busy = await heldPort();
    await set({ telnet: { listen: [`127.0.0.1:${busy}`] } });
    await waitFor(() => sensor.stderr().includes('could not be applied'), 15_000, 100);
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(sensor.stderr().split('could not be applied').length - 1, 1, 'a refused version is not tried again at every heartbeat');
    assert.deepEqual((await heartbeat()).services, ['ssh']);
    await sensor.stop();
    sensor = await track(dmz.start());
    assert.match(sensor.stdout(), /ssh\s+listening on/, 'the restart runs what ran before the failed settings');
    assert.doesNotMatch(sensor.stdout(), /telnet/);

    // Settings that work, then --clear: back to the config file's services at the next heartbeat, and after a restart.
    const telnetPort = await freePort();
    await set({ telnet: { listen: [`127.0.0.1:${telnetPort}`], failure_delay_ms: 0 } });
    await waitFor(async () => (await heartbeat()).services.join() === 'telnet', 15_000, 200);
    const cleared = await runCli(['collector', 'settings', 'dmz-1', '--clear', '--config', c.configPath]);
    assert.match(cleared.stdout, /goes back to its config file's services at its next heartbeat/);
    await waitFor(async () => (await heartbeat()).services.join() === 'ssh', 15_000, 200);
    assert.equal(existsSync(join(dmz.spoolDir, 'applied-settings.json')), false);
    await sensor.stop();
    sensor = await track(dmz.start());
    assert.match(sensor.stdout(), /ssh\s+listening on/);
    assert.doesNotMatch(sensor.stdout(), /telnet/);
    await sensor.stop();
    await collector.stop();
  });
});
