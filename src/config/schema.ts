// The configuration schema: one YAML file, validated once at start-up, unknown keys rejected.
import { hostname } from 'node:os';
import { isIP } from 'node:net';
import { z } from 'zod';
import { COMMON_PASSWORDS } from './common-passwords.js';

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
    /** Windows version to present; unset picks one per install. */
    os: z.enum(['windows-7', 'windows-2008r2', 'windows-2008']).optional(),
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
    /** Delay before "Login incorrect", as login(1)'s FAIL_DELAY. */
    failure_delay_ms: z.number().int().min(0).max(30_000).default(1500),
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
    /** Attackers whose files are kept at most; the oldest are dropped beyond it. */
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
  })
  .strict();

export const recordingSchema = z
  .object({
    enabled: z.boolean().default(true),
    /** Bytes of one session's recording; output beyond it is not recorded. */
    max_bytes: z.number().int().min(1024).max(1024 * 1024 * 1024).default(8 * 1024 * 1024),
  })
  .strict();

export const limitsSchema = z
  .object({
    /** Open connections one source address may hold across all services. */
    per_source_connections: z.number().int().min(1).max(100_000).default(32),
    /** Open connections across all services and sources. */
    global_connections: z.number().int().min(1).max(1_000_000).default(4096),
  })
  .strict();

export const configSchema = z
  .object({
    sensor: z
      .string()
      .min(1)
      .max(128)
      .regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, ".", "_" and "-" only')
      .default(() => hostname().replace(/[^A-Za-z0-9._-]/g, '-') || 'apiary'),
    data_dir: z.string().min(1).default('./apiary-data'),
    networks: z
      .object({ internal: z.array(cidr).default([]), ignore: z.array(cidr).default([]) })
      .strict()
      .default({}),
    auth: z.array(authRule).default(DEFAULT_AUTH_RULES),
    services: z.object({ ssh: sshService.optional(), telnet: telnetService.optional(), smb: smbService.optional() }).strict().default({}),
    shell: shellSchema.default({}),
    fetch: fetchSchema.default({}),
    quarantine: quarantineSchema.default({}),
    recording: recordingSchema.default({}),
    limits: limitsSchema.default({}),
    store: z
      .object({ sqlite: z.object({ path: z.string().min(1).optional() }).strict().default({}) })
      .strict()
      .default({}),
    outputs: z
      .object({ jsonl: z.object({ path: z.string().min(1) }).strict().optional() })
      .strict()
      .default({}),
    log: z
      .object({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info') })
      .strict()
      .default({}),
  })
  .strict();

export type ConfigInput = z.input<typeof configSchema>;
export type ParsedConfig = z.infer<typeof configSchema>;
/** The validated config with paths resolved: the store path is always set. */
export type Config = Omit<ParsedConfig, 'store'> & { store: { sqlite: { path: string } } };
export type SshServiceConfig = z.infer<typeof sshService>;
export type SmbServiceConfig = z.infer<typeof smbService>;
export type AuthRuleConfig = z.infer<typeof authRule>;
export type TelnetServiceConfig = z.infer<typeof telnetService>;
export type ShellConfig = z.infer<typeof shellSchema>;
export type FetchConfig = z.infer<typeof fetchSchema>;
export type QuarantineConfig = z.infer<typeof quarantineSchema>;
export type RecordingConfig = z.infer<typeof recordingSchema>;

/** What runs when no config file is given: the SSH sensor on 2222, the store in ./apiary-data. */
export const DEFAULT_CONFIG_INPUT: ConfigInput = { services: { ssh: {} } };
