// Real clients against the FTP sensor: lftp and ftp log in, list, download and upload; hydra's
// attempts are all recorded; nmap ftp-anon/ftp-syst see vsftpd; nmap ftp-bounce's PORT is refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect as netConnect, type Socket } from 'node:net';
import { startApiaryProcess, waitFor } from '../../helpers/apiary-process.js';
import { runTool } from '../../helpers/net-tools.js';
import { payloads, storedEvents } from '../../helpers/stored-events.js';

test('lftp (passive and active) and ftp: login, list, download, upload into quarantine; every command recorded', async () => {
  const apiary = await startApiaryProcess({
    sensor: 'ftp-clients',
    auth: [
      { user: 'bob', password: 's3cret', allow: true },
      { user: 'root', password: 'toor', allow: true },
    ],
    services: { ftp: { listen: ['127.0.0.1:0'] } },
  });
  try {
    const port = apiary.ports.ftp!;
    const work = apiary.dir;
    const upload = Buffer.from(`#!/bin/sh\n# dropper ${Date.now()}\n`);
    writeFileSync(join(work, 'drop.sh'), upload);
    // Anonymous uploads go where vsftpd's anon_upload_enable lets them: the ftp account's /upload.
    const lftp = await runTool('lftp', ['-u', 'anonymous,guest@', '-e', `set ftp:ssl-allow no; set net:max-retries 1; ls; cd pub; get README -o ${join(work, 'README')}; cd /upload; put ${join(work, 'drop.sh')} -o drop.sh; ls; quit`, `127.0.0.1:${port}`], { timeoutMs: 30_000 });
    assert.equal(lftp.code, 0, lftp.stderr);
    assert.match(lftp.stdout, /^drwxr-xr-x +3 0 +0 +4096 Nov 20 +2023 pub\r?$/m);
    assert.match(lftp.stdout, /^-rw------- +1 103 +111 +\d+ .* drop\.sh\r?$/m, 'the upload shows in the listing, 0600 and the ftp account\'s');
    const refused = await runTool('lftp', ['-u', 'anonymous,guest@', '-e', `set ftp:ssl-allow no; set net:max-retries 1; cd pub; put ${join(work, 'drop.sh')} -o drop.sh; quit`, `127.0.0.1:${port}`], { timeoutMs: 30_000 });
    assert.match(refused.stderr, /553 Could not create file/, 'nor anywhere else');
    assert.match(readFileSync(join(work, 'README'), 'utf8'), /FTP archive/);
    const active = await runTool('lftp', ['-u', 'bob,s3cret', '-e', 'set ftp:ssl-allow no; set ftp:passive-mode no; set net:max-retries 1; ls backup; quit', `127.0.0.1:${port}`], { timeoutMs: 30_000 });
    assert.equal(active.code, 0, active.stderr);
    assert.match(active.stdout, /router-config\.txt/);
    const ftp = await runTool('ftp', ['-inv', '127.0.0.1', String(port)], { input: `user anonymous x@\nbinary\nget pub/firmware/fw-3.2.1.bin ${join(work, 'fw.bin')}\nput ${join(work, 'drop.sh')} upload/d2.sh\nquit\n`, timeoutMs: 30_000 });
    assert.match(ftp.stdout, /^220 \(vsFTPd 3\.0\.3\)/m);
    assert.match(ftp.stdout, /^226 Transfer complete\./m);
    assert.ok(existsSync(join(work, 'fw.bin')) && readFileSync(join(work, 'fw.bin')).length === 65536);
    // root is in Debian's /etc/ftpusers: vsftpd refuses it even with a password the rules accept.
    const root = await runTool('ftp', ['-inv', '127.0.0.1', String(port)], { input: 'user root toor\nquit\n', timeoutMs: 30_000 });
    assert.match(root.stdout, /^530 Login incorrect\./m);
    await apiary.stop();
    const sha = createHash('sha256').update(upload).digest('hex');
    const uploads = await payloads<{ filename: string; sha256: string; size: number; outcome: string }>(apiary.dir, 'file.upload');
    assert.deepEqual(uploads.map((u) => [u.filename, u.sha256, u.size]), [
      ['/upload/drop.sh', sha, upload.length],
      ['/upload/d2.sh', sha, upload.length],
    ]);
    assert.deepEqual(uploads.map((u) => u.outcome), ['stored', 'duplicate']);
    assert.deepEqual(readFileSync(join(apiary.dir, 'data', 'quarantine', sha)), upload);
    const logins = await payloads<{ username: string; success: boolean }>(apiary.dir, 'auth.attempt');
    assert.deepEqual(logins.map((l) => [l.username, l.success]), [['anonymous', true], ['anonymous', true], ['bob', true], ['anonymous', true], ['root', false]]);
    const commands = (await payloads<{ input: string }>(apiary.dir, 'command.input')).map((c) => c.input.split(' ')[0]!.toUpperCase());
    for (const verb of ['USER', 'LIST', 'CWD', 'RETR', 'STOR', 'PORT', 'EPSV', 'TYPE', 'QUIT']) assert.ok(commands.includes(verb), `${verb} recorded`);
    assert.ok(!commands.includes('PASS'), 'passwords are in auth.attempt, not repeated as commands');
  } finally {
    await apiary.stop();
  }
});

