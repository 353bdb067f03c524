// The configuration schema: one YAML file, validated once at start-up, unknown keys rejected.
import { hostname } from 'node:os';
import { isIP } from 'node:net';
import { z } from 'zod';
import { HPFEEDS_CHANNELS } from '../wire/hpfeeds.js';
import { COMMON_PASSWORDS } from './common-passwords.js';
import { EVENT_TYPES } from '../events/catalogue.js';

/** "host:port" or "[v6]:port"; the host must be an IP literal so nothing is resolved at start-up. */
export const listenAddress = z.string().superRefine((s, ctx) => {
  const parsed = parseListenAddress(s);
  if (typeof parsed === 'string') ctx.addIssue({ code: z.ZodIssueCode.custom, message: parsed });
});

export interface ListenAddress {
  host: string;
  port: number;
}

/** Parses "0.0.0.0:2222" or "[::]:2222"; returns an explanation string when it cannot. */
export function parseListenAddress(s: string): ListenAddress | string {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,6})$/.exec(s);
  if (!m) return `expected "HOST:PORT" such as "0.0.0.0:2222" or "[::]:2222", got ${JSON.stringify(s)}`;
  const host = (m[1] ?? m[2])!;
  const port = Number(m[3]);
  if (!isIP(host)) return `host ${JSON.stringify(host)} is not an IP address (use 0.0.0.0, :: or an address of this machine)`;
  if (port > 65535) return `port ${port} is out of range; expected 1-65535 (or 0 for any free port)`;
  return { host, port };
}

const cidr = z.string().superRefine((s, ctx) => {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(s);
  const family = m ? isIP(m[1]!) : 0;
  const bits = m ? Number(m[2]) : -1;
  if (!m || family === 0 || bits > (family === 4 ? 32 : 128)) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: `expected a CIDR range such as "10.0.0.0/8" or "fd00::/8", got ${JSON.stringify(s)}` });
  }
});

/** A user or password pattern: exact text, "*" (anything), "/regex/flags", or any of these after "!" (negation). */
export const pattern = z.string().max(1024).superRefine((s, ctx) => {
  const body = s.startsWith('!') ? s.slice(1) : s;
  const m = /^\/(.*)\/([a-z]*)$/s.exec(body);
  if (m) {
    try {
      new RegExp(m[1]!, m[2]);
    } catch (err) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: `invalid regular expression ${body}: ${(err as Error).message}` });
    }
  }
});

export const authRule = z
  .object({
    user: pattern.default('*'),
    password: z.union([pattern, z.array(pattern).min(1)]).default('*'),
    allow: z.boolean().default(true),
  })
  .strict();

export const DEFAULT_AUTH_RULES: z.input<typeof authRule>[] = [
  { user: 'root', password: [...COMMON_PASSWORDS], allow: true },
  { user: 'admin', password: [...COMMON_PASSWORDS], allow: true },
];

const seconds = (def: number, max: number) => z.number().min(0).max(max).default(def);

export const sshService = z
  .object({
    enabled: z.boolean().default(true),
    listen: z.array(listenAddress).min(1).default(['0.0.0.0:2222']),
    /** The identification line without "SSH-2.0-" (what `ssh -v` shows as the remote software). */
    version: z
      .string()
      .regex(/^[\x21-\x2c\x2e-\x7e]+(?: [\x20-\x7e]+)?$/, 'printable ASCII, no "-" in the software part, e.g. "OpenSSH_9.2p1 Debian-2+deb12u3"')
      .max(200)
      .default('OpenSSH_9.2p1 Debian-2+deb12u3'),
    /** Delay before a failed login is answered, as sshd's failure delay; 0 turns it off. */
    failure_delay_ms: z.number().int().min(0).max(30_000).default(250),
    /** Attempts allowed on one connection before it is closed (sshd's MaxAuthTries). */
    max_auth_tries: z.number().int().min(1).max(10_000).default(6),
    /** Seconds a client may take to log in (sshd's LoginGraceTime). */
    login_grace_s: seconds(120, 3600),
    idle_timeout_s: seconds(300, 86_400),
    session_timeout_s: seconds(3600, 86_400),
  })
  .strict();

