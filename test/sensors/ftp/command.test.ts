// The FTP command codec: lines, verbs, Telnet bytes, and the arguments vsftpd 3.0.3 parses itself
// (PORT, EPRT, EPSV, REST, LIST filters) with its C rules; the listing format; fuzzed input never
// throws and a stream split anywhere decodes to the same commands.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { atoi, decodeEprtArg, decodeEpsvArg, decodeLine, decodePortArg, decodeRestArg, encodePasv, filterMatches, MAX_LINE_BYTES, type FtpCommand } from '../../../src/sensors/ftp/command.js';
import { listDate, listLine, resolvePath, resolveTilde } from '../../../src/sensors/ftp/fake-tree.js';
import { failureDelayMs } from '../../../src/sensors/ftp/sensor.js';

function decodeAll(buf: Buffer): (FtpCommand | string)[] {
  const out: (FtpCommand | string)[] = [];
  let rest = buf;
  for (;;) {
    const r = decodeLine(rest);
    if (r.status === 'incomplete') return out;
    out.push(r.status === 'ok' ? r.command : r.status === 'empty' ? 'empty' : `malformed: ${r.reason}`);
    rest = rest.subarray(r.consumed);
  }
}

test('command lines: verb upper-cased, argument kept, CRLF or LF, Telnet IAC removed', () => {
  assert.deepEqual(decodeLine(Buffer.from('user anonymous\r\n')), { status: 'ok', command: { verb: 'USER', arg: 'anonymous', raw: 'user anonymous' }, consumed: 16 });
  assert.deepEqual(decodeAll(Buffer.from('PASS a b \r\nPWD\nLIST -la\r\n')).map((c) => (typeof c === 'string' ? c : [c.verb, c.arg])), [['PASS', 'a b '], ['PWD', ''], ['LIST', '-la']]);
  assert.deepEqual(decodeAll(Buffer.from([0xff, 0xf4, 0xff, 0xf2, ...Buffer.from('ABOR\r\n')])).map((c) => (typeof c === 'string' ? c : c.verb)), ['ABOR']);
  assert.equal(decodeLine(Buffer.from('USER x')).status, 'incomplete');
  // Binary is malformed; a verb-shaped word parses (the session answers "500 Unknown command.").
  assert.deepEqual(decodeAll(Buffer.from('\x16\x03\x01\r\nGET / HTTP/1.1\r\n')), ['malformed: not an FTP verb', { verb: 'GET', arg: '/ HTTP/1.1', raw: 'GET / HTTP/1.1' }]);
  const long = decodeLine(Buffer.alloc(MAX_LINE_BYTES + 10, 0x41));
  assert.equal(long.status, 'malformed');
});

test('line ends and limits as vsftpd reads them: every CR before the LF dropped, empty lines apart, 4096 bytes with the LF at most, NUL as LF', () => {
  assert.deepEqual(decodeAll(Buffer.from('\r\n\n\r\r\nNOOP\r\r\n')), ['empty', 'empty', 'empty', { verb: 'NOOP', arg: '', raw: 'NOOP' }]);
  const line = (n: number, end: string): Buffer => Buffer.from(`USER ${'a'.repeat(n - 5 - end.length)}${end}`);
  assert.equal(decodeLine(line(MAX_LINE_BYTES, '\n')).status, 'ok');
  assert.equal(decodeLine(line(MAX_LINE_BYTES, '\r\n')).status, 'ok');
  assert.deepEqual(decodeLine(line(MAX_LINE_BYTES + 1, '\r\n')), { status: 'malformed', reason: 'command line too long', consumed: MAX_LINE_BYTES + 1 });
  assert.equal(decodeLine(Buffer.alloc(MAX_LINE_BYTES - 1, 0x41)).status, 'incomplete');
  assert.equal(decodeLine(Buffer.alloc(MAX_LINE_BYTES, 0x41)).status, 'malformed', 'no LF in 4096 bytes: too long at once');
  assert.deepEqual(decodeLine(Buffer.from('USER a\0b\r\n')), { status: 'ok', command: { verb: 'USER', arg: 'a\nb', raw: 'USER a\nb' }, consumed: 10 });
  // Upper-casing is ASCII only: a non-ASCII letter never turns into a verb.
  assert.equal(decodeLine(Buffer.from('stoß\r\n')).status, 'malformed');
  assert.equal((decodeLine(Buffer.from('p@sw\r\n')) as { command: FtpCommand }).command.verb, 'P@SW');
});

