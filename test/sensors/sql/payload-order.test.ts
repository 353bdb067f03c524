// A statement carrying a payload (a binary sent as hex) is recorded once the quarantine has the
// payload, with its hash; the session's later statements wait behind it, so its events keep the
// order of its statements.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { ApiaryEvent } from '../../../src/events/catalogue.js';
import { createSessionEmitter } from '../../../src/events/emitter.js';
import type { PayloadStore } from '../../../src/sensors/sql/payload-store.js';
import { recordStatement } from '../../../src/sensors/sql/record.js';

test("a statement's payload being stored holds back the session's later events; they come in statement order, the payload's with its hash", async () => {
  const events: ApiaryEvent[] = [];
  const emitter = createSessionEmitter({ write: (e) => void events.push(e), flush: async () => {} }, { sensor: 't', protocol: 'mysql', src_ip: '198.51.100.2', src_port: 1, dst_ip: '127.0.0.1', dst_port: 3306 });
  let store!: () => void;
  const stored = new Promise<void>((resolve) => (store = resolve));
  const payloads: PayloadStore = {
    put: async (data) => {
      await stored;
      return { sha256: createHash('sha256').update(data).digest('hex'), md5: createHash('md5').update(data).digest('hex'), size: data.length, outcome: 'stored' };
    },
  };
  const binary = Buffer.concat([Buffer.from('7f454c46', 'hex'), Buffer.alloc(96, 0x90)]);
  const moves = recordStatement(emitter, payloads, { text: `SELECT 0x${binary.toString('hex')}`, database: undefined, dialect: 'mysql' });
  assert.deepEqual(moves.map((m) => m.name), ['mysql.hex_payload'], 'the moves are known at once');
  recordStatement(emitter, payloads, { text: 'SELECT 1', database: undefined, dialect: 'mysql' });
  const seen = (): string[] => events.map((e) => `${e.type} ${String((e.payload as { query?: string; sha256?: string }).query ?? (e.payload as { sha256?: string }).sha256).slice(0, 12)}`);
  assert.deepEqual(seen(), ['query SELECT 0x7f4'], 'only the first query while its payload is being stored');
  store();
  await new Promise((resolve) => setImmediate(resolve));
  const sha256 = createHash('sha256').update(binary).digest('hex');
  assert.deepEqual(seen(), ['query SELECT 0x7f4', `exploit.attempt ${sha256.slice(0, 12)}`, 'query SELECT 1']);
  // Nothing waits any more: the next statement is recorded at once.
  recordStatement(emitter, payloads, { text: 'SELECT 2', database: undefined, dialect: 'mysql' });
  assert.equal(seen().at(-1), 'query SELECT 2');
});

test('statements waiting behind a slow store do not keep their payloads: once a payload is stored (or refused) only its events wait', async () => {
  const { heldBy, MiB } = await import('../../helpers/heap.js');
  const events: ApiaryEvent[] = [];
  const emitter = createSessionEmitter({ write: (e) => void events.push(e), flush: async () => {} }, { sensor: 't', protocol: 'mysql', src_ip: '198.51.100.3', src_port: 1, dst_ip: '127.0.0.1', dst_port: 3306 });
  let release!: () => void;
  const slow = new Promise<void>((resolve) => (release = resolve));
  let first = true;
  // The first payload's store takes as long as the disk does; the others are refused at once, as
  // the quarantine does when too much is being stored (busy), so that their buffers are let go.
  const payloads: PayloadStore = {
    put: async (data) => {
      const sha256 = createHash('sha256').update(data).digest('hex');
      if (first) {
        first = false;
        await slow;
        return { sha256, md5: '', size: data.length, outcome: 'stored' };
      }
      return { sha256, md5: '', size: data.length, outcome: 'refused' };
    },
  };
  const statement = (i: number): string => `SELECT 0x7f454c46${Buffer.alloc(MiB, i).toString('hex')}`;
  const held = await heldBy(async () => {
    for (let i = 0; i < 24; i++) recordStatement(emitter, payloads, { text: statement(i), database: undefined, dialect: 'mysql' });
    await new Promise((resolve) => setImmediate(resolve));
  });
  assert.ok(held < 8 * MiB, `statements waiting behind one store hold ${(held / MiB).toFixed(1)} MiB (24 payloads of 1 MiB)`);
  release();
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(events.filter((e) => e.type === 'exploit.attempt').length, 24, 'every statement is still recorded, in order');
});
