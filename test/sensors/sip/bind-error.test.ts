// A SIP port another program holds stops start-up with APIARY_LISTEN_FAILED naming the real key
// (services.sip.listen), not the UDP listener's internal name.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import pino from 'pino';
import { validateConfig } from '../../../src/config/load.js';
import { startServices } from '../../../src/cli/app.js';
import { tempDir } from '../../helpers/apiary-process.js';

test('a SIP UDP port in use is refused naming services.sip.listen', async () => {
  const holder = createSocket('udp4');
  holder.bind(0, '127.0.0.1');
  await once(holder, 'listening');
  const port = holder.address().port;
  try {
    const parsed = validateConfig({ sensor: 'sip-bind', data_dir: tempDir(), services: { sip: { listen: [`127.0.0.1:${port}`] } } });
    const config = { ...parsed, store: { ...parsed.store, sqlite: { path: '' } } };
    await assert.rejects(
      startServices(config, { write: () => {}, flush: async () => {} }, pino({ level: 'silent' })),
      (err: Error) => /APIARY_LISTEN_FAILED|cannot listen/.test(`${(err as { code?: string }).code} ${err.message}`) && /services\.sip\.listen/.test(err.message) && !/sip-udp\.listen/.test(err.message),
    );
  } finally {
    holder.close();
  }
});