const smbName = (max: number, what: string) =>
  z
    .string()
    .min(1)
    .max(max)
    .regex(/^[A-Za-z0-9!#$%&'()^_{}~-]+$/, `${what}: letters, digits and NetBIOS-safe punctuation, no spaces or dots`);

/** The SMB sensor (Windows file sharing on 445 and 139) with DCE/RPC and exploit capture. */
export const smbService = z
  .object({
    enabled: z.boolean().default(true),
    /** Direct SMB (TCP 445). */
    listen: z.array(listenAddress).min(1).default(['0.0.0.0:445']),
    /** NetBIOS session service (TCP 139); empty turns it off. */
    netbios_listen: z.array(listenAddress).default(['0.0.0.0:139']),
    /** DCE/RPC endpoint mapper (TCP 135); empty turns it off. */
    epmap_listen: z.array(listenAddress).default([]),
    /** The computer name; unset picks a random "WIN-XXXXXXXXXXX" once per install (kept in data_dir). */
    netbios_name: smbName(15, 'netbios_name').optional(),
    workgroup: smbName(15, 'workgroup').default('WORKGROUP'),
    /** DNS domain shown in NTLM target info; empty means a workgroup machine. */
    dns_domain: z.string().max(255).regex(/^[A-Za-z0-9.-]*$/).default(''),
    /**
     * Windows version to present (the profiles of src/sensors/smb/identity.ts); unset picks one of the
     * 2008 SP1 (build 6001) editions per install. The later builds answer MS08-067's check as patched.
     */
    os: z.enum(['windows-2008-sp1', 'windows-2008-sp1-enterprise', 'windows-2008', 'windows-2008r2', 'windows-7']).optional(),
    /** Override the NativeOS / NativeLanMan strings of the chosen version. */
    native_os: z.string().min(1).max(128).optional(),
    native_lanman: z.string().min(1).max(128).optional(),
    /** 32 hex digits; unset picks a random GUID once per install. */
    server_guid: z.string().regex(/^[0-9a-fA-F]{32}$/).optional(),
    /** The writable disk share (besides IPC$, ADMIN$ and C$); files written to it go to quarantine. */
    share: z
      .object({ name: smbName(80, 'share.name').default('Public'), comment: z.string().max(256).default(''), writable: z.boolean().default(true) })
      .strict()
      .default({}),
    /** Logons that are neither anonymous nor "guest" succeed as guest (Windows with the guest account on); false answers LOGON_FAILURE. */
    guest_fallback: z.boolean().default(true),
    /**
     * How a DoublePulsar ping is answered: "installed" always, only after the same source ran the
     * EternalBlue sequence (so a worm's upload that follows is captured), or never.
     */
    doublepulsar: z.enum(['always', 'after_eternalblue', 'never']).default('after_eternalblue'),
    /** Largest file kept from one upload (bytes beyond it are dropped and the upload marked truncated). */
    max_upload_bytes: z.number().int().min(1024).max(1024 * 1024 * 1024).default(16 * 1024 * 1024),
    idle_timeout_s: seconds(120, 86_400),
    session_timeout_s: seconds(1800, 86_400),
  })
  .strict();

export const telnetService = z
  .object({
    enabled: z.boolean().default(true),
    listen: z.array(listenAddress).min(1).default(['0.0.0.0:2323']),
    /** Failed logins before the connection is closed. One, as many IoT telnetds: bots try one pair per connection, and brute-forcers such as hydra lose track of pairs on a reused connection. */
    max_auth_tries: z.number().int().min(1).max(10_000).default(1),
    /** Delay before "Login incorrect": Debian 12's pam_faildelay (3 s), spread over 0.5x-1.5x as libpam does. */
    failure_delay_ms: z.number().int().min(0).max(30_000).default(3000),
    /**
     * Seconds to wait for the client's answers to telnetd's option requests before the host line and
     * login prompt come anyway (bots that never answer options are still recorded); 0 waits as
     * Debian's telnetd does, until the idle timeout.
     */
    negotiation_timeout_s: z.number().min(0).max(3600).default(5),
    login_grace_s: seconds(60, 3600),
    idle_timeout_s: seconds(300, 86_400),
    session_timeout_s: seconds(3600, 86_400),
  })
  .strict();

const honeytokenSchema = z
  .object({
    kind: z.enum(['mysql', 'ssh', 'app_db', 'api_key']),
    username: z.string().min(1).max(128),
    secret: z.string().min(1).max(256),
    host: z.string().max(255).optional(),
  })
  .strict();

/** The fake system behind the SSH and Telnet logins. */
export const shellSchema = z
  .object({
    /** Seed for the generated machine (hostname, users, hardware, addresses). Empty: one is made on first start and kept in DATA_DIR/shell/seed. */
    seed: z.string().max(256).optional(),
    /** Overrides the generated hostname. */
    hostname: z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9-]{0,62}$/, 'a host name: letters, digits and "-"').optional(),
    /** Bytes one attacker (source address) may write into the fake filesystem. */
    quota_bytes: z.number().int().min(0).max(1024 * 1024 * 1024).default(16 * 1024 * 1024),
    /** Files and directories one attacker may create or change. */
    quota_entries: z.number().int().min(0).max(1_000_000).default(2000),
    /** An attacker's files are forgotten this long after their first write (0: kept until `apiary shell-reset`). */
    reset_after_s: z.number().int().min(0).max(365 * 86_400).default(7 * 86_400),
    /** Attackers whose files are kept at most; past it the oldest are dropped, down to nine tenths of it. */
    max_attackers: z.number().int().min(1).max(1_000_000).default(5000),
    /** Decoy credentials planted in the fake system; omitted: three generated from the seed; []: none. */
    honeytokens: z.array(honeytokenSchema).max(64).optional(),
  })
  .strict();

