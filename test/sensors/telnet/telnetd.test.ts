// Debian 12's telnetd negotiation, byte for byte. Every expected byte string below was captured with
// a raw node socket from the real daemon: Debian 12 inetutils-telnetd 2:2.4-2+deb12u3 (the `telnetd`
// package), run as inetd does (socat ... EXEC:/usr/sbin/telnetd,nofork on 127.0.0.1), with login(1)
// from Debian 12's login package behind it. The client side is the bytes each client sent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { TelnetDecoder } from '../../../src/sensors/telnet/codec.js';
import { DebianTelnetd } from '../../../src/sensors/telnet/telnetd.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

/** Feeds the client's bytes through the decoder into the negotiation; returns what telnetd sends back. */
function feed(t: DebianTelnetd, client: string): string {
  const out: Buffer[] = [];
  for (const ev of new TelnetDecoder().feed(hex(client))) out.push(t.receive(ev));
  out.push(t.settle());
  return Buffer.concat(out).toString('hex');
}

// First segment: WILL AUTHENTICATION, WILL ENCRYPT, DO TTYPE, DO TSPEED, DO XDISPLOC, DO NEW-ENVIRON, DO ENVIRON.
const FIRST = 'fffb25fffb26fffd18fffd20fffd23fffd27fffd24';
// Phase 3: WILL SGA, DO ECHO, DO LINEMODE, DO NAWS, WILL STATUS, DO LFLOW.
const OPTIONS = 'fffb03fffd01fffd22fffd1ffffb05fffd21';

test('first bytes: WILL AUTH, WILL ENCRYPT and five DOs, then nothing until they are answered', () => {
  const t = new DebianTelnetd();
  assert.equal(t.start().toString('hex'), FIRST);
  // nmap's NULL probe and banner grabbers that answer nothing get only these 21 bytes.
  assert.equal(t.phase, 'terminal');
});

test('a Mirai-style client (DO->WONT, WILL->DO, WILL NAWS 80x24) gets the options, then WILL ECHO, DO TM, DO BINARY', () => {
  const t = new DebianTelnetd();
  t.start();
  // Mirai's scanner turns every DO into WONT and every WILL into DO.
  assert.equal(feed(t, 'fffd25fffd26fffc18fffc20fffc23fffc27fffc24'), OPTIONS);
  assert.equal(t.phase, 'options');
  assert.equal(feed(t, 'fffd03fffc01fffc22fffb1ffffa1f00500018fff0fffd05fffc21'), '');
  assert.equal(t.phase, 'ready');
  assert.equal(t.burst().toString('hex'), 'fffb01fffd06fffd00');
  // Its answers to those (DO ECHO, WONT TM, WONT BINARY) draw nothing more.
  assert.equal(feed(t, 'fffd01fffc06fffc00'), '');
  assert.ok(t.echoing);
  // IAC SB STATUS SEND after that (captured at the login prompt): WILL ECHO, SGA, STATUS, AUTH, ENCRYPT and DO NAWS.
  assert.equal(feed(t, 'fffa0501fff0'), 'fffa0500fb01fb03fb05fd1ffb25fb26fff0');
});

test('a client refusing everything is offered SGA and ECHO again when WONT TM arrives', () => {
  const t = new DebianTelnetd();
  t.start();
  assert.equal(feed(t, 'fffe25fffe26fffc18fffc20fffc23fffc27fffc24'), OPTIONS);
  assert.equal(feed(t, 'fffe03fffc01fffc22fffc1ffffe05fffc21'), '');
  assert.equal(t.phase, 'ready');
  assert.equal(t.burst().toString('hex'), 'fffb01fffd06fffd00');
  // Real telnetd: "[WILL SGA][WILL ECHO]vm login: " after the host line.
  assert.equal(feed(t, 'fffe01fffc06fffc00'), 'fffb03fffb01');
  assert.equal(feed(t, 'fffe03fffe01'), '');
  assert.ok(!t.echoing);
});

test('the inetutils telnet client: subnegotiation requests, real linemode, LFLOW and the SLC answer', () => {
  const t = new DebianTelnetd();
  t.start();
  // telnet 2.4: DO AUTH, DO ENCRYPT, SB ENCRYPT SUPPORT, WILL TTYPE, WILL TSPEED, WONT XDISPLOC, WILL NEW-ENVIRON, WONT ENVIRON.
  assert.equal(feed(t, 'fffd25fffd26fffa2601fff0fffb18fffb20fffc23fffb27fffc24'), 'fffa2001fff0fffa2701fff0fffa1801fff0');
  assert.equal(t.phase, 'subneg');
  assert.equal(feed(t, 'fffa200033383430302c3338343030fff0fffa2700fff0fffa1800544d55582d323536434f4c4f52fff0'), OPTIONS);
  assert.equal(t.terminalType, 'tmux-256color');
  // WILL LINEMODE with its SLC list, WILL NAWS 100x30, DO STATUS, WILL LFLOW: MODE EDIT|TRAPSIG and telnetd's stray NUL.
  const slc = 'fffa220301000003620304020f05000007621c08020409421a0a027f0b02150c02170d02120e02160f0211100213110000120000fff0';
  assert.equal(feed(t, `fffd03fffc01fffb22${slc}fffb1ffffa1f0064001efff0fffd05fffb21`), 'fffa220103fff000');
  assert.equal(t.phase, 'ready');
  assert.equal(feed(t, 'fffa220107fff0'), '');
  assert.equal(
    t.burst().toString('hex'),
    'fffa2103fff000' + 'fffb01' + 'fffd00' + 'fffe22' + 'fffa220303e20304820f07e21c08820409c21a0a827f0b82150c82170d82120e82160f8211108213fff0',
  );
});

