// The SIP codec: requests with compact headers and folded lines, TCP framing by Content-Length,
// digest parsing and the crackable $sip$ form; fuzzed and split input never throws and frames the same.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { crackableSipDigest, decodeSip, digestResponse, encodeResponse, header, MAX_DIGEST_KEY_CHARS, MAX_DIGEST_PARAMS, MAX_DIGEST_VALUE_CHARS, MAX_SIP_MESSAGE_BYTES, parseDigest, uriUser } from '../../../src/sensors/sip/codec.js';

const OPTIONS = 'OPTIONS sip:100@10.0.0.1 SIP/2.0\r\nv: SIP/2.0/UDP 198.51.100.7:5070;branch=z9hG4bK-1;rport\r\nf: "sipvicious"<sip:100@1.1.1.1>;tag=6162\r\nt: "sipvicious"<sip:100@1.1.1.1>\r\ni: 1234@1.1.1.1\r\nCSeq: 1 OPTIONS\r\nUser-Agent: friendly-scanner\r\nMax-Forwards: 70\r\nl: 0\r\n\r\n';

test('a scanner OPTIONS decodes, compact names expanded; the response copies the dialog headers', () => {
  const r = decodeSip(Buffer.from(OPTIONS), false);
  assert.equal(r.status, 'ok');
  if (r.status !== 'ok') return;
  assert.equal(r.message.method, 'OPTIONS');
  assert.equal(header(r.message, 'user-agent'), 'friendly-scanner');
  assert.equal(header(r.message, 'call-id'), '1234@1.1.1.1');
  assert.equal(uriUser(header(r.message, 'from')), '100');
  const res = encodeResponse(r.message, 200, 'OK', { toTag: 'abc', received: { address: '198.51.100.7', port: 5070 }, headers: [['Server', 'PBX']] }).toString();
  assert.equal(
    res,
    'SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 198.51.100.7:5070;branch=z9hG4bK-1;rport=5070;received=198.51.100.7\r\nCall-ID: 1234@1.1.1.1\r\nFrom: "sipvicious"<sip:100@1.1.1.1>;tag=6162\r\nTo: "sipvicious"<sip:100@1.1.1.1>;tag=abc\r\nCSeq: 1 OPTIONS\r\nServer: PBX\r\nContent-Length: 0\r\n\r\n',
  );
});

test('TCP framing: two messages in one stream, a body by Content-Length, keep-alive CRLFs', () => {
  const sdp = 'v=0\r\no=- 1 1 IN IP4 1.1.1.1\r\n';
  const invite = `INVITE sip:0044123@pbx SIP/2.0\r\nVia: SIP/2.0/TCP 1.1.1.1\r\nFrom: <sip:2000@pbx>;tag=1\r\nTo: <sip:0044123@pbx>\r\nCall-ID: c1\r\nCSeq: 1 INVITE\r\nContent-Type: application/sdp\r\nContent-Length: ${sdp.length}\r\n\r\n${sdp}`;
  const stream = Buffer.from(`\r\n\r\n${invite}${OPTIONS}`);
  const a = decodeSip(stream, true);
  assert.equal(a.status, 'ok');
  if (a.status !== 'ok') return;
  assert.equal(a.message.body.toString(), sdp);
  assert.equal(uriUser(a.message.uri), '0044123');
  const b = decodeSip(stream.subarray(a.consumed), true);
  assert.equal(b.status === 'ok' && b.message.method, 'OPTIONS');
  assert.equal(decodeSip(Buffer.from(invite.slice(0, -3)), true).status, 'incomplete');
});

test('digest: parsed, verified against a known password, and written in the $sip$ form', () => {
  const nonce = '4f7a1c';
  const d = { username: '1000', realm: 'asterisk', password: '1234', method: 'REGISTER', uri: 'sip:10.0.0.1', nonce };
  const response = digestResponse(d);
  const parsed = parseDigest(`Digest username="1000",realm="asterisk",nonce="${nonce}",uri="sip:10.0.0.1",response="${response}",algorithm=MD5`)!;
  assert.equal(parsed.response, response);
  assert.equal(crackableSipDigest(parsed, 'REGISTER', '10.0.0.1', '198.51.100.7'), `$sip$*10.0.0.1*198.51.100.7*1000*asterisk*REGISTER*sip*10.0.0.1**${nonce}****MD5*${response}`);
  const qop = digestResponse({ ...d, qop: 'auth', nc: '00000001', cnonce: 'xyz' });
  assert.notEqual(qop, response);
  assert.equal(parseDigest('Basic Zm9vOmJhcg=='), undefined);
  assert.deepEqual(parseDigest('digest  Username = "a\\"b, c" ,REALM=x,, junk, nonce=""'), { username: 'a"b, c', realm: 'x', nonce: '' });
  // A parameter named __proto__ is a parameter like any other (found by the property below).
  const proto = parseDigest('Digest __proto__="x", username=u')!;
  assert.equal(Object.getPrototypeOf(proto), Object.prototype);
  assert.deepEqual(Object.entries(proto), [['__proto__', 'x'], ['username', 'u']]);
});

