// The collector's management commands on a store alone (no collector running): listing sensors when
// none enrolled, revoking a name that only has a pending token, and clearing central settings with
// `--clear` written as the flag it looks like.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, tempDir } from '../helpers/apiary-process.js';

function setup(): { cfg: string; dir: string } {
  const dir = tempDir('apiary-collector-cli-');
  const cfg = join(dir, 'apiary.yaml');
  writeFileSync(cfg, `data_dir: ${join(dir, 'data')}\n`);
  return { cfg, dir };
}

test('collector sensors says when none is enrolled; revoke cancels a name that only has an unused token, then knows nothing of it', async () => {
  const { cfg } = setup();
  assert.match((await runCli(['collector', 'sensors', '--config', cfg])).stdout, /^no sensors enrolled/);
  assert.equal((await runCli(['collector', 'sensors', '--json', '--config', cfg])).stdout, '', 'JSON lines: none');
  await runCli(['collector', 'enroll', 'dmz-1', '--config', cfg]);
  await runCli(['collector', 'enroll', 'dmz-1', '--config', cfg]);
  const revoked = await runCli(['collector', 'revoke', 'dmz-1', '--config', cfg]);
  assert.match(revoked.stdout, /dmz-1 never enrolled; its 2 unused enrolment tokens deleted/);
  const again = await runCli(['collector', 'revoke', 'dmz-1', '--config', cfg], { allowFail: true });
  assert.equal(again.code, 2);
  assert.match(again.stderr, /APIARY_NOT_FOUND: no enrolled sensor and no unused enrolment token named dmz-1/);
});

test('collector settings NAME --clear works as a flag, before or after --config, and as an operand after --', async () => {
  const { cfg, dir } = setup();
  const file = join(dir, 'dmz-1.yaml');
  writeFileSync(file, 'services:\n  ssh: { listen: ["127.0.0.1:0"] }\n');
  for (const clear of [['--clear', '--config', cfg], ['--config', cfg, '--clear'], ['--config', cfg, '--', '--clear']]) {
    assert.match((await runCli(['collector', 'settings', 'dmz-1', file, '--config', cfg])).stdout, /stored; it applies them at its next heartbeat/);
    const r = await runCli(['collector', 'settings', 'dmz-1', ...clear]);
    assert.match(r.stdout, /central settings for dmz-1 removed/, clear.join(' '));
  }
  for (const bad of [['--config', cfg], [file, '--clear', '--config', cfg]]) {
    const r = await runCli(['collector', 'settings', 'dmz-1', ...bad], { allowFail: true });
    assert.equal(r.code, 2, bad.join(' '));
    assert.match(r.stderr, /APIARY_CLI_USAGE: usage: apiary collector settings NAME FILE\|--clear/);
  }
});

test('collector settings names the key that is wrong, refuses keys other than services, and says when no such sensor is enrolled', async () => {
  const { cfg, dir } = setup();
  const file = join(dir, 'settings.yaml');
  const refused = async (text: string): Promise<string> => {
    writeFileSync(file, text);
    const r = await runCli(['collector', 'settings', 'dmz-1', file, '--config', cfg], { allowFail: true });
    assert.equal(r.code, 2, r.stdout);
    return r.stderr;
  };
  assert.match(await refused('services:\n  ssh: { listen: ["127.0.0.1:70000"] }\n'), /APIARY_CONFIG_INVALID: \S+settings\.yaml: key services\.ssh\.listen\[0\]: port 70000 is out of range/);
  assert.match(await refused('services:\n  ssh: { lisen: ["127.0.0.1:2222"] }\n'), /APIARY_CONFIG_INVALID: \S+: unknown key "lisen" in services\.ssh; remove it or check its spelling/);
  assert.match(await refused('services:\n  ssh: { listen: ["127.0.0.1:2222"] }\n  telnet: { listen: ["127.0.0.1:2222"] }\n'), /key services\.telnet\.listen\[0\]: 127\.0\.0\.1:2222 is already used by services\.ssh\.listen\[0\]/);
  assert.match(await refused('sensor: other\nservices:\n  ssh: { listen: ["127.0.0.1:2222"] }\n'), /APIARY_CONFIG_INVALID: \S+: key sensor: central settings hold a services: block only/);
  writeFileSync(file, 'services:\n  ssh: { listen: ["127.0.0.1:2222"] }\n');
  const typo = await runCli(['collector', 'settings', 'dmz-l', file, '--config', cfg]);
  assert.match(typo.stdout, /stored; it applies them at its next heartbeat \(no sensor dmz-l is enrolled yet: "apiary collector sensors" lists them\)/);
});
