// One host, one story: with SSH, MySQL and HTTP on one Apiary, the fake shell's uptime, process list
// and listening sockets agree with what the MySQL and HTTP sensors say about themselves.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { startApiaryProcess } from '../helpers/apiary-process.js';
import { askUdp } from '../helpers/udp-ask.js';
import { run, sshWithPassword } from '../helpers/ssh-tools.js';

/** "2024-05-01 12:00:00" (UTC, as the fake shell prints) as ms since the epoch. */
function utcMs(text: string): number {
  return Date.parse(`${text.trim().replace(' ', 'T')}Z`);
}

test('the shell, MySQL and HTTP describe one host: boot time, mysqld and apache2 processes, their listening ports', async () => {
  const config = { sensor: 'host-coherence', services: { ssh: { listen: ['127.0.0.1:0'] }, mysql: { listen: ['127.0.0.1:0'], version: '8.0.36' }, http: { listen: ['127.0.0.1:0'] }, ftp: { listen: ['127.0.0.1:0'] } } };
  const apiary = await startApiaryProcess(config);
  let bootMs: number;
  try {
    const sh = await sshWithPassword(apiary.ports.ssh!, 'root', '123456', 'ps aux; echo @@; netstat -tlnp; echo @@; uptime -s; echo @@; systemctl status mysql; echo @@; uptime; echo @@; cat /root/.bash_history; echo @@; cat /etc/passwd /etc/group; echo @@; cat /var/www/html/index.html; echo @@; curl -s http://localhost/; echo @@; ls -ln /srv/ftp');
    assert.equal(sh.code, 0, sh.stderr);
    const [ps, netstat, bootText, unit, uptime, history, accounts, indexFile, indexLocal, ftpRoot] = sh.stdout.split('@@\n') as [string, string, string, string, string, string, string, string, string, string];
    bootMs = utcMs(bootText);
    assert.ok(Number.isFinite(bootMs), bootText);
    // Up days to weeks, and `uptime` counts from the same boot.
    const upDays = (Date.now() - bootMs) / 86_400_000;
    assert.ok(upDays >= 3 && upDays <= 46, `${upDays} days`);
    assert.match(uptime, new RegExp(`up ${Math.floor(upDays)} days?,`));

    // MySQL 8 is /usr/sbin/mysqld run as mysql; no MariaDB and no nginx when the sensors are MySQL and Apache.
    const mysqld = /^mysql +(\d+) .* \/usr\/sbin\/mysqld$/m.exec(ps);
    assert.ok(mysqld, ps);
    assert.match(ps, /^root +\d+ .* \/usr\/sbin\/apache2 -k start$/m);
    assert.match(ps, /^www-data +\d+ .* \/usr\/sbin\/apache2 -k start$/m);
    assert.doesNotMatch(ps, /mariadb|nginx/);
    // Listening where the sensors listen, on the ports a client would use, with the pids ps shows.
    assert.match(netstat, new RegExp(`^tcp +0 +0 127\\.0\\.0\\.1:3306 +0\\.0\\.0\\.0:\\* +LISTEN +${mysqld[1]}/mysqld$`, 'm'));
    assert.match(netstat, /^tcp +0 +0 127\.0\.0\.1:80 +0\.0\.0\.0:\* +LISTEN +\d+\/apache2$/m);
    assert.match(netstat, /^tcp +0 +0 127\.0\.0\.1:22 +0\.0\.0\.0:\* +LISTEN +\d+\/sshd: \/usr\/sbin$/m);
    assert.doesNotMatch(netstat, /mariadbd|nginx/);
    // Root last looked at the web server the host runs.
    assert.match(history, /^systemctl status apache2$/m);
    assert.doesNotMatch(history, /nginx/);
    // vsftpd runs, so its package's account is there; no tftpd or asterisk, so not theirs.
    assert.match(ps, /\/usr\/sbin\/vsftpd/);
    assert.match(accounts, /^ftp:x:\d+:\d+:ftp daemon,,,:\/srv\/ftp:\/usr\/sbin\/nologin$/m);
    assert.match(accounts, /^ftp:x:\d+:$/m);
    assert.doesNotMatch(accounts, /^(tftp|asterisk):/m);
    // The page the HTTP sensor serves at / is the shell's /var/www/html/index.html, and the shell's own
    // curl to localhost gets it too.
    const page = await fetch(`http://127.0.0.1:${apiary.ports.http}/`);
    assert.equal(indexFile, await page.text());
    assert.equal(indexLocal, indexFile);
    // The FTP root is on the disk too, its upload directory the ftp account's, as FTP lists it (103 111).
    const ftpIds = /^ftp:x:(\d+):(\d+):/m.exec(accounts)!;
    assert.deepEqual([ftpIds[1], ftpIds[2]], ['103', '111']);
    assert.match(ftpRoot, /^drwxr-xr-x 2 103 111 4096 Feb  2  2024 upload$/m);
    assert.match(ftpRoot, /^drwxr-xr-x 3 0   0   4096 Nov 20  2023 pub$/m);

    // MySQL's Uptime counts from when systemd started mysqld: seconds after the shell's boot.
    const asked = Date.now();
    const db = await run('mariadb', ['-h', '127.0.0.1', '-P', String(apiary.ports.mysql), '-u', 'root', '-p123456', '--batch', '--skip-column-names', '-e', "SHOW GLOBAL STATUS LIKE 'Uptime'"], { timeoutMs: 30_000 });
    assert.equal(db.code, 0, db.stderr);
    const mysqlStart = asked - Number(db.stdout.trim().split('\t')[1]) * 1000;
    const unitStart = utcMs(/since (\S+ \S+) UTC/.exec(unit)![1]!);
    assert.ok(Math.abs(mysqlStart - unitStart) <= 2000, `MySQL started ${new Date(mysqlStart).toISOString()}, systemd says ${new Date(unitStart).toISOString()}`);
    assert.ok(unitStart >= bootMs && unitStart - bootMs <= 10_000, `mysqld started ${unitStart - bootMs} ms after boot`);
    // The mysql client's `status` reads COM_STATISTICS: the same Uptime.
    const status = await run('mariadb', ['-h', '127.0.0.1', '-P', String(apiary.ports.mysql), '-u', 'root', '-p123456', '-e', 'status'], { timeoutMs: 30_000 });
    const m = /Uptime:\s+(?:(\d+) days? )?(?:(\d+) hours? )?(?:(\d+) min )?(\d+) sec/.exec(status.stdout);
    assert.ok(m, status.stdout);
    const statusUp = Number(m[1] ?? 0) * 86400 + Number(m[2] ?? 0) * 3600 + Number(m[3] ?? 0) * 60 + Number(m[4]);
    assert.ok(Math.abs(Date.now() - statusUp * 1000 - unitStart) <= 3000, status.stdout);
  } finally {
    await apiary.stop();
  }
  // A restart of Apiary is not a reboot: the boot time is kept in data_dir.
  const again = await startApiaryProcess(config, { dir: apiary.dir });
  try {
    const sh = await sshWithPassword(again.ports.ssh!, 'root', '123456', 'uptime -s');
    assert.equal(utcMs(sh.stdout), bootMs);
  } finally {
    await again.stop();
  }
});

