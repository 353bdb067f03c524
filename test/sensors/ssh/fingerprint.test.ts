// Fingerprint checks: the banner-plus-newlines probe (Metasploit detect_kippo, nmap kippo-detect)
// gets the same kind of reply as Debian's real sshd started here on another loopback port, and
// nmap -sV names the service OpenSSH with the configured version; `ssh -v` reads the same
// server-sig-algs from both.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { connect } from 'node:net';
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { startApiaryProcess, tempDir, waitFor } from '../../helpers/apiary-process.js';
import { run, SSH_OPTS } from '../../helpers/ssh-tools.js';
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

/** Debian's sshd from this machine on a free loopback port, with host keys of TYPES made here. */
async function startRealSshd(types: string[]): Promise<{ port: number; stop: () => void }> {
  const dir = tempDir();
  const keys = types.map((t) => {
    const key = join(dir, `ssh_host_${t}_key`);
    execFileSync('ssh-keygen', ['-q', '-t', t, '-N', '', '-f', key]);
    return `HostKey ${key}\n`;
  });
  const port = await freePort();
  // KbdInteractiveAuthentication no: Debian's shipped sshd_config says so.
  writeFileSync(join(dir, 'sshd_config'), `Port ${port}\nListenAddress 127.0.0.1\n${keys.join('')}PidFile ${join(dir, 'pid')}\nUsePAM no\nStrictModes no\nKbdInteractiveAuthentication no\n`);
  // sshd wants its privilege-separation directory; Debian creates it at boot.
  if (!existsSync('/run/sshd')) mkdirSync('/run/sshd', { mode: 0o755 });
  const sshd = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', join(dir, 'sshd_config')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let sshdErr = '';
  sshd.stderr.on('data', (d: Buffer) => (sshdErr += d.toString()));
  await waitFor(() => /Server listening/.test(sshdErr), 10_000);
  return { port, stop: () => sshd.kill('SIGTERM') };
}