/** Downloads on attackers' behalf (wget/curl/tftp in the shell, and other sensors). Off by default. */
export const fetchSchema = z
  .object({
    enabled: z.boolean().default(false),
    max_bytes: z.number().int().min(1).max(1024 * 1024 * 1024).default(8 * 1024 * 1024),
    timeout_s: z.number().min(0.1).max(600).default(20),
    per_source_per_minute: z.number().int().min(1).max(10_000).default(5),
    /** Private/loopback/link-local ranges fetching may reach anyway (e.g. a lab network). */
    allow_cidrs: z.array(cidr).default([]),
  })
  .strict();

export const quarantineSchema = z
  .object({
    max_file_bytes: z.number().int().min(1).max(4 * 1024 * 1024 * 1024).default(64 * 1024 * 1024),
    max_total_bytes: z.number().int().min(1).max(1024 * 1024 * 1024 * 1024).default(4 * 1024 * 1024 * 1024),
    /** Space the files one source (an address, or an IPv6 /64) brings may take; unset: an eighth of max_total_bytes. */
    max_source_bytes: z.number().int().min(1).max(1024 * 1024 * 1024 * 1024).optional(),
  })
  .strict()
  .superRefine((q, ctx) => {
    if (q.max_source_bytes !== undefined && q.max_source_bytes > q.max_total_bytes)
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['max_source_bytes'],
        message: `quarantine.max_source_bytes (${q.max_source_bytes}) is more than quarantine.max_total_bytes (${q.max_total_bytes}); set it at most that, or leave it out for an eighth of it`,
      });
  });

export const recordingSchema = z
  .object({
    enabled: z.boolean().default(true),
    /** Bytes of one session's recording; output beyond it is not recorded. */
    max_bytes: z.number().int().min(1024).max(1024 * 1024 * 1024).default(8 * 1024 * 1024),
    /** Bytes all recordings of the process may take on disk; past it sessions are not recorded. */
    max_total_bytes: z.number().int().min(1024 * 1024).max(1024 * 1024 * 1024 * 1024).default(4 * 1024 * 1024 * 1024),
  })
  .strict();

/** The host name in the stock Postfix greeting; the install's host name (the fake shell's, with its domain) replaces it. */
export const DEFAULT_MAIL_HOST = 'mail.localdomain';
/**
 * Stock greetings of Debian 12's Postfix 3.7 and Dovecot 2.3 (as a client not on the server's own
 * address sees them: IMAP plaintext login disabled), and of a VNC server.
 */
export const DEFAULT_PORT_BANNERS: Readonly<Record<string, string>> = Object.freeze({
  '25': `220 ${DEFAULT_MAIL_HOST} ESMTP Postfix (Debian/GNU)\r\n`,
  '110': '+OK Dovecot (Debian) ready.\r\n',
  '143': '* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ STARTTLS LOGINDISABLED] Dovecot (Debian) ready.\r\n',
  '5900': 'RFB 003.008\n',
});

/** Port listeners (issue 6): record the first bytes sent to ports nothing serves. */
export const portsService = z
  .object({
    enabled: z.boolean().default(true),
    /** Empty: ports 23, 25, 110, 143, 1080, 3389, 5900, 6667, 8080 on 0.0.0.0, less those another service uses. */
    listen: z.array(listenAddress).default([]),
    /** Text sent on connect, by listening port (what the product would greet with). */
    banners: z
      .record(z.string().regex(/^\d{1,5}$/, 'a port number'), z.string().max(1024))
      .default(() => ({ ...DEFAULT_PORT_BANNERS })),
    /** Seconds to wait for a client's first bytes before recording the probe and closing. */
    read_timeout_s: z.number().min(0.1).max(300).default(5),
  })
  .strict();

/** Decoy web sites (issue 6). */
export const httpService = z
  .object({
    enabled: z.boolean().default(true),
    listen: z.array(listenAddress).default(['0.0.0.0:8080']),
    /** HTTPS addresses; the certificate is generated once per install under DATA_DIR/tls. */
    tls_listen: z.array(listenAddress).default([]),
    /** The decoy: a stock Apache page, a WordPress or phpMyAdmin login, or a NAS or router login. */
    site: z.enum(['apache-default', 'wordpress', 'phpmyadmin', 'nas-login', 'router-login']).default('apache-default'),
    /** Host name used in generated pages, trap files and the certificate. */
    server_name: z.string().regex(/^[A-Za-z0-9.-]{1,253}$/, 'a host name').default('www.localdomain'),
    /** Request bodies beyond this are counted and hashed as far as kept, not stored. */
    max_body_bytes: z.number().int().min(0).max(64 * 1024 * 1024).default(1024 * 1024),
    /** Largest request head (request line plus headers), Node's maxHeaderSize. */
    max_header_bytes: z.number().int().min(1024).max(65_536).default(8192),
    /** Seconds a client may take to send the request head (slowloris defence). */
    headers_timeout_s: z.number().min(1).max(600).default(20),
    request_timeout_s: z.number().min(1).max(3600).default(60),
    keep_alive_timeout_s: z.number().min(0).max(600).default(5),
    idle_timeout_s: seconds(60, 86_400),
  })
  .strict();

