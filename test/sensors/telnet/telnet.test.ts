// The Telnet sensor with real and scripted clients: the `telnet` tool in a tmux pty, and a
// Mirai-style bot that negotiates options the way Mirai's scanner does and walks its whole
// loader sequence (enable, system, shell, sh, busybox checks, /proc/mounts, echo dropper).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { startApiaryProcess } from '../../helpers/apiary-process.js';
import { TmuxSession } from '../../helpers/tmux.js';
import { decodeTelnet, encodeOption, encodeSub, OPT } from '../../../src/sensors/telnet/codec.js';

const TELNET_CONFIG = {
  auth: [
    { user: 'root', password: 'xc3511' },
    { user: 'admin', password: 'admin' },
  ],
  services: { telnet: { listen: ['127.0.0.1:0'], failure_delay_ms: 50 } },
  shell: { seed: 'telnet-test', hostname: 'cam-gw' },
};

test('the telnet client logs in through the login prompt and gets the shell; NAWS, TTYPE and a failed login are recorded', async () => {
  const apiary = await startApiaryProcess({ sensor: 'telnet-real', ...TELNET_CONFIG, services: { telnet: { ...TELNET_CONFIG.services.telnet, max_auth_tries: 3 } } });
  const tmux = new TmuxSession(`telnet 127.0.0.1 ${apiary.ports.telnet}`, { width: 100, height: 30 });
  try {
    await tmux.waitFor(/^Linux 6\.1\.0-\d+-amd64 \(cam-gw\.[a-z.]+\) \(pts\/1\)\n+cam-gw login: $/m);
    await tmux.line('root', /Password: $/m);
    await tmux.line('wrong', /Login incorrect\ncam-gw login: $/m);
    await tmux.line('root', /Password: $/m);
    await tmux.line('xc3511', /root@cam-gw:~# $/m);
    const s = await tmux.line('uname -n; echo $TERM; id', /uid=0\(root\)[^\n]*\nroot@cam-gw:~# $/m);
    assert.match(s, /Linux cam-gw 6\.1\.0/);
    assert.match(s, /^cam-gw\n\S+\nuid=0/m);
    assert.doesNotMatch(s, /xc3511/, 'the password is not echoed');
    tmux.type('exit');
    tmux.key('Enter');
    await tmux.waitFor(() => tmux.paneDead() || /Connection closed by foreign host/.test(tmux.screen()), 10_000);
    await apiary.stop();
    const events = (await apiary.events()).filter((e) => e.protocol === 'telnet');
    assert.deepEqual(events.filter((e) => e.type === 'auth.attempt').map((e) => [e.username, e.password, e.success]), [
      ['root', 'wrong', false],
      ['root', 'xc3511', true],
    ]);
    const size = events.find((e) => e.type === 'client.size');
    assert.deepEqual([size?.width, size?.height], [100, 30]);
    assert.deepEqual(events.filter((e) => e.type === 'command.input').map((e) => e.input), ['uname -n; echo $TERM; id', 'exit']);
  } finally {
    tmux.kill();
    await apiary.stop();
  }
});

/** A bot client: answers DO NAWS with WILL NAWS + its size, refuses everything else, as Mirai does. */
class Bot {
  private buf = '';
  private waiters: { re: RegExp; resolve: (s: string) => void }[] = [];
  readonly sock: Socket;
  constructor(port: number) {
    this.sock = connect(port, '127.0.0.1');
    this.sock.on('data', (chunk: Buffer) => {
      for (const ev of decodeTelnet(chunk).events) {
        if (ev.kind === 'option') {
          if (ev.verb === 'do' && ev.option === OPT.NAWS) this.sock.write(Buffer.concat([encodeOption('will', OPT.NAWS), encodeSub(OPT.NAWS, Buffer.from([0, 80, 0, 24]))]));
          else if (ev.verb === 'do') this.sock.write(encodeOption('wont', ev.option));
          else if (ev.verb === 'will') this.sock.write(encodeOption('do', ev.option));
        } else if (ev.kind === 'data') this.buf += ev.data.toString('latin1');
      }
      this.check();
    });
  }
  private check(): void {
    for (const w of [...this.waiters]) {
      const m = w.re.exec(this.buf);
      if (m) {
        const upto = this.buf.slice(0, m.index + m[0].length);
        this.buf = this.buf.slice(m.index + m[0].length);
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve(upto);
      }
    }
  }
  expect(re: RegExp, ms = 10_000): Promise<string> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`bot did not see ${re} in: ${JSON.stringify(this.buf.slice(-300))}`)), ms);
      this.waiters.push({ re, resolve: (s) => (clearTimeout(t), resolve(s)) });
      this.check();
    });
  }
  send(line: string): void {
    this.sock.write(`${line}\r\n`);
  }
}

