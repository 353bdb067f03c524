// apiary.example.yaml stays valid, and its commented-out blocks are valid when switched on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseConfigText, validateConfig } from '../../src/config/load.js';

test('apiary.example.yaml validates, with and without its commented examples', () => {
  const text = readFileSync('apiary.example.yaml', 'utf8');
  const plain = validateConfig(parseConfigText(text));
  assert.equal(plain.incidents.quiet_gap_s, 3600);
  assert.equal(plain.alerts.min_severity, 'high');
  // Switch on the tracking examples (lines "  # key: value" under geoip and alerts, and the list items).
  const on = text
    .replace(/^(\s*)# (\s*)(country_db|asn_db|webhook|url|timeout_ms|retries|headers|syslog|host|port|protocol|format|facility):/gm, '$1$2$3:')
    .replace(/^(\s+)# (- \{ cidr)/m, '$1$2')
    .replace(/^  overrides: \[\]$/m, '  overrides:')
    .replace(/^country_groups: \[\]$/m, 'country_groups:')
    .replace(/^# (- name|  description|  members)/gm, '$1')
    // The outputs block: its syslog lines are switched on above; the block's own key and types here.
    .replace(/^# outputs:$/m, 'outputs:')
    .replace(/^# (    types:)/m, '$1');
  const full = validateConfig(parseConfigText(on));
  assert.equal(full.geoip.overrides[0]?.site, 'campus');
  assert.equal(full.alerts.webhook?.retries, 3);
  assert.equal(full.alerts.syslog?.protocol, 'udp');
  assert.equal(full.country_groups[0]?.name, 'five-eyes');
  assert.equal(full.outputs.syslog?.format, 'rfc5424');
  assert.deepEqual(full.outputs.syslog?.types, ['auth.attempt', 'command.input', 'file.download', 'exploit.attempt']);
  // The inputs block: every line from "# inputs:" to the blank line after it, one "# " taken off.
  const inputs = text.replace(/^# inputs:\n(?:#.*\n)+/m, (block) => block.replace(/^# ?/gm, ''));
  const withInputs = validateConfig(parseConfigText(inputs));
  assert.deepEqual(withInputs.inputs.hpfeeds?.feeds.map((f) => [f.ident, f.sensor, f.channels]), [['cowrie-dmz-1', 'cowrie-dmz-1', ['cowrie.sessions']]]);
  assert.deepEqual(withInputs.inputs.hpfeeds?.listen, ['0.0.0.0:10000']);
});
