// The Windows profiles: every value that names the version agrees with it, an install without `os`
// only gets a build both MS08-067 and MS17-010 hit, and on later builds MS08-067's paths are refused
// as patched Windows refuses them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ByteWriter } from '../../../src/wire/reader.js';
import { loadIdentity, OFFERED_PROFILES, OS_PROFILES, type OsProfileName } from '../../../src/sensors/smb/identity.js';
import { handleSrvsvc, WERR, type SrvsvcFinding } from '../../../src/sensors/smb/rpc/srvsvc.js';
import { smbService } from '../../../src/config/schema.js';
import { tempDir } from '../../helpers/apiary-process.js';

const NAMES = Object.keys(OS_PROFILES) as OsProfileName[];

test('every profile names one build everywhere: NativeOS, NativeLanMan, version fields and SMB2 dialect', () => {
  for (const name of NAMES) {
    const p = OS_PROFILES[name];
    const [major, minor, build] = p.version;
    assert.match(p.nativeOs, new RegExp(` ${build} Service Pack \\d$`), `${name}: NativeOS carries build ${build}`);
    assert.ok(p.nativeLanMan.endsWith(` ${major}.${minor}`), `${name}: NativeLanMan ends with ${major}.${minor}`);
    assert.equal(p.nativeLanMan.replace(/ \d+\.\d+$/, ''), p.nativeOs.replace(/ \d+ Service Pack \d$/, ''), `${name}: the same edition in both strings`);
    // Vista / 2008 (6.0) speak SMB 2.0.2 only; 7 / 2008 R2 (6.1) add 2.1.
    assert.equal(p.dialect, minor === 0 ? 0x0202 : 0x0210, `${name}: SMB2 dialect of ${major}.${minor}`);
    // KB958644 is in 6.0 SP2 (6002) and in everything from 6.1 on; build 6001 shipped before it.
    assert.equal(p.ms08067, major === 6 && minor === 0 && build === 6001 ? 'vulnerable' : 'patched', `${name}: MS08-067`);
  }
});

test('an install without os only gets a profile MS08-067 and MS17-010 both hit; a file naming an older pick gets one too and keeps the rest', () => {
  assert.ok(OFFERED_PROFILES.length > 0);
  for (const name of OFFERED_PROFILES) assert.equal(OS_PROFILES[name].ms08067, 'vulnerable', name);
  for (let i = 0; i < 20; i++) {
    const id = loadIdentity(join(tempDir(), 'id.json'), { workgroup: 'WORKGROUP' });
    assert.equal(id.ms08067, 'vulnerable');
    assert.deepEqual(id.version, [6, 0, 6001]);
    assert.equal(id.dialect, 0x0202);
  }
  const path = join(tempDir(), 'smb-identity.json');
  const old = { guid: 'ab'.repeat(16), netbios_name: 'WIN-ABCDEFGHIJK', profile: 'windows-7', boot_offset_s: 7200 };
  writeFileSync(path, JSON.stringify(old));
  const id = loadIdentity(path, { workgroup: 'WORKGROUP' }, 1_700_000_000_000);
  assert.equal(id.ms08067, 'vulnerable');
  assert.equal(id.netbiosName, 'WIN-ABCDEFGHIJK');
  assert.equal(Buffer.from(id.guid).toString('hex'), old.guid);
  assert.equal(id.bootTime, 1_700_000_000_000 - 7200 * 1000);
  const kept = JSON.parse(readFileSync(path, 'utf8')) as typeof old;
  assert.ok((OFFERED_PROFILES as string[]).includes(kept.profile), 'the new pick is stored, so it stays across restarts');
  assert.deepEqual({ ...kept, profile: old.profile }, old);
  // A profile named in the config is presented as named.
  const win7 = loadIdentity(path, { workgroup: 'WORKGROUP', os: 'windows-7' });
  assert.equal(win7.nativeOs, 'Windows 7 Professional 7601 Service Pack 1');
  assert.equal(win7.ms08067, 'patched');
});

test('the config accepts exactly the profile names', () => {
  assert.deepEqual([...smbService.shape.os.unwrap().options].sort(), [...NAMES].sort());
});

/** A conformant varying UTF-16 string as NDR lays it out (max, offset, actual, characters, pad to 4). */
function cvString(w: ByteWriter, text: string): ByteWriter {
  const units = Buffer.from(text + '\0', 'utf16le');
  return w.u32le(units.length / 2).u32le(0).u32le(units.length / 2).bytes(units).align(4);
}

/** nmap's smb-vuln-ms08-067 NetprPathCompare arguments. */
const nmapCheck = cvString(cvString(cvString(new ByteWriter(512).u32le(0x50414d4e), '127.0.0.1'), '\\' + 'A'.repeat(39) + '\\..\\n'), '\\n').u32le(1).u32le(0).finish();
/** A NetprPathCanonicalize call (ServerName, PathName, OutbufLen, Prefix, PathType, Flags) whose path is an exploit's. */
const overflowStub = ((): Uint8Array => {
  const w = cvString(new ByteWriter(2048).u32le(0x20000), 'SRV');
  cvString(w, '\\' + 'B'.repeat(300) + '\\..\\..\\').u32le(1000);
  return cvString(w, '\\').u32le(1).u32le(0).finish();
})();

