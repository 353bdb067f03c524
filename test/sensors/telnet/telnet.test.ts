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
    await tmux.waitFor(/Debian GNU\/Linux 12\n+cam-gw login: $/m);
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
    // Each CR at the login prompt asks for the prompt again (about twenty bytes back for one in).
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