test('a Mirai-style bot gets through its whole sequence: login, enable/system/shell/sh, busybox checks, mounts, echo dropper', async () => {
  const apiary = await startApiaryProcess({ sensor: 'telnet-mirai', ...TELNET_CONFIG });
  const bot = new Bot(apiary.ports.telnet!);
  try {
    await bot.expect(/login: /i);
    bot.send('root');
    await bot.expect(/assword: /);
    bot.send('xc3511');
    await bot.expect(/[#$>] $/);
    for (const cmd of ['enable', 'system', 'shell', 'sh']) bot.send(cmd);
    bot.send('/bin/busybox ECCHI');
    await bot.expect(/ECCHI: applet not found/);
    bot.send('cat /proc/mounts; /bin/busybox ECCHI');
    const mounts = await bot.expect(/ECCHI: applet not found/);
    assert.match(mounts, /^\/dev\/(vda1|sda1) \/ ext4 rw/m);
    assert.match(mounts, /^tmpfs \/dev\/shm tmpfs /m);
    bot.send('cd /dev/shm; cat .s || cp /bin/echo .s; /bin/busybox ECCHI');
    await bot.expect(/ECCHI: applet not found/);
    bot.send('tftp; wget; /bin/busybox ECCHI');
    const tools = await bot.expect(/ECCHI: applet not found/);
    assert.match(tools, /Usage: tftp|wget: missing URL/);
    bot.send('dd bs=52 count=1 if=.s || cat .s || while read i; do echo $i; done < .s; /bin/busybox ECCHI');
    const elf = await bot.expect(/ECCHI: applet not found/);
    // The loader reads the ELF header of /bin/echo to pick its binary: it must say x86-64 little endian.
    const at = elf.indexOf('\x7fELF');
    assert.ok(at >= 0, 'the ELF header came back');
    assert.deepEqual([elf.charCodeAt(at + 4), elf.charCodeAt(at + 5), elf.charCodeAt(at + 18)], [2, 1, 0x3e]);
    const dropper = [0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01, 0x00, ...Buffer.from('mirai-stage')];
    const hex = dropper.map((b) => `\\x${b.toString(16).padStart(2, '0')}`).join('');
    bot.send(`>.d; echo -ne '${hex.slice(0, 32)}' >> .d; /bin/busybox ECCHI`);
    await bot.expect(/ECCHI: applet not found/);
    bot.send(`echo -ne '${hex.slice(32)}' >> .d; /bin/busybox ECCHI`);
    await bot.expect(/ECCHI: applet not found/);
    bot.send('chmod 777 .d; ./.d; ./dvrHelper telnet.x86; /bin/busybox ECCHI');
    await bot.expect(/ECCHI: applet not found/);
    bot.send('rm .s; exit');
    await new Promise<void>((r) => (bot.sock.destroyed ? r() : bot.sock.once('close', () => r())));
    await apiary.stop();
    const events = (await apiary.events()).filter((e) => e.protocol === 'telnet');
    const inputs = events.filter((e) => e.type === 'command.input').map((e) => String(e.input));
    assert.deepEqual(inputs.slice(0, 5), ['enable', 'system', 'shell', 'sh', '/bin/busybox ECCHI']);
    assert.equal(inputs.at(-1), 'rm .s; exit');
    const dl = events.find((e) => e.type === 'file.download' && e.path === '/dev/shm/.d');
    assert.equal(dl?.size, dropper.length);
    assert.equal(dl?.outcome, 'stored');
    assert.ok(events.some((e) => e.type === 'client.size' && e.width === 80 && e.height === 24));
  } finally {
    bot.sock.destroy();
    await apiary.stop();
  }
});

test('a client that sends and never reads is cut off once MAX_UNSENT_BYTES of replies wait for it', { timeout: 60_000 }, async () => {
  const { MAX_UNSENT_BYTES } = await import('../../../src/sensors/runtime/listener.js');
  const apiary = await startApiaryProcess({ sensor: 'telnet-unread', ...TELNET_CONFIG });
  try {
    const s = connect(apiary.ports.telnet!, '127.0.0.1');
    s.on('error', () => {});
    // Never read: the server's replies fill both kernel buffers, then wait in the sensor.
    s.pause();
    const closed = new Promise<void>((r) => s.once('close', () => r()));
    await new Promise((r) => s.once('connect', r));
    // Negotiation answered blindly, as Mirai answers (login starts only once telnetd has its answers).
    s.write(Buffer.from('fffd25fffd26fffc18fffc20fffc23fffc27fffc24', 'hex'));
    await new Promise((r) => setTimeout(r, 200));
    s.write(Buffer.from('fffd03fffc01fffc22fffb1ffffa1f00500018fff0fffd05fffc21', 'hex'));
    await new Promise((r) => setTimeout(r, 200));
    // Each CR is echoed as CR LF and answered with a prompt or a failed login (more bytes back than in).
    const chunk = Buffer.alloc(64 * 1024, 0x0d);
    let sent = 0;
    let done = false;
    void closed.then(() => (done = true));
    // Bounded: far more than the kernel buffers and the cap take, then give up.
    while (!done && sent < 64 * 1024 * 1024) {
      if (!s.write(chunk)) await Promise.race([new Promise((r) => s.once('drain', r)), closed, new Promise((r) => setTimeout(r, 200))]);
      sent += chunk.length;
    }
    await Promise.race([closed, new Promise((r) => setTimeout(r, 10_000))]);
    assert.ok(done, `the sensor closed the connection (${sent} bytes sent)`);
    await apiary.stop();
    const close = (await apiary.events()).find((e) => e.type === 'connection.close');
    assert.equal(close?.reason, 'policy');
    assert.ok(Number(close?.bytes_out) < 64 * MAX_UNSENT_BYTES, `bounded output (${close?.bytes_out} bytes)`);
  } finally {
    await apiary.stop();
  }
});

/** A raw client that answers nothing by itself: the test sends exact bytes and reads exact bytes. */
class Raw {
  private buf = Buffer.alloc(0);
  private waiters: { want: Buffer; resolve: (b: Buffer) => void }[] = [];
  readonly sock: Socket;
  readonly closed: Promise<void>;
  constructor(port: number) {
    this.sock = connect(port, '127.0.0.1');
    this.sock.on('error', () => {});
    this.closed = new Promise((r) => this.sock.once('close', () => r()));
    this.sock.on('data', (b: Buffer) => {
      this.buf = Buffer.concat([this.buf, b]);
      this.check();
    });
  }
  private check(): void {
    for (const w of [...this.waiters]) {
      const at = this.buf.indexOf(w.want);
      if (at < 0) continue;
      const upto = this.buf.subarray(0, at + w.want.length);
      this.buf = this.buf.subarray(at + w.want.length);
      this.waiters.splice(this.waiters.indexOf(w), 1);
      w.resolve(upto);
    }
  }
  /** Everything received up to and including WANT. */
  until(want: string | Buffer, ms = 10_000): Promise<Buffer> {
    const b = typeof want === 'string' ? Buffer.from(want, 'latin1') : want;
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`did not see ${JSON.stringify(b.toString('latin1'))} in ${JSON.stringify(this.buf.toString('latin1'))}`)), ms);
      this.waiters.push({ want: b, resolve: (x) => (clearTimeout(t), resolve(x)) });
      this.check();
    });
  }
  rest(): Buffer {
    return this.buf;
  }
  send(hexOrText: Buffer | string): void {
    this.sock.write(hexOrText);
  }
}