/** Decoy FTP server (issue 6). */
export const ftpService = z
  .object({
    enabled: z.boolean().default(true),
    listen: z.array(listenAddress).default(['0.0.0.0:2121']),
    /** The greeting after "220 ". */
    banner: z.string().regex(/^[\x20-\x7e]{1,200}$/, 'printable ASCII').default('(vsFTPd 3.0.3)'),
    /** Whether "anonymous"/"ftp" logs in with any password (vsftpd anonymous_enable). */
    anonymous: z.boolean().default(true),
    /** Address given in PASV replies; default: the address the client connected to. */
    passive_address: z.string().ip({ version: 'v4' }).optional(),
    max_upload_bytes: z.number().int().min(0).max(1024 * 1024 * 1024).default(16 * 1024 * 1024),
    /** Failed logins before the connection is closed (vsftpd max_login_fails). */
    max_login_fails: z.number().int().min(1).max(1000).default(3),
    /**
     * Pause before "530 Login incorrect.", varied by FAILURE_DELAY_SPREAD either way: vsftpd's
     * delay_failed_login (1 s) plus PAM's pam_unix delay (2 s, randomised), 2.8-3.8 s on Debian 12.
     */
    failure_delay_ms: z.number().int().min(0).max(30_000).default(3300),
    idle_timeout_s: seconds(300, 86_400),
    session_timeout_s: seconds(3600, 86_400),
  })
  .strict();

/** Decoy TFTP server over UDP (issue 6). */
export const tftpService = z
  .object({
    enabled: z.boolean().default(true),
    listen: z.array(listenAddress).default(['0.0.0.0:6969']),
    max_upload_bytes: z.number().int().min(0).max(32 * 1024 * 1024).default(8 * 1024 * 1024),
  })
  .strict();

/** Decoy SIP PBX over UDP and TCP (issue 6). */
export const sipService = z
  .object({
    enabled: z.boolean().default(true),
    /** Each address is served on UDP and on TCP. */
    listen: z.array(listenAddress).default(['0.0.0.0:5060']),
    /** The User-Agent / Server header of a real PBX. */
    user_agent: z.string().regex(/^[\x20-\x7e]{1,200}$/, 'printable ASCII').default('FPBX-16.0.40.7(18.20.0)'),
    /** Digest realm offered in REGISTER and INVITE challenges. */
    realm: z.string().regex(/^[\x21-\x7e]{1,100}$/).default('asterisk'),
  })
  .strict();

/** Settings shared by the decoy databases (MySQL and MSSQL serve the same generated data). */
export const decoyDataSchema = z
  .object({
    /** Name of the fake application database; chosen per install from the seed when unset. */
    database: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'a database name: letters, digits and "_", at most 64').optional(),
    /** Seconds between resets of every attacker change back to the generated data; 0 never resets. */
    reset_interval_s: seconds(3600, 30 * 86_400),
  })
  .strict();

export const mysqlService = z
  .object({
    enabled: z.boolean().default(true),
    listen: z.array(listenAddress).min(1).default(['0.0.0.0:3306']),
    /** Server version in the greeting and @@version, e.g. "8.0.36", "5.7.44-log" (as nmap -sV shows it). */
    version: z
      .string()
      .regex(/^[0-9][\x21-\x7e]{0,59}$/, 'printable ASCII starting with a digit, e.g. "8.0.36" or "5.7.44-log"')
      .default('8.0.36'),
    /** @@version_comment; defaults to the MySQL Community Server wording for the version. */
    version_comment: z.string().max(200).optional(),
    /** @@hostname the decoy reports. Unset: the install's host name, the one the fake shell shows (one host, one name). */
    hostname: z.string().regex(/^[A-Za-z0-9.-]{1,63}$/).optional(),
    /**
     * Authentication plugin named in the greeting; by default caching_sha2_password for 8.x versions
     * (clients whose password is not a known one are asked for full authentication and send it
     * RSA-encrypted, so it is recovered in plaintext) and mysql_native_password for 5.x.
     */
    auth_plugin: z.enum(['mysql_native_password', 'caching_sha2_password']).optional(),
    /** Delay before a failed login is answered; 0 answers at once as mysqld does. */
    failure_delay_ms: z.number().int().min(0).max(30_000).default(0),
    /** Seconds a client may take to log in (mysqld's connect_timeout). */
    login_timeout_s: seconds(10, 3600),
    idle_timeout_s: seconds(600, 86_400),
    session_timeout_s: seconds(3600, 86_400),
  })
  .strict();