function srvsvc(os: OsProfileName, opnum: number, stub: Uint8Array): { out: ReturnType<typeof handleSrvsvc>; finding: SrvsvcFinding } {
  const identity = loadIdentity(join(tempDir(), 'id.json'), { workgroup: 'WORKGROUP', os });
  const finding: SrvsvcFinding = {};
  const out = handleSrvsvc(opnum, stub, { identity, shares: [], now: () => 0 }, finding);
  return { out, finding };
}

test("MS08-067's paths: build 6001 answers as unpatched, later builds refuse them with WERR_INVALID_NAME; both record the attempt", () => {
  const status = (out: ReturnType<typeof handleSrvsvc>): number => (out.kind === 'reply' ? Buffer.from(out.stub).readUInt32LE(out.stub.length - 4) : -1);
  const open = srvsvc('windows-2008-sp1', 32, nmapCheck);
  assert.equal(status(open.out), WERR.OK, 'the paths compare equal: nmap says VULNERABLE');
  assert.equal(open.finding.exploit?.check, true);
  for (const os of ['windows-2008', 'windows-2008r2', 'windows-7'] as const) {
    const patched = srvsvc(os, 32, nmapCheck);
    assert.equal(status(patched.out), WERR.INVALID_NAME, `${os}: nmap says NOT VULNERABLE`);
    assert.equal(patched.finding.exploit?.name, 'MS08-067');
  }
  const crash = srvsvc('windows-2008-sp1', 31, overflowStub);
  assert.equal(crash.out.kind, 'silent', 'the unpatched worker dies');
  assert.equal(crash.finding.exploit?.check, false);
  const refused = srvsvc('windows-2008r2', 31, overflowStub);
  assert.equal(status(refused.out), WERR.INVALID_NAME, 'a patched build answers');
  assert.equal(refused.finding.exploit?.check, false);
  assert.deepEqual(refused.finding.exploit?.payload, overflowStub, 'the stub is kept for shellcode analysis');
});

test('an identity file cut short (a crash while it was written) or not JSON is made again, as host.json is: start-up goes on', () => {
  for (const text of ['', '{"guid": "abab', 'not json', 'null', '[1,2]']) {
    const path = join(tempDir(), 'smb-identity.json');
    writeFileSync(path, text);
    const id = loadIdentity(path, { workgroup: 'WORKGROUP' }, 1_700_000_000_000);
    assert.match(id.netbiosName, /^WIN-[0-9A-Z]{11}$/, JSON.stringify(text));
    assert.ok(Number.isFinite(id.bootTime) && id.bootTime < 1_700_000_000_000, JSON.stringify(text));
    const kept = JSON.parse(readFileSync(path, 'utf8')) as { netbios_name: string };
    assert.equal(kept.netbios_name, id.netbiosName, 'the new identity is stored');
  }
});

test('an identity file that cannot be written stops start-up with APIARY_DATA_DIR naming it', () => {
  // A directory where the file should be: unreadable as JSON, and not writable as a file (root too).
  const path = join(tempDir(), 'smb-identity.json');
  mkdirSync(path);
  assert.throws(() => loadIdentity(path, { workgroup: 'WORKGROUP' }), (err: Error & { code?: string }) => err.code === 'APIARY_DATA_DIR' && err.message.includes(path) && /data_dir/.test(err.message));
});

test('NetrServerGetInfo 101/102 tell a Server edition from a client one: SV_TYPE_SERVER_NT and the user limit', () => {
  // ServerName NULL, Level.
  const call = (os: OsProfileName, level: number): Buffer => {
    const { out } = srvsvc(os, 21, new ByteWriter(8).u32le(0).u32le(level).finish());
    assert.equal(out.kind, 'reply');
    return Buffer.from((out as { stub: Uint8Array }).stub);
  };
  for (const os of NAMES) {
    const server = OS_PROFILES[os].edition === 'server';
    // Level, referent, then SERVER_INFO_101/102: platform, name ptr, major, minor, type, comment ptr, users, ...
    const type = call(os, 101).readUInt32LE(24);
    assert.equal((type & 0x8000) !== 0, server, `${os}: SV_TYPE_SERVER_NT ${server ? 'set' : 'clear'} (type 0x${type.toString(16)})`);
    const users = call(os, 102).readUInt32LE(32);
    assert.equal(users, server ? 0x01000000 : 20, `${os}: sv102_users`);
  }
  assert.equal(OS_PROFILES['windows-7'].edition, 'workstation');
  assert.equal(OS_PROFILES['windows-2008-sp1'].edition, 'server');
});
