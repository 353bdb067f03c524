// The example config validates, and the port listeners leave alone the ports other services use.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../src/config/load.js';
import { portsService } from '../../src/config/schema.js';
import { DEFAULT_PROBE_PORTS, probeAddresses } from '../../src/sensors/ports/sensor.js';

test('apiary.example.yaml is a valid configuration', () => {
  const { config } = loadConfig('apiary.example.yaml', { checkDataDir: false });
  assert.equal(config.services.http?.site, 'apache-default');
  assert.equal(config.services.sip?.user_agent, 'FPBX-16.0.40.7(18.20.0)');
  assert.equal(config.services.ftp?.banner, '(vsFTPd 3.0.3)');
});

test('default probe ports skip ports in use; configured ones are taken as given', () => {
  const cfg = portsService.parse({});
  assert.deepEqual(probeAddresses(cfg, new Set([8080, 23])).map((a) => a.port), DEFAULT_PROBE_PORTS.filter((p) => p !== 8080 && p !== 23));
  assert.deepEqual(probeAddresses(portsService.parse({ listen: ['127.0.0.1:8080'] }), new Set([8080])), [{ host: '127.0.0.1', port: 8080 }]);
});