test('hydra ftp:// — every attempt recorded, the right password found', async () => {
  const apiary = await startApiaryProcess({
    sensor: 'ftp-hydra',
    auth: [{ user: 'admin', password: 'dragon', allow: true }],
    services: { ftp: { listen: ['127.0.0.1:0'], anonymous: false } },
  });
  try {
    const words = ['123456', 'password', 'letmein', 'dragon', 'qwerty', 'monkey'];
    const list = join(apiary.dir, 'words.txt');
    writeFileSync(list, `${words.join('\n')}\n`);
    const r = await runTool('hydra', ['-l', 'admin', '-P', list, '-t', '2', '-f', '-I', `ftp://127.0.0.1:${apiary.ports.ftp}`], { timeoutMs: 120_000 });
    assert.match(r.stdout, /login: admin\s+password: dragon/);
    await apiary.stop();
    const attempts = await payloads<{ username: string; password: string; success: boolean }>(apiary.dir, 'auth.attempt');
    assert.ok(attempts.every((a) => a.username === 'admin' && words.includes(a.password)));
    assert.deepEqual(attempts.filter((a) => a.success).map((a) => a.password), ['dragon']);
    for (const a of attempts) assert.equal(a.success, a.password === 'dragon');
    assert.ok(attempts.length >= 4, `hydra's attempts up to the hit are recorded (${attempts.length})`);
  } finally {
    await apiary.stop();
  }
});

test('nmap -sV with ftp-anon, ftp-syst and ftp-bounce: vsftpd seen, the bounce PORT refused and recorded', async () => {
  const apiary = await startApiaryProcess({ sensor: 'ftp-nmap', services: { ftp: { listen: ['127.0.0.1:0'] } } });
  try {
    const port = String(apiary.ports.ftp);
    const r = await runTool('nmap', ['-n', '-Pn', '-sT', '-sV', '-p', port, '--script', 'ftp-anon,ftp-syst,ftp-bounce', '--script-args', 'ftp-bounce.checkhost=10.0.0.5', '127.0.0.1'], { timeoutMs: 120_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`${port}/tcp\\s+open\\s+ftp\\s+vsftpd 3\\.0\\.3`));
    assert.match(r.stdout, /ftp-anon: Anonymous FTP login allowed \(FTP code 230\)/);
    // vsftpd 3.0.3 on Debian 12 (see ftp-fidelity.test.ts): numeric ids, and the dual-stack listener's view of an IPv4 client.
    assert.match(r.stdout, /\| drwxr-xr-x {4}3 0 {8}0 {12}4096 Nov 20 {2}2023 pub\n/);
    assert.match(r.stdout, /ftp-syst:[\s\S]*Connected to ::ffff:127\.0\.0\.1[\s\S]*vsFTPd 3\.0\.3 - secure, fast, stable/);
    assert.doesNotMatch(r.stdout, /ftp-bounce: bounce working!/);
    await apiary.stop();
    const bounces = (await storedEvents(apiary.dir, 'exploit.attempt')).map((e) => e.payload as { name: string; cve?: string; detail?: string });
    assert.ok(bounces.length >= 1);
    for (const b of bounces) {
      assert.equal(b.name, 'ftp-bounce');
      assert.equal(b.cve, 'CVE-1999-0017');
      assert.match(String(b.detail), /-> 10\.0\.0\.5:\d+$/);
    }
  } finally {
    await apiary.stop();
  }
});