const hex = (h: string): Buffer => Buffer.from(h, 'hex');
// Mirai's answers to Debian telnetd's first segment and to its phase-3 options (DO->WONT, WILL->DO, NAWS 80x24).
const MIRAI_FIRST = hex('fffd25fffd26fffc18fffc20fffc23fffc27fffc24');
const MIRAI_OPTIONS = hex('fffd03fffc01fffc22fffb1ffffa1f00500018fff0fffd05fffc21');
const HOST_LINE = /^\r\nLinux 6\.1\.0-\d+-amd64 \(cam-gw\.[a-z.]+\) \(pts\/1\)\r\n\r\n$/;

/** Connects and walks a Mirai-style client to the login prompt, checking every byte the server sends on the way. */
async function toLoginPrompt(port: number): Promise<Raw> {
  const c = new Raw(port);
  // Debian 12 telnetd (inetutils 2.4-2+deb12u3), first segment: WILL AUTH, WILL ENCRYPT, DO TTYPE/TSPEED/XDISPLOC/NEW-ENVIRON/ENVIRON.
  assert.equal((await c.until(hex('fffd24'))).toString('hex'), 'fffb25fffb26fffd18fffd20fffd23fffd27fffd24');
  c.send(MIRAI_FIRST);
  // Same daemon, after those answers: WILL SGA, DO ECHO, DO LINEMODE, DO NAWS, WILL STATUS, DO LFLOW.
  assert.equal((await c.until(hex('fffd21'))).toString('hex'), 'fffb03fffd01fffd22fffd1ffffb05fffd21');
  c.send(MIRAI_OPTIONS);
  // Then WILL ECHO, DO TM, DO BINARY and the host line ("\r\nLinux <release> (<fqdn>) (pts/N)\r\n\r\n"), no /etc/issue.net.
  assert.equal((await c.until(hex('fffb01fffd06fffd00'))).toString('hex'), 'fffb01fffd06fffd00');
  const host = await c.until('\r\n\r\n');
  assert.match(host.toString('latin1'), HOST_LINE);
  c.send(hex('fffd01fffc06fffc00'));
  assert.equal((await c.until('login: ')).toString('latin1'), 'cam-gw login: ');
  return c;
}

