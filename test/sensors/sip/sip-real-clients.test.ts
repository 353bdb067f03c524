// SIP scanners against the SIP sensor: sipvicious svmap (OPTIONS) and svcrack (REGISTER digest),
// sipp INVITEs over UDP and TCP (toll-fraud numbers recorded), nmap sip-methods on 5060/udp.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startApiaryProcess } from '../../helpers/apiary-process.js';
import { runTool } from '../../helpers/net-tools.js';
import { payloads } from '../../helpers/stored-events.js';

test('svmap sees the PBX, svcrack finds the extension password; each digest is recorded crackable', async () => {
  const apiary = await startApiaryProcess({
    sensor: 'sip-vicious',
    auth: [{ user: '1000', password: '4321', allow: true }],
    services: { sip: { listen: ['127.0.0.1:0'] } },
  });
  try {
    const port = String(apiary.ports['sip-udp']);
    const map = await runTool('svmap', ['-p', port, '127.0.0.1'], { timeoutMs: 30_000 });
    assert.match(map.stdout, /127\.0\.0\.1:\d+ +\| FPBX-16\.0\.40\.7\(18\.20\.0\)/);
    const words = join(apiary.dir, 'pins.txt');
    writeFileSync(words, '0000\n1111\n1234\n4321\n9999\n');
    const crack = await runTool('svcrack', ['-u', '1000', '-d', words, '-p', port, '127.0.0.1'], { timeoutMs: 60_000 });
    assert.match(crack.stdout, /\| 1000 +\| 4321 +\|/);
    await apiary.stop();
    const requests = await payloads<{ method: string; user_agent?: string; transport: string }>(apiary.dir, 'sip.request');
    assert.ok(requests.some((r) => r.method === 'OPTIONS'));
    assert.ok(requests.filter((r) => r.method === 'REGISTER').length >= 4);
    const attempts = await payloads<{ method: string; username: string; password?: string; hash?: string; realm?: string; success: boolean }>(apiary.dir, 'auth.attempt');
    const ok = attempts.filter((a) => a.success);
    assert.deepEqual(ok.map((a) => [a.username, a.password]), [['1000', '4321']]);
    for (const a of attempts.filter((x) => x.hash)) {
      assert.equal(a.method, 'digest');
      assert.equal(a.realm, 'asterisk');
      // The $sip$ line carries what a cracker needs: recompute the response for the right PIN.
      const f = a.hash!.split('*');
      assert.equal(f[0], '$sip$');
      const [user, realm, method, prefix, resource, suffix, nonce, cnonce, nc, qop, , response] = f.slice(3);
      const uri = `${prefix}:${resource}${suffix ? `:${suffix}` : ''}`;
      const md5 = (s: string): string => createHash('md5').update(s).digest('hex');
      const ha1 = md5(`${user}:${realm}:4321`);
      const ha2 = md5(`${method}:${uri}`);
      const expect = qop ? md5(`${ha1}:${nonce}:${nc}:${cnonce}:${qop}:${ha2}`) : md5(`${ha1}:${nonce}:${ha2}`);
      assert.equal(response === expect, a.success, `digest line ${a.hash}`);
    }
  } finally {
    await apiary.stop();
  }
});

test('sipp INVITEs over UDP and TCP: caller and callee recorded; nmap sip-methods on 5060/udp sees the PBX', async () => {
  const host = '127.0.0.62';
  const apiary = await startApiaryProcess({ sensor: 'sip-sipp', services: { sip: { listen: [`${host}:5060`] } } });
  try {
    for (const [transport, number] of [['u1', '0044201234567'], ['t1', '00881999000111']] as const) {
      // The PBX asks for credentials sipp's default scenario does not have: sipp ends in error, as a fraud tool would.
      await runTool('sipp', ['-sn', 'uac', '-t', transport, '-s', number, '-m', '1', '-timeout', '5s', '-timeout_error', '-i', '127.0.0.1', `${host}:5060`], { cwd: apiary.dir, timeoutMs: 30_000 });
    }
    const nmap = await runTool('nmap', ['-n', '-Pn', '-sU', '-p', '5060', '--script', 'sip-methods', host], { timeoutMs: 60_000 });
    assert.equal(nmap.code, 0, nmap.stderr);
    assert.match(nmap.stdout, /sip-methods: OPTIONS, REGISTER, SUBSCRIBE, NOTIFY, PUBLISH, INVITE, ACK, BYE, CANCEL/);
    await apiary.stop();
    const invites = (await payloads<{ method: string; callee?: string; caller?: string; transport: string }>(apiary.dir, 'sip.request')).filter((r) => r.method === 'INVITE');
    assert.deepEqual(invites.map((i) => [i.transport, i.caller, i.callee]), [
      ['udp', 'sipp', '0044201234567'],
      ['tcp', 'sipp', '00881999000111'],
    ]);
  } finally {
    await apiary.stop();
  }
});
