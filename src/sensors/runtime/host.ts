// The one machine behind every sensor of an address: when it booted and which daemons it runs. The
// CLI builds it from the config and hands it to each sensor, so the fake shell's uptime, ps and
// netstat, MySQL's Uptime and SMB's boot time tell one story (sensors never read each other).
import { createHash, randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { writeDataFile } from './data-file.js';

/** The daemons a Linux host may show for a sensor, by the program that would serve it. */
export type DaemonKind = 'sshd' | 'inetd' | 'apache2' | 'nginx' | 'mini_httpd' | 'vsftpd' | 'tftpd' | 'asterisk' | 'mysqld' | 'mariadbd';

/** One listening socket as seen from outside: the port after any firewall redirect. */
export interface HostSocket {
  proto: 'tcp' | 'udp';
  /** The bound address: 0.0.0.0 or :: for all, a loopback address, or another the host owns. */
  address: string;
  port: number;
}

export interface HostDaemon {
  kind: DaemonKind;
  /** The product version the sensor announces (the MySQL server version), where the daemon's name or unit shows it. */
  version?: string;
  /** When this daemon started (ms since the epoch): shortly after boot. */
  startMs: number;
  sockets: readonly HostSocket[];
}

export interface HostWeb {
  /**
   * The page the server answers at / when it is a file on disk (Debian's default page), with the time
   * its Last-Modified gives: the shell keeps it as /var/www/html/index.html, so `cat` and a browser agree.
   */
  index?: { html: string; mtimeMs: number };
  /** The server's own error page for STATUS, asked for as HOST:PORT. */
  errorPage(status: number, host: string, port: number): string;
}

export interface HostDescription {
  /** When the host booted (ms since the epoch). */
  bootMs: number;
  /** The Linux daemons behind the configured services (Windows services such as SMB and MSSQL are not here). */
  daemons: readonly HostDaemon[];
  /** The host's web server, as the fake shell needs it to answer `curl localhost` as the HTTP sensor would. */
  web?: HostWeb;
}

/** A system account a daemon's Debian package adds: its own user and group. */
export interface DaemonAccount {
  kind: DaemonKind;
  name: string;
  uid: number;
  gid: number;
  gecos: string;
  home: string;
}

/** The daemons whose Debian packages add an account, in the order they would have been installed. */
const ACCOUNTS: readonly Omit<DaemonAccount, 'uid' | 'gid'>[] = [
  { kind: 'vsftpd', name: 'ftp', gecos: 'ftp daemon,,,', home: '/srv/ftp' },
  { kind: 'tftpd', name: 'tftp', gecos: 'tftp daemon,,,', home: '/srv/tftp' },
  { kind: 'asterisk', name: 'asterisk', gecos: 'Asterisk PBX daemon,,,', home: '/var/lib/asterisk' },
];

/**
 * The accounts the host's daemons' packages made: users from 103 and groups from 111, after the base
 * system's (messagebus 100, sshd 101, mysql 102; groups up to mysql's 110). The fake shell's
 * /etc/passwd and the FTP listings' owners both come from here, so they agree.
 */
export function daemonAccounts(daemons: readonly Pick<HostDaemon, 'kind'>[]): DaemonAccount[] {
  return ACCOUNTS.filter((a) => daemons.some((d) => d.kind === a.kind)).map((a, i) => ({ ...a, uid: 103 + i, gid: 111 + i }));
}

/**
 * A file on the host's disk that one of its daemons serves (the FTP root's tree), so the fake shell
 * shows what that sensor lists.
 */
export interface HostFile {
  /** Absolute on the host, or below the daemon's root where a sensor builds its tree. */
  path: string;
  kind: 'dir' | 'file';
  mode: number;
  uid: number;
  gid: number;
  mtimeMs: number;
  data?: Buffer;
}

/** Uptime a host keeps across restarts of Apiary; past it the next start looks like a reboot. */
export const MAX_UPTIME_MS = 180 * 86_400_000;
/** Uptime at the first start: days to weeks, as a server picked at random has. */
export const FIRST_UPTIME_MS: readonly [number, number] = [3 * 86_400_000, 45 * 86_400_000];
/** Uptime right after a "reboot" (the boot time was too old or in the future): a server that just came back. */
export const REBOOT_UPTIME_MS: readonly [number, number] = [45_000, 180_000];

/**
 * The host's boot time, kept in PATH (`{"boot_ms": ...}`) so it stays put across restarts as a real
 * host's does until it reboots. Made on first start, and made again (a reboot just now) when the
 * stored one is older than MAX_UPTIME_MS or later than NOW (the clock went back).
 */
export function loadOrCreateBootTime(path: string, now = Date.now(), random: (min: number, max: number) => number = randomInt): number {
  let stored: number | undefined;
  try {
    const v = (JSON.parse(readFileSync(path, 'utf8')) as { boot_ms?: unknown }).boot_ms;
    if (typeof v === 'number' && Number.isSafeInteger(v)) stored = v;
  } catch {
    // first start, or an unreadable file: a new boot time below
  }
  if (stored !== undefined && stored <= now && now - stored <= MAX_UPTIME_MS) return stored;
  const [min, max] = stored === undefined ? FIRST_UPTIME_MS : REBOOT_UPTIME_MS;
  const bootMs = now - random(min, max);
  writeDataFile(path, `${JSON.stringify({ boot_ms: bootMs })}\n`);
  return bootMs;
}

/** When systemd would have started a KIND daemon on a host booted at BOOT_MS: 2-9 s later, fixed per host. */
export function daemonStartMs(bootMs: number, kind: string): number {
  const h = createHash('sha256').update(`${kind}:${bootMs}`).digest();
  return bootMs + 2000 + (h.readUInt32LE(0) % 7000);
}

/** Seconds a daemon (or host) started at START_MS has been up at NOW, at least 1. */
export function secondsSince(startMs: number, now: number): number {
  return Math.max(1, Math.floor((now - startMs) / 1000));
}