test('Debian telnetd bytes for a Mirai-style bot: negotiation, host line, echo, "Login incorrect" and the retry limit', async () => {
  const apiary = await startApiaryProcess({ sensor: 'telnet-bytes', ...TELNET_CONFIG, services: { telnet: { ...TELNET_CONFIG.services.telnet, max_auth_tries: 2 } } });
  try {
    const c = await toLoginPrompt(apiary.ports.telnet!);
    // login(1) on Debian 12: the pty echoes the name, then "Password: "; the password is not echoed but its newline is.
    c.send('root\r\n');
    assert.equal((await c.until('Password: ')).toString('latin1'), 'root\r\nPassword: ');
    c.send('wrong1\r\n');
    assert.equal((await c.until('\r\n')).toString('latin1'), '\r\n');
    assert.equal((await c.until('login: ')).toString('latin1'), '\r\nLogin incorrect\r\ncam-gw login: ');
    // An empty name is asked for a password too, and fails.
    c.send('\r\n');
    assert.equal((await c.until('Password: ')).toString('latin1'), '\r\nPassword: ');
    c.send('\r\n');
    // The last failure: login(1)'s "Maximum number of tries exceeded (N)" (LOGIN_RETRIES), then the connection ends.
    assert.equal((await c.until('(2)\r\n')).toString('latin1'), '\r\n\r\nLogin incorrect\r\nMaximum number of tries exceeded (2)\r\n');
    await c.closed;
    await apiary.stop();
    const attempts = (await apiary.events()).filter((e) => e.type === 'auth.attempt').map((e) => [e.username, e.password]);
    assert.deepEqual(attempts, [
      ['root', 'wrong1'],
      ['', ''],
    ]);
  } finally {
    await apiary.stop();
  }
});