test('atoi() as glibc has it: white space, sign, digits to the first other character, clamped to long, cut to int', () => {
  assert.equal(atoi(' 127'), 127);
  assert.equal(atoi('\t-5x'), -5);
  assert.equal(atoi('1x'), 1);
  assert.equal(atoi('x1'), 0);
  assert.equal(atoi(''), 0);
  assert.equal(atoi('4294968321'), 1025, 'long 4294968321 cut to an int');
  assert.equal(atoi('99999999999999999999'), -1, 'clamped to LONG_MAX, whose low 32 bits are -1');
});

test('PORT, EPRT, EPSV and REST arguments as vsftpd 3.0.3 reads them', () => {
  assert.deepEqual(decodePortArg(' 127,0,0,01,4,1x'), { host: '127.0.0.1', port: 1025 });
  assert.equal(decodePortArg('127,0,0,1,4,1,5'), undefined, 'seven fields');
  assert.deepEqual(decodePortArg('127,0,0,1,,4'), { host: '127.0.0.1', port: 4 }, 'an empty field reads 0 (a privileged port: the session refuses it)');
  assert.equal(decodePortArg('127,0,0,1,4,'), undefined, 'an empty last field is one comma too many');
  assert.deepEqual(decodePortArg('a,b,c,d,e,f'), { host: '0.0.0.0', port: 0 }, 'atoi() reads 0: the session then refuses the host');
  assert.deepEqual(decodeEprtArg('|1|127.0.0.1|1025', true), { ok: true, proto: 1, host: '127.0.0.1', port: 1025 }, 'the last "|" may be missing');
  assert.deepEqual(decodeEprtArg('|2|::1|2000|', false), { ok: false, reply: 'Bad EPRT protocol.' }, 'IPv6 needs an IPv6 control connection');
  assert.deepEqual(decodeEprtArg('', true), { ok: false, reply: 'Bad EPRT protocol.' });
  assert.deepEqual(decodeEprtArg('!1!127.0.0.1!1025!', true), { ok: false, reply: 'Bad EPRT command.' }, '"|" is the only delimiter');
  assert.deepEqual(decodeEprtArg('|1|127.0.0.1|1025|x', true), { ok: false, reply: 'Bad EPRT command.' });
  assert.deepEqual(decodeEprtArg('|1|127.0.0|1025|', true), { ok: false, reply: 'Bad EPRT command.' });
  assert.deepEqual(decodeEprtArg('|2|fe80::1%eth0|1025|', true), { ok: false, reply: 'Bad EPRT command.' });
  assert.deepEqual([decodeEpsvArg('', true), decodeEpsvArg('all', true), decodeEpsvArg('1x', true), decodeEpsvArg('2', true), decodeEpsvArg('2', false), decodeEpsvArg('3', true)], ['ok', 'all', 'ok', 'ok', 'bad', 'bad']);
  assert.deepEqual(['100', '', 'abc', '12abc', ' 5', '999999999999999', '9999999999999999', '00012'].map(decodeRestArg), [100, 0, 0, 0, 0, 999999999999999, 0, 12]);
});

test('LIST filters match as vsftpd\'s own matcher does, quirks included', () => {
  assert.ok(filterMatches('router-config.txt', '*.txt'));
  assert.ok(!filterMatches('users.csv', '*.txt'));
  assert.ok(filterMatches('README', 'R?ADME'));
  assert.ok(filterMatches('firmware', 'fir*'));
  assert.ok(!filterMatches('a.txt.txt', '*.txt'), 'a run is matched at its first place and never revisited');
  assert.ok(!filterMatches('READMEx', 'README'));
  fc.assert(
    fc.property(fc.string({ maxLength: 300 }), fc.string({ maxLength: 300 }), (name, filter) => {
      filterMatches(name, filter);
    }),
    { numRuns: 2000 },
  );
});