test('digest parameters written any way come back as written; hostile headers are cut, in one pass', { timeout: 60_000 }, () => {
  const key = fc.stringMatching(/^[A-Za-z0-9_-]{1,32}$/);
  const quoted = fc.string({ maxLength: 40 });
  fc.assert(
    fc.property(fc.uniqueArray(fc.tuple(key, quoted, fc.boolean()), { maxLength: 10, selector: ([k]) => k.toLowerCase() }), (pairs) => {
      const text = `Digest ${pairs.map(([k, v, q]) => (q ? `${k}="${v.replace(/["\\]/g, '\\$&')}"` : `${k}=${v.replace(/[\s,"]/g, '') || 'x'}`)).join(', ')}`;
      const expected = Object.fromEntries(pairs.map(([k, v, q]) => [k.toLowerCase(), q ? v : v.replace(/[\s,"]/g, '') || 'x']));
      assert.deepEqual(parseDigest(text), expected);
    }),
  );
  // Not timed: the old pattern took about 0.1 s for one such 16 KB header and a minute for these.
  for (const junk of ['a='.repeat(8000), `x="${'\\'.repeat(16_000)}`, `${'k'.repeat(16_000)}=${'v'.repeat(16_000)}`]) {
    for (let i = 0; i < 300; i++) parseDigest(`Digest ${junk}`);
  }
  const d = parseDigest(`Digest ${'k'.repeat(100)}=${'v'.repeat(5000)}, ${Array.from({ length: 100 }, (_, i) => `p${i}=1`).join(',')}`)!;
  assert.equal(d['k'.repeat(MAX_DIGEST_KEY_CHARS)], 'v'.repeat(MAX_DIGEST_VALUE_CHARS));
  assert.equal(Object.keys(d).length, MAX_DIGEST_PARAMS);
});

test('fuzzed input never throws; a stream split anywhere frames the same messages', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 1500 }), fc.boolean(), (bytes, stream) => {
      const r = decodeSip(Buffer.from(bytes), stream);
      // In a stream every verdict consumes bytes, so a decoding loop always progresses.
      if (r.status !== 'incomplete') assert.ok((!stream || r.consumed > 0) && r.consumed <= bytes.length);
      parseDigest(Buffer.from(bytes).toString('latin1'));
      uriUser(Buffer.from(bytes).toString('latin1'));
    }),
    { numRuns: 3000 },
  );
  fc.assert(
    fc.property(fc.array(fc.constantFrom(OPTIONS, 'BYE sip:x SIP/2.0\r\nl: 4\r\n\r\nabcd', 'REGISTER sip:y SIP/2.0\r\nContent-Length: 0\r\n\r\n'), { minLength: 1, maxLength: 5 }), fc.nat(), (msgs, cutAt) => {
      const whole = Buffer.from(msgs.join(''));
      const frames = (chunks: Buffer[]): string[] => {
        const out: string[] = [];
        let buf: Buffer = Buffer.alloc(0);
        for (const c of chunks) {
          buf = Buffer.concat([buf, c]);
          for (let r = decodeSip(buf, true); r.status !== 'incomplete'; r = decodeSip(buf, true)) {
            out.push(r.status === 'ok' ? `${r.message.method}:${r.message.body.length}` : `bad:${r.reason}`);
            buf = buf.subarray(r.consumed);
            if (buf.length === 0) break;
          }
        }
        return out;
      };
      const cut = cutAt % (whole.length + 1);
      assert.deepEqual(frames([whole.subarray(0, cut), whole.subarray(cut)]), frames([whole]));
    }),
    { numRuns: 1000 },
  );
  assert.equal(decodeSip(Buffer.alloc(MAX_SIP_MESSAGE_BYTES + 10, 0x41), true).status, 'malformed');
});
