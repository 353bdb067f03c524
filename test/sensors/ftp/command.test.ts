// The FTP command codec: lines, verbs, Telnet bytes, PORT/EPRT arguments; fuzzed input never throws
// and a stream split anywhere decodes to the same commands.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeEprtArg, decodeLine, decodePortArg, encodePasv, MAX_LINE_BYTES, type FtpCommand } from '../../../src/sensors/ftp/command.js';
import { resolvePath } from '../../../src/sensors/ftp/fake-tree.js';

function decodeAll(buf: Buffer): (FtpCommand | string)[] {
  const out: (FtpCommand | string)[] = [];
  let rest = buf;
  for (;;) {
    const r = decodeLine(rest);
    if (r.status === 'incomplete') return out;
    out.push(r.status === 'ok' ? r.command : `malformed: ${r.reason}`);
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

test('PORT and EPRT arguments', () => {
  assert.deepEqual(decodePortArg('127,0,0,1,195,80'), { host: '127.0.0.1', port: 50000 });
  assert.equal(decodePortArg('127,0,0,1,256,80'), undefined);
  assert.equal(decodePortArg('1,2,3'), undefined);
  assert.deepEqual(decodeEprtArg('|1|10.0.0.5|22|'), { host: '10.0.0.5', port: 22 });
  assert.deepEqual(decodeEprtArg('|2|::1|2121|'), { host: '::1', port: 2121 });
  assert.equal(decodeEprtArg('|1|10.0.0.5|99999|'), undefined);
  assert.equal(decodeEprtArg('|3|x|1|'), undefined);
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
      decodeAll(Buffer.from(bytes));
      decodePortArg(Buffer.from(bytes).toString('latin1'));
      decodeEprtArg(Buffer.from(bytes).toString('latin1'));
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
          out.push(r.status === 'ok' ? r.command : `malformed: ${r.reason}`);
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
