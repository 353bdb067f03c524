// The collector enriches what it stores: one record per new source address, written beside the events.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import pino from 'pino';
import { Collector } from '../../src/collector/collector.js';
import { EnrichmentStage } from '../../src/collector/enrichment.js';
import { Enricher } from '../../src/enrich/enricher.js';
import { openGeoIp } from '../../src/enrich/geoip.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { tempDir } from '../helpers/apiary-process.js';
import { makeEvent } from '../helpers/events.js';

test('stored events get enrichment records: country, ASN, scope, ignore flag', async () => {
  const store = new SqliteStore(join(tempDir(), 'e.db'));
  const enricher = new Enricher({ internal: ['10.0.0.0/8'], ignore: ['10.9.0.0/16'], geoip: openGeoIp() });
  let calls = 0;
  const counting = { enrich: (ip: string, at?: string) => (calls++, enricher.enrich(ip, at)), now: () => enricher.now() } as Enricher;
  const collector = new Collector(store, pino({ level: 'silent' }), [], new EnrichmentStage(counting));
  try {
    for (const src of ['8.8.8.8', '8.8.8.8', '1.1.1.1', '10.1.1.1', '10.9.0.1', '192.168.1.1']) {
      collector.write(makeEvent({ type: 'connection.open', time: '2026-01-01T00:00:00Z', src, payload: { transport: 'tcp' } }));
    }
    await collector.flush();
    assert.equal(calls, 5, 'one lookup per new address');
    const e = await store.getEnrichment();
    assert.deepEqual([e.get('8.8.8.8')?.country, e.get('8.8.8.8')?.asn, e.get('8.8.8.8')?.scope], ['US', 15169, 'external']);
    assert.deepEqual([e.get('1.1.1.1')?.country, e.get('1.1.1.1')?.as_org], ['AU', 'Cloudflare, Inc.']);
    assert.deepEqual([e.get('10.1.1.1')?.scope, e.get('10.1.1.1')?.country, e.get('10.1.1.1')?.ignored], ['internal', null, false]);
    assert.equal(e.get('10.9.0.1')?.ignored, true);
    assert.equal(e.get('192.168.1.1')?.scope, 'private');
    assert.equal(await store.count(), 6);
  } finally {
    await collector.close();
    await store.close();
  }
});
