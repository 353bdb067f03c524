// The start-up banner names every configured event output, syslog included, in one form:
// `output   KIND WHERE ...`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateConfig } from '../../src/config/load.js';
import { outputLines } from '../../src/cli/output-lines.js';

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