test('binary garbage on the control connection: recorded as malformed, connection closed after a bounded number of lines', async () => {
  const { connect } = await import('node:net');
  const apiary = await startApiaryProcess({ sensor: 'ftp-garbage', services: { ftp: { listen: ['127.0.0.1:0'] } } });
  try {
    const closed = await new Promise<boolean>((resolve) => {
      const s = connect(apiary.ports.ftp!, '127.0.0.1');
      s.on('error', () => {});
      s.once('data', () => {
        for (let i = 0; i < 100; i++) s.write(Buffer.from([0x16, 0x03, 0x01, 0x00, 0x10 + i, 0x0a]));
      });
      s.resume();
      s.once('close', () => resolve(true));
      setTimeout(() => resolve(false), 5000).unref();
    });
    assert.ok(closed, 'the sensor closes the connection');
    await apiary.stop();
    const malformed = await payloads<{ reason: string }>(apiary.dir, 'protocol.malformed');
    assert.ok(malformed.length >= 1 && malformed.length <= 16, `bounded malformed events (${malformed.length})`);
    const [close] = await payloads<{ reason: string }>(apiary.dir, 'connection.close');
    assert.equal(close!.reason, 'policy');
  } finally {
    await apiary.stop();
  }
});

/** A raw control connection to PORT, and a function that waits for the next reply with CODE and takes it. */
function ftpControl(port: number) {
  const control = netConnect(port, '127.0.0.1');
  control.on('error', () => {});
  let text = '';
  control.setEncoding('latin1').on('data', (d: string) => (text += d));
  const reply = async (code: number): Promise<string> => {
    for (let i = 0; i < 500; i++) {
      const line = text.split('\r\n').find((l) => l.startsWith(`${code} `));
      if (line) {
        text = text.slice(text.indexOf(line) + line.length + 2);
        return line;
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`no ${code} reply; got ${JSON.stringify(text)}`);
  };
  return { control, reply };
}

/** Logs in anonymously on a new control connection to PORT, then asks for a passive port: the connection and the port. */
async function anonymousEpsv(port: number) {
  const c = ftpControl(port);
  await c.reply(220);
  c.control.write('USER anonymous\r\nPASS a@b\r\n');
  await c.reply(230);
  c.control.write('EPSV\r\n');
  return { ...c, dataPort: Number(/\|\|\|(\d+)\|/.exec(await c.reply(229))![1]) };
}

test('data connections end with their session: one left unused by a second PASV, and one open when the control connection closes', async () => {
  const apiary = await startApiaryProcess({ sensor: 'ftp-data-leak', services: { ftp: { listen: ['127.0.0.1:0'] } } });
  try {
    const { control, reply, dataPort } = await anonymousEpsv(apiary.ports.ftp!);
    const ends = new Map<Socket, Promise<void>>();
    const closed = (s: Socket): Promise<boolean> =>
      Promise.race([ends.get(s)!.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 5000).unref())]);
    const dataConnection = async (port: number): Promise<Socket> => {
      const s = netConnect(port, '127.0.0.1');
      s.on('error', () => {});
      // Reading, so the client sees the server's end.
      s.resume();
      ends.set(s, new Promise((r) => s.once('close', () => r())));
      await new Promise((r) => s.once('connect', r));
      return s;
    };
    const first = await dataConnection(dataPort);
    control.write('EPSV\r\n');
    const second = await dataConnection(Number(/\|\|\|(\d+)\|/.exec(await reply(229))![1]));
    assert.ok(await closed(first), 'the data connection left unused by the second EPSV is closed');
    control.end('QUIT\r\n');
    assert.ok(await closed(second), 'the open data connection is closed with the session');
  } finally {
    await apiary.stop();
  }
});

test('a passive port a transfer waits on stops listening when its control connection closes', async () => {
  const apiary = await startApiaryProcess({ sensor: 'ftp-pasv-leak', services: { ftp: { listen: ['127.0.0.1:0'] } } });
  try {
    const { control, dataPort } = await anonymousEpsv(apiary.ports.ftp!);
    // LIST waits for the data connection; the client hangs up instead.
    control.write('LIST\r\n');
    await new Promise((r) => setTimeout(r, 200));
    // Whether anything listens on the port (from the kernel's table: connecting would take the listener's one connection).
    const listening = (): boolean =>
      readFileSync('/proc/net/tcp', 'latin1')
        .split('\n')
        .some((l) => {
          const f = l.trim().split(/\s+/);
          return f[3] === '0A' && Number.parseInt(f[1]?.split(':')[1] ?? '', 16) === dataPort;
        });
    assert.ok(listening(), 'the passive port listens while the control connection is open');
    control.destroy();
    await waitFor(() => !listening(), 5000, 100);
  } finally {
    await apiary.stop();
  }
});
