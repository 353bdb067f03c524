// Fingerprint checks: the banner-plus-newlines probe (Metasploit detect_kippo, nmap kippo-detect)
// gets the same kind of reply as Debian's real sshd started here on another loopback port, and
// nmap -sV names the service OpenSSH with the configured version.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { connect } from 'node:net';
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { startApiaryProcess, tempDir, waitFor } from '../../helpers/apiary-process.js';
import { run } from '../../helpers/ssh-tools.js';
import { freePort } from '../../helpers/net-tools.js';

interface ProbeReply {
  ident: string;
  /** SSH message number of the first binary packet after the ident line (20 = KEXINIT). */
  firstMessage: number | undefined;
  text: string;
  closedByServer: boolean;
}

function probe(port: number): Promise<ProbeReply> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let closed = false;
    s.on('data', (d) => chunks.push(d));
    s.on('error', () => {});
    s.on('connect', () => s.write(`SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n${'\n'.repeat(8)}`));
    s.on('close', () => {
      closed = true;
      done();
    });
    const timer = setTimeout(done, 5000);
    function done(): void {
      clearTimeout(timer);
      s.destroy();
      const b = Buffer.concat(chunks);
      const nl = b.indexOf(0x0a);
      const rest = b.subarray(nl + 1);
      resolve({ ident: b.subarray(0, nl + 1).toString('latin1'), firstMessage: rest.length >= 6 ? rest[5] : undefined, text: rest.toString('latin1'), closedByServer: closed });
    }
  });
}

test('banner plus newlines: same reply shape as Debian sshd (ident, KEXINIT, close), none of the honeypot answers', async () => {
  const dir = tempDir();
  const key = join(dir, 'hostkey');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
  const port = await freePort();
  writeFileSync(join(dir, 'sshd_config'), `Port ${port}\nListenAddress 127.0.0.1\nHostKey ${key}\nPidFile ${join(dir, 'pid')}\nUsePAM no\nStrictModes no\n`);
  // sshd wants its privilege-separation directory; Debian creates it at boot.
  if (!existsSync('/run/sshd')) mkdirSync('/run/sshd', { mode: 0o755 });
  const sshd = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', join(dir, 'sshd_config')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let sshdErr = '';
  sshd.stderr.on('data', (d: Buffer) => (sshdErr += d.toString()));
  const apiary = await startApiaryProcess({ sensor: 'fingerprint', services: { ssh: { listen: ['127.0.0.1:0'] } } });
  try {
    await waitFor(() => /Server listening/.test(sshdErr), 10_000);
    const real = await probe(port);
    const ours = await probe(apiary.ports.ssh!);
    assert.match(real.ident, /^SSH-2\.0-OpenSSH_9\.2p1 Debian-2\+deb12u\d+\r\n$/);
    assert.equal(ours.ident, 'SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n');
    assert.equal(real.firstMessage, 20, 'sshd sends KEXINIT');
    assert.equal(ours.firstMessage, real.firstMessage, 'so does the sensor');
    assert.equal(ours.closedByServer, real.closedByServer, 'and both then drop the connection');
    for (const tell of ['Protocol mismatch', 'bad packet length', 'Bad packet length']) assert.ok(!ours.text.includes(tell), tell);
  } finally {
    sshd.kill('SIGTERM');
    await apiary.stop();
  }
});

test('nmap -sV names the service OpenSSH with the configured version', async () => {
  const apiary = await startApiaryProcess({ sensor: 'nmap', services: { ssh: { listen: ['127.0.0.1:0'], version: 'OpenSSH_9.2p1 Debian-2+deb12u3' } } });
  try {
    const r = await run('nmap', ['-sV', '-Pn', '-n', '--version-light', '-p', String(apiary.ports.ssh), '127.0.0.1'], { timeoutMs: 120_000 });
    assert.match(r.stdout, new RegExp(`${apiary.ports.ssh}/tcp +open +ssh +OpenSSH 9\\.2p1 Debian 2\\+deb12u3`), r.stdout);
    assert.doesNotMatch(r.stdout, /honeypot|Cowrie|Kippo/i);
  } finally {
    await apiary.stop();
  }
});
