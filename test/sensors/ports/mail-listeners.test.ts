// Real-tool test: nmap -sV names the port listeners' stock mail banners as Debian 12's Postfix and
// Dovecot (no unrecognised-service fingerprint), and nmap's smtp-commands lists Postfix's EHLO extensions.
import { connect } from 'node:net';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startApiaryProcess } from '../../helpers/apiary-process.js';
import { runTool } from '../../helpers/net-tools.js';

/** Sends LINES after the greeting; resolves with all the server sent until it closed. */
function dialogue(host: string, port: number, lines: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, host);
    let got = '';
    s.once('data', () => s.write(lines));
    s.on('data', (d) => (got += d.toString('latin1')));
    s.on('close', () => resolve(got));
    s.on('error', reject);
  });
}

test('nmap -sV names Postfix smtpd, Dovecot pop3d and imapd; smtp-commands lists the EHLO extensions', async () => {
  const host = '127.0.0.62';
  const apiary = await startApiaryProcess({
    sensor: 'ports-mail',
    shell: { hostname: 'mx-honey' },
    services: { telnet: { listen: [`${host}:2323`] }, ports: { listen: [`${host}:25`, `${host}:110`, `${host}:143`], read_timeout_s: 10 } },
  });
  try {
    const r = await runTool('nmap', ['-n', '-Pn', '-sT', '-sV', '-p', '25,110,143', '--script', 'smtp-commands', host], { timeoutMs: 120_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stdout, /SF-Port|SF:/, r.stdout);
    assert.match(r.stdout, /^25\/tcp\s+open\s+smtp\s+Postfix smtpd$/m, r.stdout);
    assert.match(r.stdout, /^110\/tcp\s+open\s+pop3\s+Dovecot pop3d$/m, r.stdout);
    assert.match(r.stdout, /^143\/tcp\s+open\s+imap\s+Dovecot imapd$/m, r.stdout);
    assert.match(r.stdout, /smtp-commands: mx-honey\.[a-z.]+, PIPELINING, SIZE 10240000, VRFY, ETRN, STARTTLS, ENHANCEDSTATUSCODES, 8BITMIME, DSN, SMTPUTF8, CHUNKING/, r.stdout);

    const smtp = await dialogue(host, 25, 'EHLO x\r\nQUIT\r\n');
    // Postfix's myhostname is the fully qualified name, the fake shell's hostname -f.
    assert.match(smtp, /^220 mx-honey\.[a-z.]+ ESMTP Postfix \(Debian\/GNU\)\r\n250-mx-honey\.[a-z.]+\r\n250-PIPELINING\r\n[^]*250 CHUNKING\r\n221 2\.0\.0 Bye\r\n$/);
    await apiary.stop();
    const events = await apiary.events();
    const probes = events.filter((e) => e.type === 'scan.probe');
    const mine = probes.find((e) => e.dst_port === 25 && e.first_bytes_hex === Buffer.from('EHLO x\r\nQUIT\r\n').toString('hex'));
    assert.ok(mine, 'the EHLO dialogue is one scan.probe with the first bytes');
    assert.deepEqual(
      events.filter((e) => e.session === mine.session).map((e) => e.type),
      ['connection.open', 'scan.probe', 'connection.close'],
    );
  } finally {
    await apiary.stop();
  }
});
