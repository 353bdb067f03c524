// The start-up banner names every configured event output, syslog included, in one form:
// `output   KIND WHERE ...`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { outputLines, storeLine } from '../../src/cli/output-lines.js';

test('outputLines names jsonl, cowrie_json and syslog (protocol, address, format, types) outputs', () => {
  const c = validateConfig({
    outputs: {
      jsonl: { path: '/var/log/apiary/events.jsonl' },
      cowrie_json: { path: '/var/log/apiary/cowrie.json' },
      syslog: { host: '127.0.0.1' },
    },
  });
  assert.deepEqual(outputLines(c.outputs), [
    'output   jsonl /var/log/apiary/events.jsonl',
    'output   cowrie_json /var/log/apiary/cowrie.json',
    'output   syslog udp 127.0.0.1:514 rfc5424',
  ]);
  const v6 = validateConfig({ outputs: { syslog: { host: '::1', port: 6514, protocol: 'tcp', format: 'cef', types: ['auth.attempt', 'command.input'] } } });
  assert.deepEqual(outputLines(v6.outputs), ['output   syslog tcp [::1]:6514 cef (only auth.attempt, command.input)']);
  assert.deepEqual(outputLines(validateConfig({}).outputs), []);
});

test('storeLine names the SQLite file, or the PostgreSQL server and database without the password', () => {
  const sqlite: Config['store'] = { kind: 'sqlite', sqlite: { path: '/var/lib/apiary/apiary.db' } };
  assert.equal(storeLine(sqlite), 'store    sqlite /var/lib/apiary/apiary.db');
  const { postgres } = validateConfig({ store: { kind: 'postgres', postgres: { url: 'postgres://apiary:s3cret@db.internal:5433/apiary?sslmode=require' } } }).store;
  const pg: Config['store'] = { kind: 'postgres', sqlite: { path: '/unused' }, postgres };
  assert.equal(storeLine(pg), 'store    postgres db.internal:5433/apiary');
  assert.doesNotMatch(storeLine(pg), /s3cret/);
});
