// A transfer whose socket cannot be bound ends at once instead of waiting for ever with its flow held.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { transferSocket } from '../../../src/sensors/tftp/sensor.js';

test('a transfer socket that cannot be bound is reported, not awaited for ever; a loopback one binds', async () => {
  // 192.0.2.1 (TEST-NET-1) is no address of this host: bind fails with EADDRNOTAVAIL and nothing is sent.
  let timer: NodeJS.Timeout | undefined;
  const never = new Promise<'hung'>((r) => (timer = setTimeout(() => r('hung'), 3000)));
  const failed = await Promise.race([transferSocket({ local: { address: '192.0.2.1', port: 69 } }), never]);
  clearTimeout(timer);
  assert.equal(failed, undefined);
  const ok = await transferSocket({ local: { address: '127.0.0.1', port: 69 } });
  assert.ok(ok);
  assert.ok(ok.address().port > 0);
  ok.close();
});