export const mssqlService = z
  .object({
    enabled: z.boolean().default(true),
    listen: z.array(listenAddress).min(1).default(['0.0.0.0:1433']),
    /** Product version in PRELOGIN, LOGINACK and SERVERPROPERTY, e.g. "15.0.4322.2" (SQL Server 2019 CU22). */
    version: z
      .string()
      .regex(/^\d{1,3}\.\d{1,3}\.\d{1,5}(?:\.\d{1,5})?$/, 'a version such as "15.0.4322.2"')
      .default('15.0.4322.2'),
    /** The full @@VERSION text; defaults to SQL Server 2019 Standard on Windows Server 2019 with the version above. */
    version_string: z.string().max(1000).optional(),
    /**
     * Host name the server reports (@@SERVERNAME, SSRP ServerName). Unset: the Windows host's NetBIOS
     * name, made per install and kept in DATA_DIR/smb-identity.json, so SMB and MSSQL name one machine.
     */
    server_name: z.string().regex(/^[A-Za-z0-9-]{1,15}$/, 'a NetBIOS-style name: letters, digits and "-", at most 15').optional(),
    /** Instance name (MSSQLSERVER is the default instance). */
    instance: z.string().regex(/^[A-Za-z0-9_$]{1,16}$/).default('MSSQLSERVER'),
    /** DNS domain shown by the fake ipconfig/systeminfo behind xp_cmdshell. */
    domain: z.string().regex(/^[A-Za-z0-9.-]{1,100}$/).default('corp.local'),
    failure_delay_ms: z.number().int().min(0).max(30_000).default(0),
    login_timeout_s: seconds(30, 3600),
    idle_timeout_s: seconds(600, 86_400),
    session_timeout_s: seconds(3600, 86_400),
    /** SQL Server Browser (SSRP) on UDP: answers instance enumeration, rate-limited per source. */
    browser: z
      .object({ enabled: z.boolean().default(true), listen: z.array(listenAddress).min(1).default(['0.0.0.0:1434']) })
      .strict()
      .default({}),
  })
  .strict();

const asNumber = z.number().int().min(0).max(4_294_967_295);
const countryCode = z.string().regex(/^[A-Z]{2}$/, 'an ISO 3166-1 alpha-2 code in capitals, e.g. "ES"');

/** A syslog receiver (alerts, and the event output): an IP address, never a name to resolve. */
const syslogSchema = z
  .object({
    host: z.string().refine((h) => isIP(h) !== 0, 'an IP address (no name is resolved)'),
    port: z.number().int().min(1).max(65535).default(514),
    protocol: z.enum(['udp', 'tcp']).default('udp'),
    format: z.enum(['rfc5424', 'cef']).default('rfc5424'),
    /** Syslog facility number (16 = local0). */
    facility: z.number().int().min(0).max(23).default(16),
  })
  .strict();

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date such as 2023-04-04');

export const geoipSchema = z
  .object({
    /** A GeoLite2/GeoIP2 Country or City .mmdb; the shipped free database when unset. */
    country_db: z.string().min(1).optional(),
    /** A GeoLite2/GeoIP2 ASN .mmdb; the shipped free ASN table when unset. */
    asn_db: z.string().min(1).optional(),
    /** CIDR ranges mapped to a country, ASN or site name; they win over the databases. */
    overrides: z
      .array(
        z
          .object({ cidr, country: countryCode.optional(), asn: asNumber.optional(), as_org: z.string().max(200).optional(), site: z.string().min(1).max(200).optional() })
          .strict(),
      )
      .default([]),
  })
  .strict();

export const countryGroupSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,39}$/, 'lowercase letters, digits, "_" and "-", e.g. "five-eyes"'),
    description: z.string().max(200).default(''),
    /** "XX" (always a member) or { country, since, until } for a spell of membership. */
    members: z
      .array(z.union([countryCode, z.object({ country: countryCode, since: isoDate.optional(), until: isoDate.optional() }).strict()]))
      .min(1),
  })
  .strict();

export const incidentsSchema = z
  .object({
    /** A source quiet for this long starts a new incident when it comes back. */
    quiet_gap_s: z.number().int().min(1).max(30 * 86_400).default(3600),
  })
  .strict();

export const severity = z.enum(['low', 'medium', 'high', 'critical']);

export const alertsSchema = z
  .object({
    /** Incidents at or above this severity are alerted; internal sources are always alerted. */
    min_severity: severity.default('high'),
    /**
     * Incidents whose last event is older than this many hours are not alerted (0: any age): imported
     * years of old logs are history, not something to act on now. A sensor's spool delivered after an
     * outage of days is still within it.
     */
    max_age_h: z.number().int().min(0).max(100 * 365 * 24).default(168),
    /** A warn-level log line per alert. */
    log: z.boolean().default(true),
    webhook: z
      .object({
        url: z.string().url().refine((u) => /^https?:/.test(u), 'an http:// or https:// URL'),
        timeout_ms: z.number().int().min(100).max(60_000).default(3000),
        /** Further tries after a failure (network error or non-2xx answer). */
        retries: z.number().int().min(0).max(10).default(3),
        headers: z.record(z.string().max(4096)).default({}),
      })
      .strict()
      .optional(),
    syslog: syslogSchema.optional(),
    rate_limit: z
      .object({
        /** Alerts one source address may raise per hour. */
        per_source_per_hour: z.number().int().min(1).max(100_000).default(10),
        /** Alerts per minute over all sources. */
        global_per_minute: z.number().int().min(1).max(100_000).default(60),
      })
      .strict()
      .default({}),
    /** Sources never alerted (they are still recorded and counted). */
    ignore: z.array(cidr).default([]),
  })
  .strict();

