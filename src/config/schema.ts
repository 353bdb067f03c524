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

const asNumber = z.number().int().min(0).max(4_294_967_295);
const countryCode = z.string().regex(/^[A-Z]{2}$/, 'an ISO 3166-1 alpha-2 code in capitals, e.g. "ES"');
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
    syslog: z
      .object({
        host: z.string().refine((h) => isIP(h) !== 0, 'an IP address (no name is resolved)'),
        port: z.number().int().min(1).max(65535).default(514),
        protocol: z.enum(['udp', 'tcp']).default('udp'),
        format: z.enum(['rfc5424', 'cef']).default('rfc5424'),
        /** Syslog facility number (16 = local0). */
        facility: z.number().int().min(0).max(23).default(16),
      })
      .strict()
      .optional(),
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
      .object({
        internal: z.array(cidr).default([]),
        ignore: z.array(cidr).default([]),
        /** The organisation's own AS numbers: a source in one of them is internal too. */
        internal_asns: z.array(asNumber).default([]),
      })
      .strict()
      .default({}),
    auth: z.array(authRule).default(DEFAULT_AUTH_RULES),
    services: z.object({ ssh: sshService.optional() }).strict().default({}),
    limits: limitsSchema.default({}),
    store: z
      .object({ sqlite: z.object({ path: z.string().min(1).optional() }).strict().default({}) })
      .strict()
      .default({}),
    outputs: z
      .object({ jsonl: z.object({ path: z.string().min(1) }).strict().optional() })
      .strict()
      .default({}),
    geoip: geoipSchema.default({}),
    country_groups: z.array(countryGroupSchema).default([]),
    incidents: incidentsSchema.default({}),
    alerts: alertsSchema.default({}),
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
export type AuthRuleConfig = z.infer<typeof authRule>;
export type AlertsConfig = z.infer<typeof alertsSchema>;

/** What runs when no config file is given: the SSH sensor on 2222, the store in ./apiary-data. */
export const DEFAULT_CONFIG_INPUT: ConfigInput = { services: { ssh: {} } };
