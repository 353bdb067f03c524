// The Telnet sensor in this process, its sockets' writes counted: what clients see as one segment
// cannot depend on how fast they read. hydra takes the first segment after the options for the whole
// greeting; when the host line and the login prompt came as two writes and hydra read between them
// (a loaded machine), it took the late prompt for "login failed" on the next pair it sent, and never
// found the password.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, Socket } from 'node:net';
import pino from 'pino';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { loadConfig } from '../../../src/config/load.js';
import { startServices } from '../../../src/cli/app.js';
import type { ApiaryEvent } from '../../../src/events/catalogue.js';
import { tempDir } from '../../helpers/apiary-process.js';

test('after negotiation_timeout_s the host line and the login prompt leave in one write', async () => {
  const dir = tempDir();
  const file = join(dir, 'apiary.yaml');
  writeFileSync(
    file,
    stringify({
      sensor: 'telnet-writes',
      data_dir: join(dir, 'data'),
      services: { telnet: { listen: ['127.0.0.1:0'], negotiation_timeout_s: 0.2 } },
      shell: { seed: 'telnet-writes', hostname: 'gw' },
    }),
  );
  const { config } = loadConfig(file);
  const events: ApiaryEvent[] = [];
  const running = await startServices(config, { write: (e) => void events.push(e), flush: async () => {} }, pino({ level: 'silent' }));
  const port = running.services.find((s) => s.name === 'telnet')!.bound[0]!.port;
  const writes: string[] = [];
  const original = Socket.prototype.write;
  // Only the sensor's side of the connection: its local port is the telnet port.
  Socket.prototype.write = function (this: Socket, chunk: unknown, ...rest: unknown[]) {
    if (this.localPort === port && (typeof chunk === 'string' || Buffer.isBuffer(chunk))) writes.push(Buffer.from(chunk).toString('latin1'));
    return (original as (...a: unknown[]) => boolean).call(this, chunk, ...rest);
  } as typeof Socket.prototype.write;
  try {
    const bot = connect({ host: '127.0.0.1', port });
    let seen = '';
    // A bot that never answers telnetd's option requests.
    await new Promise<void>((resolve, reject) => {
      bot.on('data', (d: Buffer) => {
        seen += d.toString('latin1');
        if (seen.includes(' login: ')) resolve();
      });
      bot.on('error', reject);
      setTimeout(() => reject(new Error(`no login prompt: ${JSON.stringify(seen)}`)), 5000).unref();
    });
    bot.destroy();
    const greeting = writes.find((w) => w.includes('\r\nLinux '));
    assert.ok(greeting, JSON.stringify(writes));
    assert.match(greeting, /\(pts\/1\)\r\n\r\ngw login: $/, JSON.stringify(writes));
  } finally {
    Socket.prototype.write = original;
    await running.close();
  }
});