test('banner plus newlines: same reply shape as Debian sshd (ident, KEXINIT, close), none of the honeypot answers', async () => {
  const sshd = await startRealSshd(['ed25519']);
  const port = sshd.port;
  const apiary = await startApiaryProcess({ sensor: 'fingerprint', services: { ssh: { listen: ['127.0.0.1:0'] } } });
  try {
    const real = await probe(port);
    const ours = await probe(apiary.ports.ssh!);
    assert.match(real.ident, /^SSH-2\.0-OpenSSH_9\.2p1 Debian-2\+deb12u\d+\r\n$/);
    assert.equal(ours.ident, 'SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n');
    assert.equal(real.firstMessage, 20, 'sshd sends KEXINIT');
    assert.equal(ours.firstMessage, real.firstMessage, 'so does the sensor');
    assert.equal(ours.closedByServer, real.closedByServer, 'and both then drop the connection');
    for (const tell of ['Protocol mismatch', 'bad packet length', 'Bad packet length']) assert.ok(!ours.text.includes(tell), tell);
  } finally {
    sshd.stop();
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

/** One section of nmap's ssh2-enum-algos output (the names under NAME), or of ssh-hostkey (key types). */
function nmapSection(out: string, name: string): string[] {
  const m = new RegExp(`${name}: \\(\\d+\\)\\n((?:\\|\\s{7}\\S+\\n)+)`).exec(out);
  return m ? m[1]!.split('\n').filter(Boolean).map((l) => l.replace(/^\|\s+/, '')) : [];
}

test("host key algorithms and auth methods: Debian sshd's (RSA as rsa-sha2-512/256 only; publickey,password), so ssh-rsa clients are refused as sshd refuses them", { timeout: 120_000 }, async () => {
  const sshd = await startRealSshd(['rsa', 'ecdsa', 'ed25519']);
  const apiary = await startApiaryProcess({ sensor: 'hostkey-algos', services: { ssh: { listen: ['127.0.0.1:0'] } } });
  try {
    const scan = async (port: number): Promise<string> => (await run('nmap', ['-Pn', '-n', '-sV', '--version-light', '-p', String(port), '--script', 'ssh2-enum-algos,ssh-hostkey,ssh-auth-methods', '127.0.0.1'], { timeoutMs: 60_000 })).stdout;
    const real = await scan(sshd.port);
    const ours = await scan(apiary.ports.ssh!);
    assert.deepEqual(nmapSection(real, 'server_host_key_algorithms'), ['rsa-sha2-512', 'rsa-sha2-256', 'ecdsa-sha2-nistp256', 'ssh-ed25519'], real);
    assert.deepEqual(nmapSection(ours, 'server_host_key_algorithms'), nmapSection(real, 'server_host_key_algorithms'), ours);
    // nmap 7.93's ssh-hostkey asks for ssh-rsa, so against OpenSSH 8.8+ it lists no RSA key.
    const methods = (out: string): string[] => /Supported authentication methods: \n((?:\|\s+\S+\n)*\|_\s+\S+)/.exec(out)?.[1]!.split('\n').map((l) => l.replace(/^\|_?\s+/, '')) ?? [];
    assert.deepEqual(methods(real), ['publickey', 'password'], real);
    assert.deepEqual(methods(ours), methods(real), ours);
    const keyTypes = (out: string): string[] => [...out.matchAll(/^\|_?\s+\d+ [0-9a-f]{32} \((\w+)\)$/gm)].map((m) => m[1]!);
    assert.deepEqual(keyTypes(ours), keyTypes(real), ours);
    // LogLevel INFO (ahead of SSH_OPTS' ERROR: the first value wins) prints why the client gave up.
    const rsaOnly = ['-o', 'HostKeyAlgorithms=ssh-rsa', '-o', 'BatchMode=yes', '-o', 'LogLevel=INFO', ...SSH_OPTS];
    const refusedReal = await run('ssh', [...rsaOnly, '-p', String(sshd.port), 'root@127.0.0.1', 'true']);
    const refusedOurs = await run('ssh', [...rsaOnly, '-p', String(apiary.ports.ssh), 'root@127.0.0.1', 'true']);
    assert.match(refusedReal.stderr, /no matching host key type found/);
    assert.match(refusedOurs.stderr, /no matching host key type found. Their offer: rsa-sha2-512,rsa-sha2-256,ecdsa-sha2-nistp256,ssh-ed25519/, refusedOurs.stderr);
    // The RSA key still works under both SHA-2 names: the client verifies the signature of the exchange.
    for (const alg of ['rsa-sha2-512', 'rsa-sha2-256']) {
      const r = await run('sshpass', ['-p', '123456', 'ssh', '-o', `HostKeyAlgorithms=${alg}`, ...SSH_OPTS, '-p', String(apiary.ports.ssh), 'root@127.0.0.1', 'echo ok'], { timeoutMs: 30_000 });
      assert.equal(r.code, 0, `${alg}: ${r.stderr}`);
    }
  } finally {
    sshd.stop();
    await apiary.stop();
  }
});

/** The extensions of the server's EXT_INFO as `ssh -v` prints them (kex_input_ext_info), name to value. */
async function extInfo(port: number): Promise<Map<string, string>> {
  // LogLevel DEBUG1 ahead of SSH_OPTS' ERROR (the first value wins); BatchMode: no password prompt.
  const r = await run('ssh', ['-o', 'LogLevel=DEBUG1', '-o', 'BatchMode=yes', ...SSH_OPTS, '-p', String(port), 'root@127.0.0.1', 'true'], { timeoutMs: 30_000 });
  return new Map([...r.stderr.matchAll(/kex_input_ext_info: ([^=\s]+)=<([^>]*)>/g)].map((m) => [m[1]!, m[2]!]));
}

test("EXT_INFO server-sig-algs: Debian sshd's list, not ssh2's own (missing its comma, mscdex/ssh2#1485)", async () => {
  const sshd = await startRealSshd(['ed25519']);
  const apiary = await startApiaryProcess({ sensor: 'ext-info', services: { ssh: { listen: ['127.0.0.1:0'] } } });
  try {
    const real = await extInfo(sshd.port);
    const ours = await extInfo(apiary.ports.ssh!);
    assert.match(real.get('server-sig-algs') ?? '', /^ssh-ed25519,.*,rsa-sha2-512$/, [...real].join('\n'));
    assert.equal(ours.get('server-sig-algs'), real.get('server-sig-algs'), 'scripts/patch-ssh2.mjs applied? (npm ci runs it)');
    // sshd also sends publickey-hostbound@openssh.com; the sensor must not: OpenSSH's client would then
    // log in with method publickey-hostbound-v00@openssh.com, which ssh2's server answers by disconnecting.
    assert.deepEqual([...real.keys()], ['server-sig-algs', 'publickey-hostbound@openssh.com']);
    assert.deepEqual([...ours.keys()], ['server-sig-algs']);
  } finally {
    sshd.stop();
    await apiary.stop();
  }
});