export const limitsSchema = z
  .object({
    /** Open connections one source address may hold across all services. */
    per_source_connections: z.number().int().min(1).max(100_000).default(32),
    /** Open connections across all services and sources. */
    global_connections: z.number().int().min(1).max(1_000_000).default(4096),
    /** UDP datagrams accepted from one source per second (TFTP, SIP, the SQL Server Browser); more are dropped and counted. */
    udp_datagrams_per_source_s: z.number().int().min(1).max(1_000_000).default(100),
    /** UDP sources (flows) tracked at once; datagrams from new sources beyond it are dropped. */
    udp_flows: z.number().int().min(1).max(1_000_000).default(10_000),
    /** New TCP connections one source (an address, or an IPv6 /64) may open per second, with bursts of ten seconds' worth. */
    source_connections_s: z.number().int().min(1).max(10_000_000).default(100),
    /** HTTP requests one source may make per second (bursts of ten seconds' worth) before they are counted instead of each recorded. */
    source_requests_s: z.number().int().min(1).max(10_000_000).default(20),
    /**
     * Events one source (an address, or an IPv6 /64) may record per second, and their bytes, with bursts
     * of ten seconds' worth; past it they are counted in connection.limited (event_rate) instead.
     */
    source_events_s: z.number().int().min(1).max(10_000_000).default(500),
    source_event_bytes_s: z.number().int().min(1024).max(1024 ** 3).default(1024 * 1024),
    /** The same over all sources: what the store is asked to take at most. */
    global_events_s: z.number().int().min(1).max(10_000_000).default(20_000),
    global_event_bytes_s: z.number().int().min(1024).max(1024 ** 3).default(32 * 1024 * 1024),
    /**
     * MySQL caching_sha2_password passwords recovered by RSA decryption (about 1 ms of CPU each) per
     * second, per source (an address, or an IPv6 /64) and over all sources, with bursts of one second's
     * worth. Past them a refused login is answered the same, its password kept encrypted in the event.
     */
    source_rsa_decryptions_s: z.number().int().min(1).max(100_000).default(20),
    global_rsa_decryptions_s: z.number().int().min(1).max(100_000).default(100),
    /** The same for MySQL scrambles tried against the weak-password list (0.05 to 0.5 ms each); past them the scramble is kept as a hash. */
    source_wordlist_checks_s: z.number().int().min(1).max(1_000_000).default(50),
    global_wordlist_checks_s: z.number().int().min(1).max(1_000_000).default(250),
  })
  .strict();

/** The web dashboard (issue 9): HTTPS on localhost by default, behind a login. */
export const dashboardSchema = z
  .object({
    enabled: z.boolean().default(true),
    /** Where the dashboard listens (8444: the collector's ingest has 8443); keep it off a sensor's public address unless you mean it. */
    listen: listenAddress.default('127.0.0.1:8444'),
    /** PEM certificate and key files; when unset a self-signed pair is generated in DATA_DIR/dashboard-tls. */
    tls_cert: z.string().min(1).optional(),
    tls_key: z.string().min(1).optional(),
    /** The first admin's password; when unset (and APIARY_ADMIN_PASSWORD is unset) a one-time set-up token is printed at start. */
    admin_password: z.string().min(12).max(1024).optional(),
    /** A login session ends after this many seconds without a request. */
    session_idle_s: z.number().int().min(1).max(30 * 86_400).default(1800),
    /** Failed logins from one address (or for one user name) in 15 minutes before further attempts are refused for a while. */
    login_failures: z.number().int().min(1).max(1000).default(5),
    /** Seconds a period's figures (overview, credentials, ports, malware) are served before they are counted again. */
    refresh_s: z.number().int().min(1).max(3600).default(30),
    /** The read-only SQL console's limits. */
    query_timeout_ms: z.number().int().min(100).max(60_000).default(3000),
    query_max_rows: z.number().int().min(1).max(100_000).default(1000),
    /**
     * Connections one address (or IPv6 /64) may hold at once; past it a new one is closed before TLS.
     * Users behind one NAT or proxy share it: raise it to what their browsers keep (six or so each).
     */
    max_connections_per_source: z
      .number()
      .int()
      .min(1, 'must be at least 1 (0 would keep every address out); raise it')
      .max(256, 'must be at most 256, the connections the whole dashboard holds; lower it')
      .default(32),
  })
  .strict()
  .superRefine((d, ctx) => {
    if ((d.tls_cert === undefined) !== (d.tls_key === undefined)) ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'set both tls_cert and tls_key, or neither' });
  });

/** The PostgreSQL store of a honeynet (store.kind: postgres). */
export const postgresStoreSchema = z
  .object({
    /** postgres://USER[:PASSWORD]@HOST:PORT/DB (?sslmode=require for TLS); PGPASSWORD etc. apply too. */
    url: z.string().min(1),
    /** Connections each process keeps to the database. */
    pool_size: z.number().int().min(1).max(100).default(8),
    /** One event partition per day or per month. */
    partition: z.enum(['day', 'month']).default('month'),
    /** Partitions older than this are folded into daily aggregates and dropped (unset = keep everything). */
    retention_days: z.number().int().min(1).max(36_500).optional(),
  })
  .strict();