test('listing lines as vsftpd writes them: numeric ids, padding, the day zero-padded, the year after half a year or in the future', () => {
  const now = new Date('2026-11-27T12:00:00Z');
  const st = { kind: 'dir' as const, mode: 'drwxr-xr-x', links: 3, uid: 0, gid: 0, size: 4096, mtime: new Date('2023-11-20T09:14:00Z') };
  assert.equal(listLine('pub', st, now), 'drwxr-xr-x    3 0        0            4096 Nov 20  2023 pub');
  assert.equal(listLine('x', { ...st, kind: 'file', mode: '-rw-------', links: 1, uid: 104, gid: 106, size: 18 }, now), '-rw-------    1 104      106            18 Nov 20  2023 x');
  assert.equal(listDate(new Date('2026-11-01T08:05:00Z'), now), 'Nov 01 08:05');
  assert.equal(listDate(new Date('2026-12-01T08:05:00Z'), now), 'Dec 01  2026');
  assert.equal(listDate(new Date(now.getTime() - 182 * 86_400_000), now), 'May 29 12:00');
  assert.equal(listDate(new Date(now.getTime() - 182 * 86_400_000 - 1000), now), 'May 29  2026');
  assert.equal(resolveTilde('~/pub'), '//pub');
  assert.equal(resolveTilde('~bob'), '~bob');
});

test('the failed-login pause spreads 15% either way of its base', () => {
  assert.deepEqual([failureDelayMs(3300, 0), failureDelayMs(3300, 0.5), failureDelayMs(3300, 0.999999)], [2805, 3300, 3795]);
  assert.equal(failureDelayMs(0, 0.7), 0);
});

test('PORT and EPRT arguments', () => {
  assert.deepEqual(decodePortArg('127,0,0,1,195,80'), { host: '127.0.0.1', port: 50000 });
  assert.equal(decodePortArg('127,0,0,1,256,80'), undefined);
  assert.equal(decodePortArg('1,2,3'), undefined);
  assert.deepEqual(decodeEprtArg('|1|10.0.0.5|22|', false), { ok: true, proto: 1, host: '10.0.0.5', port: 22 });
  assert.deepEqual(decodeEprtArg('|2|::1|2121|', true), { ok: true, proto: 2, host: '::1', port: 2121 });
  assert.deepEqual(decodeEprtArg('|1|10.0.0.5|99999|', true), { ok: false, reply: 'Bad EPRT command.' });
  assert.deepEqual(decodeEprtArg('|3|x|1|', true), { ok: false, reply: 'Bad EPRT protocol.' });
  assert.equal(encodePasv('127.0.0.1', 50000), '127,0,0,1,195,80');
});

test('paths never resolve above the root', () => {
  assert.equal(resolvePath('/pub', '../../../etc/passwd'), '/etc/passwd');
  assert.equal(resolvePath('/', '..'), '/');
  assert.equal(resolvePath('/pub', 'firmware/./x'), '/pub/firmware/x');
  fc.assert(fc.property(fc.string({ maxLength: 200 }), fc.string({ maxLength: 50 }), (arg, cwd) => {
    const p = resolvePath(`/${cwd.replace(/\.\./g, '')}`, arg);
    if (p !== undefined) assert.ok(p.startsWith('/') && !p.split('/').includes('..'));
  }));
});

test('fuzzed bytes never throw, and a stream split at any point decodes the same', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
      const text = Buffer.from(bytes).toString('latin1');
      decodeAll(Buffer.from(bytes));
      decodePortArg(text);
      decodeEprtArg(text, true);
      decodeEprtArg(text, false);
      decodeEpsvArg(text, true);
      decodeRestArg(text);
      atoi(text);
    }),
    { numRuns: 3000 },
  );
  const session = fc.array(fc.tuple(fc.constantFrom('USER', 'PASS', 'LIST', 'RETR', 'STOR', 'PORT', 'EPRT', 'xyzzy', 'CWD'), fc.string({ maxLength: 40 }).map((s) => s.replace(/[\r\n]/g, ''))), { maxLength: 10 });
  fc.assert(
    fc.property(session, fc.nat(), (cmds, cutAt) => {
      const whole = Buffer.from(cmds.map(([v, a]) => `${v} ${a}\r\n`).join(''));
      const cut = cutAt % (whole.length + 1);
      // Feeding the stream in two pieces (as TCP may deliver it) gives the same commands.
      const first = whole.subarray(0, cut);
      const out: (FtpCommand | string)[] = [];
      let pending: Buffer = Buffer.from(first);
      for (const piece of [whole.subarray(cut)]) {
        let r = decodeLine(pending);
        while (r.status !== 'incomplete') {
          out.push(r.status === 'ok' ? r.command : r.status === 'empty' ? 'empty' : `malformed: ${r.reason}`);
          pending = pending.subarray(r.consumed);
          r = decodeLine(pending);
        }
        pending = Buffer.concat([pending, piece]);
      }
      out.push(...decodeAll(pending));
      assert.deepEqual(out, decodeAll(whole));
    }),
    { numRuns: 1000 },
  );
});
