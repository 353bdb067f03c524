// Real-client tests: Samba's smbclient (list, put), impacket (SRVSVC over SMB1 and SMB2, smbclient.py,
// lookupsid.py) and hydra against the SMB sensor, then a flood of malformed packets beside a real client.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { existsSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startApiaryProcess, tempDir, waitFor } from '../../helpers/apiary-process.js';
import { runTool } from '../../helpers/run-tool.js';
import { md4 } from '../../helpers/md4.js';
import { encodeNbssFrame } from '../../../src/sensors/smb/codec/netbios.js';

const HOST = '127.0.0.46';
const PY = '/usr/bin/python3';
const EXAMPLES = '/usr/share/doc/python3-impacket/examples';

test('smbclient, impacket and hydra against the SMB sensor', async () => {
  const dir = tempDir();
  const apiary = await startApiaryProcess(
    { sensor: 'smb-clients', services: { smb: { listen: [`${HOST}:445`], netbios_listen: [], share: { name: 'Scans' }, guest_fallback: false } } },
    { dir },
  );
  try {
    // smbclient -L lists the shares over SMB2 and exits 0.
    const list = await runTool('smbclient', ['-L', `//${HOST}`, '-N'], { env: { USER: '', LOGNAME: '' } });
    // With $USER set, -N first offers that name with no password; the listing must still work.
    const asRoot = await runTool('smbclient', ['-L', `//${HOST}`, '-N'], { env: { USER: 'root', LOGNAME: 'root' } });
    assert.equal(asRoot.code, 0, asRoot.stderr + asRoot.stdout);
    assert.equal(list.code, 0, list.stderr + list.stdout);
    for (const s of ['ADMIN$', 'C$', 'IPC$', 'Scans']) assert.match(list.stdout, new RegExp(`^\\s+${s.replace('$', '\\$')}\\s+(Disk|IPC)`, 'm'));

    // smbclient put lands the file in quarantine with its SHA-256.
    const file = join(dir, 'dropper.exe');
    const content = randomBytes(150_000);
    writeFileSync(file, content);
    const sha = createHash('sha256').update(content).digest('hex');
    const put = await runTool('smbclient', [`//${HOST}/Scans`, '-N', '-c', `put ${file} dropper.exe`], { env: { USER: '', LOGNAME: '' } });
    assert.equal(put.code, 0, put.stderr + put.stdout);

    // Listing the share works over SMB2 and SMB1 ("." and "..", then the free space line).
    for (const proto of [[], ['--option=client min protocol=NT1', '--option=client max protocol=NT1']]) {
      const ls = await runTool('smbclient', [`//${HOST}/Scans`, '-N', ...proto, '-c', 'ls'], { env: { USER: '', LOGNAME: '' } });
      assert.equal(ls.code, 0, ls.stderr + ls.stdout);
      assert.match(ls.stdout, /^\s+\.\.\s+D\s+0 /m);
      assert.match(ls.stdout, /\d+ blocks of size 4096\. \d+ blocks available/);
    }

    // impacket SRVSVC calls over SMB1 and SMB2.
    const script = resolve('test/fixtures/smb/srvsvc-calls.py');
    for (const dialect of ['smb1', 'smb2']) {
      const r = await runTool(PY, [script, HOST, '445', dialect]);
      assert.equal(r.code, 0, `${dialect}: ${r.stderr}`);
      assert.match(r.stdout, /^compare 0$/m);
      assert.match(r.stdout, /^canon \\x 1 0$/m);
      assert.match(r.stdout, /^shares \['ADMIN\$', 'C\$', 'IPC\$', 'Scans'\]$/m);
      assert.match(r.stdout, /^tod \d{4}$/m);
      assert.match(r.stdout, /^wksta WIN-[A-Z0-9]{11} WORKGROUP 6 [01]$/m);
    }
    // impacket's smbclient.py and lookupsid.py run to their end (lookupsid gets access denied).
    const cmds = join(dir, 'cmds.txt');
    writeFileSync(cmds, 'shares\nuse Scans\nls\nexit\n');
    const sc = await runTool(PY, [join(EXAMPLES, 'smbclient.py'), '-no-pass', '-file', cmds, `guest@${HOST}`]);
    assert.equal(sc.code, 0, sc.stderr);
    assert.match(sc.stdout, /Scans/);
    const ls = await runTool(PY, [join(EXAMPLES, 'lookupsid.py'), '-no-pass', `guest@${HOST}`]);
    assert.match(ls.stdout + ls.stderr, /access_denied|ACCESS_DENIED/);

    // hydra: every attempt is recorded with a crackable NetNTLM line (guest_fallback is off, so all fail).
    const users = join(dir, 'users.txt');
    const passes = join(dir, 'pass.txt');
    writeFileSync(users, 'alice\nbob\n');
    writeFileSync(passes, 'Winter2024\nletmein\nqwerty\n');
    const hy = await runTool('hydra', ['-L', users, '-P', passes, '-t', '1', `smb://${HOST}`], { timeoutMs: 60_000 });
    assert.match(hy.stdout, /0 valid password/);

    // A named user with a password (logon refused: guest_fallback is off) leaves a crackable NetNTLMv2 line.
    const named = await runTool('smbclient', ['-L', `//${HOST}`, '-U', 'carol%Sommer2024!', '-W', 'LAB']);
    assert.notEqual(named.code, 0);
    assert.match(named.stdout + named.stderr, /NT_STATUS_LOGON_FAILURE/);

    // 10,000 malformed messages over 50 connections, while a real client keeps working.
    const flood = async (n: number): Promise<void> => {
      await new Promise<void>((done) => {
        const s = connect({ host: HOST, port: 445 }, () => {
          const frames: Buffer[] = [];
          for (let i = 0; i < 200; i++) {
            const kind = (n + i) % 4;
            const body = randomBytes(1 + ((n * 7 + i * 13) % 120));
            const msg =
              kind === 0 ? Buffer.concat([Buffer.from([0xff, 0x53, 0x4d, 0x42]), body]) : kind === 1 ? Buffer.concat([Buffer.from([0xfe, 0x53, 0x4d, 0x42]), body]) : kind === 2 ? body : Buffer.alloc(0);
            frames.push(Buffer.from(encodeNbssFrame(0, msg)));
          }
          s.end(Buffer.concat(frames));
        });
        s.on('error', () => done());
        s.on('close', () => done());
        s.resume();
      });
    };
    const floods = Array.from({ length: 50 }, (_, i) => i);
    const during = (async () => {
      for (let i = 0; i < 50; i += 5) await Promise.all(floods.slice(i, i + 5).map(flood));
    })();
    const mid = await runTool(PY, [script, HOST, '445', 'smb2']);
    await during;
    assert.equal(mid.code, 0, `a real client during the flood: ${mid.stderr}`);
    const after = await runTool('smbclient', ['-L', `//${HOST}`, '-N'], { env: { USER: '', LOGNAME: '' } });
    assert.equal(after.code, 0, 'smbclient still works after the flood');

    await waitFor(async () => (await apiary.events(['--type', 'file.upload'])).length >= 1, 10_000, 200);
    await apiary.stop();
    const events = await apiary.events();
    const upload = events.find((e) => e.type === 'file.upload' && e.filename === 'Scans\\dropper.exe');
    assert.equal(upload?.sha256, sha);
    assert.equal(upload?.size, content.length);
    assert.ok(existsSync(join(dir, 'data', 'quarantine', sha)));
    const hydra = events.filter((e) => e.type === 'auth.attempt' && (e.username === 'alice' || e.username === 'bob'));
    assert.equal(hydra.length, 6, 'every hydra attempt recorded');
    for (const a of hydra) {
      assert.equal(a.success, false);
      assert.equal(a.method, 'ntlm');
      assert.match(String(a.ntlm_hash), new RegExp(`^${a.username}::[^:]*:[0-9a-f]*:[0-9a-f]{48}:[0-9a-f]{16}$`));
      assert.equal(a.hash_format, 'netntlmv1');
    }
    const carol = events.find((e) => e.type === 'auth.attempt' && e.username === 'carol' && e.hash_format === 'netntlmv2');
    assert.ok(carol, 'smbclient logon recorded with a NetNTLMv2 line');
    assert.equal(carol.domain, 'LAB');
    const [user, , domain, challenge, proof, blob] = String(carol.ntlm_hash).split(':');
    const ntowf = createHmac('md5', md4(Buffer.from('Sommer2024!', 'utf16le'))).update(Buffer.from(user!.toUpperCase() + domain!, 'utf16le')).digest();
    const expected = createHmac('md5', ntowf).update(Buffer.from(challenge! + blob!, 'hex')).digest('hex');
    assert.equal(proof, expected, 'the line verifies against the password, so crackers can recover it');
    const wrong = createHmac('md5', createHmac('md5', md4(Buffer.from('Winter2024', 'utf16le'))).update(Buffer.from('CAROLLAB', 'utf16le')).digest()).update(Buffer.from(challenge! + blob!, 'hex')).digest('hex');
    assert.notEqual(proof, wrong);
    const smbclientLogon = events.find((e) => e.type === 'auth.attempt' && e.username === '' && e.success === true);
    assert.ok(smbclientLogon, 'anonymous logon recorded');
    assert.ok(events.some((e) => e.type === 'rpc.request' && e.operation === 'NetrShareEnum' && e.pipe === 'srvsvc'));
    assert.ok(events.some((e) => e.type === 'rpc.bind' && e.interface === 'lsarpc'));
    const malformed = events.filter((e) => e.type === 'protocol.malformed');
    assert.ok(malformed.length >= 50, 'malformed messages are recorded (capped per connection)');
    assert.ok(malformed.length <= 50 * 8 + 20);
  } finally {
    await apiary.stop();
  }
});