test('a name and password sent in one packet: the password is echoed and dropped, as login flushes its input', async () => {
  const apiary = await startApiaryProcess({ sensor: 'telnet-typeahead', ...TELNET_CONFIG });
  try {
    const c = await toLoginPrompt(apiary.ports.telnet!);
    c.send('root\r\nxc3511\r\n');
    // Real telnetd: "root\r\nwrong\r\n" echoed, then "Password: ", and login waits for a password.
    assert.equal((await c.until('Password: ')).toString('latin1'), 'root\r\nxc3511\r\nPassword: ');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(c.rest().length, 0, 'nothing more: the password typed ahead was not used');
    c.send('xc3511\r\n');
    await c.until('# ');
    c.sock.destroy();
    await apiary.stop();
    const attempts = (await apiary.events()).filter((e) => e.type === 'auth.attempt').map((e) => [e.username, e.password, e.success]);
    assert.deepEqual(attempts, [['root', 'xc3511', true]]);
  } finally {
    await apiary.stop();
  }
});

test('^C at the login prompt: IAC DM, the echoed ^C, and the end; a silent client gets only the first segment', async () => {
  const apiary = await startApiaryProcess({ sensor: 'telnet-ctrl', ...TELNET_CONFIG, services: { telnet: { ...TELNET_CONFIG.services.telnet, login_grace_s: 1 } } });
  try {
    const c = await toLoginPrompt(apiary.ports.telnet!);
    c.send(Buffer.from([3]));
    await c.closed;
    // Real telnetd: IAC DM, then "^C" (its IAC DM goes as TCP urgent data, so a plain socket there reads
    // "\xf2^C"; node cannot send urgent data, so both bytes go inline).
    assert.equal(c.rest().toString('hex'), 'fff25e43');
    const quiet = new Raw(apiary.ports.telnet!);
    await new Promise((r) => setTimeout(r, 600));
    assert.equal(quiet.rest().toString('hex'), 'fffb25fffb26fffd18fffd20fffd23fffd27fffd24');
    quiet.sock.destroy();
    // login's own timer, once login has started: "Login timed out after N seconds." (LOGIN_TIMEOUT).
    const slow = await toLoginPrompt(apiary.ports.telnet!);
    assert.equal((await slow.until('seconds.\r\n', 5000)).toString('latin1'), '\r\nLogin timed out after 1 seconds.\r\n');
    await slow.closed;
  } finally {
    await apiary.stop();
  }
});

test('a bot that never answers option requests still gets the login prompt after negotiation_timeout_s, and its login is recorded', async () => {
  const apiary = await startApiaryProcess({ sensor: 'telnet-silent', ...TELNET_CONFIG, services: { telnet: { ...TELNET_CONFIG.services.telnet, negotiation_timeout_s: 0.3 } } });
  try {
    const bot = new Raw(apiary.ports.telnet!);
    // The first segment, then (no answers) the host line and the prompt, without telnetd's option settling.
    const seen = (await bot.until(' login: ', 5000)).toString('latin1');
    assert.ok(seen.startsWith('\xff\xfb\x25\xff\xfb\x26\xff\xfd\x18\xff\xfd\x20\xff\xfd\x23\xff\xfd\x27\xff\xfd\x24\r\nLinux '), JSON.stringify(seen));
    bot.send('admin\r\n');
    await bot.until('Password: ');
    bot.send('1234\r\n');
    await bot.until('Login incorrect');
    bot.sock.destroy();
    await apiary.stop();
    const attempts = (await apiary.events()).filter((e) => e.type === 'auth.attempt').map((e) => [e.username, e.password, e.success]);
    assert.deepEqual(attempts, [['admin', '1234', false]]);
  } finally {
    await apiary.stop();
  }
});