const byteSize = (def: number) => z.number().int().min(1024).max(2 ** 50).default(def);

/** `apiary sensor`: where the spool is, where it ships to, and what it drops when full. */
export const shipperSchema = z
  .object({
    /** The collector's base URL, e.g. https://192.0.2.10:8443. */
    collector: z.string().url({ message: "not a URL: write it as https://HOST:PORT, the collector's address and port" }).optional(),
    /** The durable spool (default DATA_DIR/spool). */
    spool_dir: z.string().min(1).optional(),
    /** Spool size cap; reaching it raises an alert and drops by drop_policy. */
    spool_max_bytes: byteSize(1024 ** 3),
    /** What goes when the spool is full: the oldest unshipped batches, or new events. */
    drop_policy: z.enum(['oldest', 'newest']).default('oldest'),
    /** Events per shipped batch at most. */
    batch_events: z.number().int().min(1).max(50_000).default(5000),
    /** Batches in flight at once; the collector commits them in parallel. */
    parallel_batches: z.number().int().min(1).max(16).default(2),
    /** Longest wait (ms) before a recorded event is fsync'd and counted (group commit). */
    sync_interval_ms: z.number().int().min(1).max(10_000).default(20),
    /** Seconds between heartbeats. */
    heartbeat_s: z.number().min(0.1).max(3600).default(10),
    /** Longest pause between retries while the collector cannot be reached. */
    max_backoff_s: z.number().min(0.1).max(3600).default(30),
  })
  .strict();

/** `apiary collector`: the HTTPS ingest endpoint and its certificate authority. */
export const collectorSchema = z
  .object({
    listen: listenAddress.default('0.0.0.0:8443'),
    /** The CA that signs sensor certificates and the collector's own (default DATA_DIR/ca); share it between collectors. */
    ca_dir: z.string().min(1).optional(),
    /** IP addresses and DNS names in the collector's server certificate (sensors connect to one of them). */
    server_names: z.array(z.string().min(1).max(253)).default(['127.0.0.1']),
    /** A sensor with no heartbeat for this long raises a sensor.silent alert. */
    silent_after_s: z.number().min(1).max(86_400).default(120),
    /** Largest compressed batch accepted (it may inflate to 8 times this). */
    max_batch_bytes: byteSize(8 * 1024 ** 2),
    /** How long an enrolment token stays valid. */
    token_ttl_s: z.number().int().min(60).max(30 * 86_400).default(86_400),
    /**
     * Connections one address (or IPv6 /64) may hold at once. Behind a TCP load balancer every
     * sensor's connections come from the balancer's address: raise it to the sensors' total.
     */
    max_connections_per_source: z.number().int().min(1).max(4096).default(256),
  })
  .strict();

/** Sensor names as the config's `sensor` takes them. */
const sensorName = z.string().min(1).max(128).regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, ".", "_" and "-" only');

/** `inputs.hpfeeds`: an hpfeeds broker endpoint for Cowrie's and Dionaea's hpfeeds outputs. */
export const hpfeedsInputSchema = z
  .object({
    listen: z.array(listenAddress).min(1).default(['0.0.0.0:10000']),
    /** The broker name sent to publishers. */
    name: z.string().min(1).max(255).regex(/^[\x20-\x7e]+$/, 'printable ASCII').default('apiary'),
    /** PEM files: TLS instead of plain TCP (Cowrie's tlscert option trusts this certificate). */
    tls: z.object({ cert: z.string().min(1), key: z.string().min(1) }).strict().optional(),
    max_connections: z.number().int().min(1).max(10_000).default(64),
    /** One entry per publishing honeypot: its ident and secret as in its hpfeeds settings. */
    feeds: z
      .array(
        z
          .object({
            ident: z.string().min(1).max(254).regex(/^[\x20-\x7e]+$/, 'printable ASCII'),
            /** Printable ASCII: Cowrie's client hashes the secret as UTF-8, Dionaea's as latin1; they agree only there. */
            secret: z.string().min(1).max(4096).regex(/^[\x20-\x7e]+$/, 'printable ASCII (Cowrie and Dionaea encode other characters differently)'),
            /** The sensor name its events are stored under (default: the ident, with other characters as "-"). */
            sensor: sensorName.optional(),
            channels: z.array(z.enum(HPFEEDS_CHANNELS)).min(1).default([...HPFEEDS_CHANNELS]),
          })
          .strict(),
      )
      .min(1)
      .superRefine((feeds, ctx) => {
        const seen = new Set<string>();
        feeds.forEach((f, i) => {
          if (seen.has(f.ident)) ctx.addIssue({ code: z.ZodIssueCode.custom, path: [i, 'ident'], message: `ident ${JSON.stringify(f.ident)} is listed twice; give each honeypot its own` });
          seen.add(f.ident);
        });
      }),
  })
  .strict();