test('a client agreeing to both NEW-ENVIRON and ENVIRON stalls as the real daemon does, until an ENVIRON reply', () => {
  const t = new DebianTelnetd();
  t.start();
  assert.equal(feed(t, 'fffd25fffd26fffb18fffb20fffb23fffb27fffb24'), 'fffa2001fff0fffa2301fff0fffa2701fff0fffa1801fff0');
  assert.equal(feed(t, 'fffa200033383430302c3338343030fff0fffa2300686f73743a30fff0fffa2700005553455201626f62fff0fffa1800585445524dfff0'), '');
  assert.equal(t.phase, 'subneg');
  assert.equal(feed(t, 'fffa2400fff0'), OPTIONS);
  // Agreeing to everything: WILL ECHO is turned down (DONT ECHO) in the last settling, no DO TM in real linemode.
  assert.equal(feed(t, 'fffd03fffb01fffb22fffb1ffffa1f00500018fff0fffd05fffb21'), 'fffa220103fff000');
  assert.equal(t.burst().toString('hex'), 'fffa2103fff000fffe01fffb01fffd00fffe22');
});

test('an unanswered WILL ENCRYPT holds telnetd in phase 1; an unanswered WILL AUTHENTICATION does not', () => {
  const t = new DebianTelnetd();
  t.start();
  assert.equal(feed(t, 'fffc18fffc20fffc23fffc27fffc24fffe25'), '');
  assert.equal(feed(t, 'fffe26'), OPTIONS);
});

test('options a client offers first are answered in telnetd order; unknown options are refused', () => {
  const t = new DebianTelnetd();
  const first = t.start().toString('hex');
  // Sent at connect: WILL NAWS, DO ECHO, DO SGA, WILL LINEMODE, DO 200, WILL 200, WILL TTYPE.
  const answer = feed(t, 'fffb1ffffd01fffd03fffb22fffdc8fffbc8fffb18');
  assert.equal(first + answer, FIRST + 'fffd1ffffb01fffb03fffd22fffa220110fff000' + 'fffcc8fffec8');
  // Then the Mirai answers to the first segment: WONT TTYPE after WILL TTYPE draws DONT TTYPE.
  assert.equal(feed(t, 'fffd25fffd26fffc18fffc20fffc23fffc27fffc24fffb1ffffa1f00500018fff0fffd01fffd03fffc22'), 'fffe18fffe22fffd01fffd22fffb05fffd21');
  assert.equal(feed(t, 'fffe22fffc01fffc22fffd05fffc21'), '');
  assert.equal(t.phase, 'ready');
  assert.equal(t.burst().toString('hex'), 'fffd00');
});

test('nmap tn3270 probe: EOR refused both ways, BINARY agreed both ways', () => {
  const t = new DebianTelnetd();
  t.start();
  assert.equal(feed(t, 'fffb18fffa180049424d2d333237392d342d45fff0fffb19fffd19fffb00fffd00'), 'fffe19fffc19fffd00fffb00');
  assert.equal(t.phase, 'terminal');
});

test('an unknown terminal type is asked for once more; a known one (any case) is not', () => {
  const t = new DebianTelnetd();
  t.start();
  assert.equal(feed(t, 'fffd25fffd26fffb18fffc20fffc23fffc27fffc24'), 'fffa1801fff0');
  assert.equal(feed(t, 'fffa1800464f4f424152fff0'), 'fffa1801fff0');
  assert.equal(feed(t, 'fffa1800464f4f424152fff0'), OPTIONS);
  const k = new DebianTelnetd();
  k.start();
  feed(k, 'fffd25fffd26fffb18fffc20fffc23fffc27fffc24');
  assert.equal(feed(k, 'fffa18005654313030fff0'), OPTIONS);
  assert.equal(k.terminalType, 'vt100');
});

test('DO TM is answered WILL TM every time; DO LOGOUT is answered WILL LOGOUT and ends the session', () => {
  const t = new DebianTelnetd();
  t.start();
  assert.equal(feed(t, 'fffd06'), 'fffb06');
  assert.equal(feed(t, 'fffd06'), 'fffb06');
  assert.equal(feed(t, 'fffd12'), 'fffb12');
  assert.ok(t.loggedOut);
});

test('property: any option traffic never throws and every answer is whole IAC commands', () => {
  const opt = fc.tuple(fc.constantFrom(251, 252, 253, 254), fc.integer({ min: 0, max: 255 })).map(([v, o]) => [255, v, o]);
  const sub = fc.tuple(fc.integer({ min: 0, max: 255 }), fc.uint8Array({ maxLength: 20 })).map(([o, d]) => [255, 250, o, ...[...d].filter((b) => b !== 255), 255, 240]);
  fc.assert(
    fc.property(fc.array(fc.oneof(opt, sub), { maxLength: 60 }), (parts) => {
      const t = new DebianTelnetd();
      t.start();
      for (const p of parts) {
        const out = feed(t, Buffer.from(p).toString('hex'));
        assert.ok(out === '' || out.startsWith('ff'));
      }
      if (t.phase === 'ready') assert.ok(t.burst().length >= 3);
    }),
    { numRuns: 1000 },
  );
});
