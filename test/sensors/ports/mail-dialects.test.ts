// The Postfix and Dovecot reply tables against transcripts recorded from the real Debian 12 daemons
// (test/fixtures/ports/debian12-mail-daemons.json), and bounds on what arbitrary client bytes get.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { answerLines, mailDialect, MAX_MAIL_COMMANDS, MAX_MAIL_LINE_BYTES, openMailSession, type MailDialect } from '../../../src/sensors/ports/mail-dialects.js';
import { DEFAULT_PORT_BANNERS } from '../../../src/config/schema.js';

interface Transcript {
  daemon: string;
  greeting: string;
  sent: string;
  received: string;
  closed: boolean;
}
const transcripts = (JSON.parse(readFileSync(resolve('test/fixtures/ports/debian12-mail-daemons.json'), 'utf8')) as { transcripts: Transcript[] }).transcripts;

/** Commands the real daemons answer in ways the table leaves alone: the listener closes without a reply. */
const UNEMULATED = new Set(['MAIL FROM:<a@b>\r\n', 'STARTTLS\r\n', 'AUTH LOGIN\r\n', 'VRFY root\r\n', 'STLS\r\n', 'a001 STARTTLS x\r\n']);

/** The bytes of SENT in CHUNKS pieces, answered as the listener would: replies joined, and whether it closed. */
function converse(d: MailDialect, chunks: Uint8Array[]): { out: string; closed: boolean; replies: number } {
  const session = openMailSession(d);
  let pending: Uint8Array = new Uint8Array(0);
  let left = MAX_MAIL_COMMANDS;
  let out = '';
  for (const c of chunks) {
    const r = answerLines(session, Buffer.concat([pending, c]), left);
    left -= r.replies.length;
    out += r.replies.join('');
    pending = r.rest;
    if (r.close) return { out, closed: true, replies: MAX_MAIL_COMMANDS - left };
  }
  return { out, closed: false, replies: MAX_MAIL_COMMANDS - left };
}

test('the stock banners name their daemons, other banners none', () => {
  assert.deepEqual(mailDialect(DEFAULT_PORT_BANNERS['25']!), { product: 'postfix', host: 'mail.localdomain', capabilities: '' });
  assert.equal(mailDialect(DEFAULT_PORT_BANNERS['110']!)?.product, 'dovecot-pop3');
  assert.deepEqual(mailDialect(DEFAULT_PORT_BANNERS['143']!), { product: 'dovecot-imap', host: '', capabilities: 'IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ STARTTLS LOGINDISABLED' });
  assert.equal(mailDialect(DEFAULT_PORT_BANNERS['5900']!), undefined);
  assert.equal(mailDialect('220 mx.example.com ESMTP Exim 4.96 Sat, 28 Nov 2026 03:50:19 +0000\r\n'), undefined);
  assert.equal(mailDialect('* OK IMAP4rev1 Service Ready\r\n'), undefined);
});

test('every recorded Postfix and Dovecot transcript is replayed byte for byte', () => {
  assert.equal(transcripts.length, 74);
  for (const t of transcripts) {
    const d = mailDialect(t.greeting);
    assert.equal(d?.product, t.daemon, t.greeting);
    const got = converse(d!, [Buffer.from(t.sent, 'latin1')]);
    const what = `${t.daemon} ${JSON.stringify(t.sent)}`;
    if (UNEMULATED.has(t.sent)) {
      assert.notEqual(t.received, '', what);
      assert.deepEqual(got, { out: '', closed: true, replies: 1 }, what);
      continue;
    }
    assert.equal(got.out, t.received, what);
    assert.equal(got.closed, t.closed, what);
  }
});

test('nmap -sV probes get the replies its Postfix and Dovecot match lines expect', () => {
  // nmap-service-probes 7.93: GenericLines (\r\n\r\n) and GetRequest probes.
  const pop3 = converse(mailDialect(DEFAULT_PORT_BANNERS['110']!)!, [Buffer.from('\r\n\r\n')]);
  assert.match(DEFAULT_PORT_BANNERS['110']! + pop3.out, /^\+OK [^\r\n]*\r\n-ERR Unknown command\.\r\n-ERR Unknown command\.\r\n/);
  const imap = converse(mailDialect(DEFAULT_PORT_BANNERS['143']!)!, [Buffer.from('GET / HTTP/1.0\r\n\r\n')]);
  assert.match(DEFAULT_PORT_BANNERS['143']! + imap.out, /^\* OK .*\r\nGET BAD Error in IMAP command received by server\.\r\n\* BAD Error in IMAP command received by server\.\r\n/);
  const smtp = converse(mailDialect(DEFAULT_PORT_BANNERS['25']!)!, [Buffer.from('GET / HTTP/1.0\r\n\r\n')]);
  assert.match(DEFAULT_PORT_BANNERS['25']! + smtp.out, /^220 .*\r\n221 2\.7\.0 Error: I can break rules, too\. Goodbye\.\r\n/);
});

const dialects = [DEFAULT_PORT_BANNERS['25']!, DEFAULT_PORT_BANNERS['110']!, DEFAULT_PORT_BANNERS['143']!].map((b) => mailDialect(b)!);
/** The longest single reply in the tables (Dovecot's plaintext LOGIN refusal), with room for a long tag. */
const MAX_REPLY_BYTES = 512 + MAX_MAIL_LINE_BYTES;

test('arbitrary client bytes, split anywhere, never throw, get at most MAX_MAIL_COMMANDS bounded replies, and answer as if sent whole', () => {
  const line = fc.oneof(
    fc.uint8Array({ maxLength: 40 }),
    fc.constantFrom('EHLO x', 'HELO x', 'QUIT', 'NOOP', 'CAPA', 'a CAPABILITY', 'a LOGIN u p', 'USER u', '', 'GET / HTTP/1.0', 'a LOGOUT').map((s) => Buffer.from(s)),
  );
  const input = fc.array(fc.tuple(line, fc.constantFrom('\r\n', '\n', '')), { maxLength: 60 }).map((ls) => Buffer.concat(ls.flatMap(([l, end]) => [Buffer.from(l), Buffer.from(end)])));
  fc.assert(
    fc.property(fc.constantFrom(...dialects), input, fc.array(fc.nat(), { maxLength: 4 }), (d, bytes, cuts) => {
      const whole = converse(d, [bytes]);
      assert.ok(whole.replies <= MAX_MAIL_COMMANDS);
      assert.ok(Buffer.byteLength(whole.out, 'latin1') <= whole.replies * MAX_REPLY_BYTES);
      const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
      const pieces = [0, ...at].map((from, i) => bytes.subarray(from, i < at.length ? at[i] : bytes.length));
      const split = converse(d, pieces);
      assert.equal(split.out, whole.out);
    }),
    { numRuns: 2000 },
  );
});

test('a line longer than MAX_MAIL_LINE_BYTES without its end closes; lines past MAX_MAIL_COMMANDS are not answered', () => {
  const d = mailDialect(DEFAULT_PORT_BANNERS['25']!)!;
  assert.equal(answerLines(openMailSession(d), Buffer.alloc(MAX_MAIL_LINE_BYTES + 1, 0x41), MAX_MAIL_COMMANDS).close, true);
  const r = answerLines(openMailSession(d), Buffer.from('NOOP\r\n'.repeat(MAX_MAIL_COMMANDS + 5)), MAX_MAIL_COMMANDS);
  assert.deepEqual([r.replies.length, r.close], [MAX_MAIL_COMMANDS, true]);
});