export const configSchema = z
  .object({
    sensor: sensorName.default(() => hostname().replace(/[^A-Za-z0-9._-]/g, '-') || 'apiary'),
    data_dir: z.string().min(1).default('./apiary-data'),
    networks: z
      .object({
        internal: z.array(cidr).default([]),
        ignore: z.array(cidr).default([]),
        /** The organisation's own AS numbers: a source in one of them is internal too. */
        internal_asns: z.array(asNumber).default([]),
      })
      .strict()
      .default({}),
    geoip: geoipSchema.default({}),
    country_groups: z.array(countryGroupSchema).default([]),
    incidents: incidentsSchema.default({}),
    alerts: alertsSchema.default({}),
    auth: z.array(authRule).default(DEFAULT_AUTH_RULES),
    services: z
      .object({
        ssh: sshService.optional(),
        telnet: telnetService.optional(),
        ports: portsService.optional(),
        http: httpService.optional(),
        ftp: ftpService.optional(),
        tftp: tftpService.optional(),
        sip: sipService.optional(),
        mysql: mysqlService.optional(),
        mssql: mssqlService.optional(),
        smb: smbService.optional(),
      })
      .strict()
      .default({}),
    shell: shellSchema.default({}),
    fetch: fetchSchema.default({}),
    quarantine: quarantineSchema.default({}),
    recording: recordingSchema.default({}),
    /** The decoy data the database sensors serve. */
    decoy: decoyDataSchema.default({}),
    limits: limitsSchema.default({}),
    store: z
      .object({
        /** sqlite (one file, the default) or postgres (a honeynet's shared database). */
        kind: z.enum(['sqlite', 'postgres']).default('sqlite'),
        sqlite: z.object({ path: z.string().min(1).optional() }).strict().default({}),
        postgres: postgresStoreSchema.optional(),
      })
      .strict()
      .default({})
      .superRefine((s, ctx) => {
        if (s.kind === 'postgres' && !s.postgres) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['postgres'], message: 'store.kind is postgres: set store.postgres.url' });
      }),
    shipper: shipperSchema.default({}),
    collector: collectorSchema.default({}),
    /** Events that other honeypots publish to Apiary. */
    inputs: z.object({ hpfeeds: hpfeedsInputSchema.optional() }).strict().default({}),
    outputs: z
      .object({
        jsonl: z.object({ path: z.string().min(1) }).strict().optional(),
        /** SSH and Telnet events as Cowrie 3.x JSON lines, for tools built for Cowrie. */
        cowrie_json: z.object({ path: z.string().min(1) }).strict().optional(),
        /** Every committed event (or those of `types`) to a SIEM over syslog, RFC 5424 or CEF. */
        syslog: syslogSchema
          .extend({
            types: z
              .array(z.string().refine((t) => (EVENT_TYPES as readonly string[]).includes(t), 'an event type of docs/events.md'))
              .min(1)
              .optional(),
          })
          .strict()
          .optional(),
      })
      .strict()
      .default({}),
    /** The web dashboard; absent: no dashboard. */
    dashboard: dashboardSchema.optional(),
    log: z
      .object({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info') })
      .strict()
      .default({}),
  })
  .strict();

export type ConfigInput = z.input<typeof configSchema>;
export type ParsedConfig = z.infer<typeof configSchema>;
/** The validated config with paths resolved: the store path is always set. */
export type Config = Omit<ParsedConfig, 'store'> & { store: Omit<ParsedConfig['store'], 'sqlite'> & { sqlite: { path: string } } };
export type PostgresStoreConfig = z.infer<typeof postgresStoreSchema>;
export type ShipperConfig = z.infer<typeof shipperSchema>;
export type CollectorConfig = z.infer<typeof collectorSchema>;
export type SshServiceConfig = z.infer<typeof sshService>;
export type SmbServiceConfig = z.infer<typeof smbService>;
export type AuthRuleConfig = z.infer<typeof authRule>;
export type TelnetServiceConfig = z.infer<typeof telnetService>;
export type ShellConfig = z.infer<typeof shellSchema>;
export type FetchConfig = z.infer<typeof fetchSchema>;
export type QuarantineConfig = z.infer<typeof quarantineSchema>;
export type RecordingConfig = z.infer<typeof recordingSchema>;
export type PortsServiceConfig = z.infer<typeof portsService>;
export type HttpServiceConfig = z.infer<typeof httpService>;
export type FtpServiceConfig = z.infer<typeof ftpService>;
export type TftpServiceConfig = z.infer<typeof tftpService>;
export type SipServiceConfig = z.infer<typeof sipService>;

/** What runs when no config file is given: the SSH sensor on 2222, the store in ./apiary-data, the dashboard on 127.0.0.1:8444. */
export const DEFAULT_CONFIG_INPUT: ConfigInput = { services: { ssh: {} }, dashboard: {} };
export type AlertsConfig = z.infer<typeof alertsSchema>;
export type MysqlServiceConfig = z.infer<typeof mysqlService>;
export type MssqlServiceConfig = z.infer<typeof mssqlService>;
export type DecoyDataConfig = z.infer<typeof decoyDataSchema>;
export type DashboardConfig = z.infer<typeof dashboardSchema>;
