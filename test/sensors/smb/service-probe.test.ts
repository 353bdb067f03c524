// nmap -sV without scripts names the Windows behind 445 from one probe alone (SMBProgNeg, an SMB1
// NEGOTIATE without extended security): each profile's reply must match a line of nmap's own
// nmap-service-probes that names the version the profile presents everywhere else.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SmbSession } from '../../../src/sensors/smb/session.js';
import { loadIdentity, OS_PROFILES, type OsProfileName } from '../../../src/sensors/smb/identity.js';
import { encodeNbssFrame } from '../../../src/sensors/smb/codec/netbios.js';
import { UPLOAD_MEMORY } from '../../../src/sensors/runtime/capture.js';
import type { SmbHooks } from '../../../src/sensors/smb/connection.js';
import { tempDir } from '../../helpers/apiary-process.js';

const PROBES = '/usr/share/nmap/nmap-service-probes';

/** nmap's escapes in probe strings and patterns (\0, \xHH, \r, \n, \t, \\ and the delimiter). */
function unescape(s: string): string {
  return s.replace(/\\(x[0-9a-fA-F]{2}|0|r|n|t|\\|.)/g, (_, e: string) =>
    e[0] === 'x' ? String.fromCharCode(parseInt(e.slice(1), 16)) : e === '0' ? '\0' : e === 'r' ? '\r' : e === 'n' ? '\n' : e === 't' ? '\t' : e,
  );
}

/** The SMBProgNeg probe's bytes and its match lines in file order: pattern and product. */
function smbProgNeg(text: string): { probe: Buffer; matches: { re: RegExp; product: string }[] } {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.startsWith('Probe TCP SMBProgNeg '));
  const q = /^Probe TCP SMBProgNeg q\|(.*)\|$/.exec(lines[start]!)![1]!;
  const matches: { re: RegExp; product: string }[] = [];
  for (const l of lines.slice(start + 1)) {
    if (l.startsWith('Probe ')) break;
    const m = /^(?:soft)?match \S+ m(.)/.exec(l);
    if (!m) continue;
    const d = m[1]!;
    const end = l.indexOf(d, m[0].length);
    const flags = /^[a-z]*/.exec(l.slice(end + 1))![0];
    const product = new RegExp(` p(.)(.*?)\\1`).exec(l.slice(end + 1))?.[2] ?? '';
    try {
      matches.push({ re: new RegExp(l.slice(m[0].length, end), flags.includes('i') ? 'si' : 's'), product });
    } catch {
      // A Perl construct JavaScript lacks; no line that names Windows uses one.
    }
  }
  return { probe: Buffer.from(unescape(q), 'latin1'), matches };
}

/** What nmap -sV should call each profile: the same Windows version, or a range that holds it. */
const EXPECTED: Record<OsProfileName, RegExp> = {
  'windows-2008-sp1': /^Microsoft Windows (?:Server )?(?:2003 or )?2008 microsoft-ds$/,
  'windows-2008-sp1-enterprise': /^Microsoft Windows (?:Server )?(?:2003 or )?2008 microsoft-ds$/,
  'windows-2008': /^Microsoft Windows (?:Server )?(?:2003 or )?2008 microsoft-ds$/,
  'windows-2008r2': /^Microsoft Windows Server 2008 R2(?: - 2012)? microsoft-ds$/,
  'windows-7': /^Microsoft Windows 7(?: - 10)? microsoft-ds$/,
};

test("nmap -sV's SMBProgNeg probe names the Windows version each profile presents", { skip: !existsSync(PROBES) && `${PROBES} not installed` }, () => {
  const { probe, matches } = smbProgNeg(readFileSync(PROBES, 'latin1'));
  for (const os of Object.keys(OS_PROFILES) as OsProfileName[]) {
    const identity = loadIdentity(join(tempDir(), 'id.json'), { workgroup: 'WORKGROUP', os });
    const session = new SmbSession(
      { identity, shares: [], maxUploadBytes: 1 << 20, uploadMemory: UPLOAD_MEMORY.account('127.0.0.1'), random: (n) => new Uint8Array(n).fill(7), now: () => 1_700_000_000_000 },
      {} as SmbHooks,
    );
    const out = session.handle(probe.subarray(4));
    assert.equal(out.replies.length, 1, os);
    const reply = Buffer.from(encodeNbssFrame(0, out.replies[0]!)).toString('latin1');
    const hit = matches.find((m) => m.re.test(reply));
    assert.ok(hit, `${os}: some SMBProgNeg line matches`);
    assert.match(hit.product, EXPECTED[os], `${os} (${identity.nativeOs}) is named by nmap -sV as "${hit.product}"`);
  }
});