/** The first line a TCP server at HOST:PORT sends. */
function greeting(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host, port });
    let got = '';
    s.on('data', (d) => {
      got += d.toString('latin1');
      if (got.includes('\n')) {
        s.destroy();
        resolve(got.split('\r\n')[0]!);
      }
    });
    s.on('error', reject);
  });
}

test('each install names its machines anew, and services on one machine agree: SMTP with MySQL, MSSQL with SMB', async () => {
  const names = async (host: string): Promise<{ smtp: string; mysql: string; mssql: string; netbios: string }> => {
    const apiary = await startApiaryProcess({
      sensor: 'host-names',
      services: {
        mysql: { listen: ['127.0.0.1:0'] },
        mssql: { listen: ['127.0.0.1:0'], browser: { listen: ['127.0.0.1:0'] } },
        smb: { listen: [`${host}:445`], netbios_listen: [] },
        ports: { listen: [`${host}:25`], read_timeout_s: 2 },
      },
    });
    try {
      const smtp = await greeting(host, 25);
      const db = await run('mariadb', ['-h', '127.0.0.1', '-P', String(apiary.ports.mysql), '-u', 'root', '-p123456', '--batch', '--skip-column-names', '-e', 'SELECT @@hostname'], { timeoutMs: 30_000 });
      assert.equal(db.code, 0, db.stderr);
      const ssrp = await askUdp(apiary.ports['mssql-browser']!, Buffer.from([0x03]));
      const mssql = /ServerName;([^;]+);/.exec(ssrp?.subarray(3).toString('latin1') ?? '')?.[1] ?? '';
      const netbios = (JSON.parse(readFileSync(join(apiary.dir, 'data', 'smb-identity.json'), 'utf8')) as { netbios_name: string }).netbios_name;
      return { smtp, mysql: db.stdout.trim(), mssql, netbios };
    } finally {
      await apiary.stop();
    }
  };
  const a = await names('127.0.0.64');
  const b = await names('127.0.0.65');
  for (const n of [a, b]) {
    // Postfix greets with the Linux host's full name, whose short name MySQL's @@hostname is.
    assert.match(n.smtp, new RegExp(`^220 ${n.mysql}\\.[a-z.]+ ESMTP Postfix \\(Debian/GNU\\)$`));
    assert.equal(n.mssql, n.netbios, 'SQL Server runs on the Windows host SMB names');
    assert.match(n.mssql, /^WIN-[A-Z0-9]{11}$/);
  }
  assert.notEqual(a.mssql, b.mssql);
});
