// The MySQL sensor: Apiary's listener accepts, a MysqlSession per connection speaks the protocol,
// and the decoy (shared generated data, a private copy per source) answers the statements.
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createSecureContext } from 'node:tls';
import { ApiaryError } from '../../errors/errors.js';
import type { MysqlServiceConfig } from '../../config/schema.js';
import { COMMON_PASSWORDS } from '../../config/common-passwords.js';
import type { AuthPolicy } from '../runtime/auth-policy.js';
import { startTcpService, tcpServiceOptions, type TcpServiceDeps, type RunningService } from '../runtime/listener.js';
import { SharedRate } from '../runtime/token-bucket.js';
import type { DecoyState } from '../sql/decoy-state.js';
import { fetchAndRecord, type Capture } from '../runtime/capture.js';
import { fromQuarantine } from '../sql/payload-store.js';
import { attachByteSession } from '../sql/socket-glue.js';
import { MysqlSession, type RecoveryBudget } from './session.js';
import { loadOrCreateMysqlCertificates } from './tls-cert.js';

/** Password recoveries a second, per source and over all sources (limits.*_rsa_decryptions_s, limits.*_wordlist_checks_s). */
export interface RecoveryRates {
  rsa: { perSourcePerSecond: number; globalPerSecond: number };
  wordlist: { perSourcePerSecond: number; globalPerSecond: number };
}

/**
 * A second's worth at once: a burst is CPU spent at once, and a quiet process taking ten seconds'
 * worth of RSA decryptions (as the connection and event budgets allow) would stall every sensor for a second.
 */
export const RECOVERY_BURST_SECONDS = 1;
/** Sources whose recovery buckets are kept (the most recently seen). */
export const MAX_RECOVERY_SOURCES = 10_000;

export interface MysqlSensorDeps extends TcpServiceDeps {
  policy: AuthPolicy;
  decoy: DecoyState;
  /** The shared quarantine and fetch policy. */
  capture: Capture;
  /** Where the caching_sha2_password RSA key and the TLS certificates are kept (data_dir/keys/mysql). */
  keyDir: string;
  /** The CPU budget for recovering refused clients' passwords; unlimited when absent. */
  recoveryRates?: RecoveryRates;
  /** When mysqld started on the host (ms since the epoch): the Uptime it reports counts from it. */
  startedMs?: number;
  /** The port clients reach it on (@@port), when a firewall redirect puts it on another; default: the socket's. */
  publicPort?: number;
}

/** The recovery budget of the process, handed to each session bound to its source. */
function recoveryBudget(rates: RecoveryRates): (src: string) => RecoveryBudget {
  const rsa = new SharedRate({ ...rates.rsa, burstSeconds: RECOVERY_BURST_SECONDS }, MAX_RECOVERY_SOURCES);
  const wordlist = new SharedRate({ ...rates.wordlist, burstSeconds: RECOVERY_BURST_SECONDS }, MAX_RECOVERY_SOURCES);
  return (src) => ({ take: (kind) => (kind === 'rsa' ? rsa : wordlist).take(src) });
}

/** @@hostname when neither the config nor a fake shell names the host. */
export const DEFAULT_HOSTNAME = 'db01';

/** The server variables the decoy reports (SHOW VARIABLES, @@name), shaped by the configured version. */
export function mysqlVariables(cfg: MysqlServiceConfig, port: number): Record<string, string> {
  const v8 = cfg.version.startsWith('8.');
  // Debian's own MariaDB packages (a version such as 10.11.6-MariaDB-0+deb12u1) say so, as Debian 12's mariadbd does.
  const debianMariadb = /-MariaDB-.*deb12/.test(cfg.version);
  const hostname = cfg.hostname ?? DEFAULT_HOSTNAME;
  return {
    version: cfg.version,
    version_comment: cfg.version_comment ?? (debianMariadb ? 'Debian 12' : /MariaDB/.test(cfg.version) ? 'mariadb.org binary distribution' : v8 ? 'MySQL Community Server - GPL' : 'MySQL Community Server (GPL)'),
    version_compile_os: debianMariadb ? 'debian-linux-gnu' : 'Linux',
    version_compile_machine: 'x86_64',
    hostname,
    port: String(port),
    socket: debianMariadb ? '/run/mysqld/mysqld.sock' : '/var/run/mysqld/mysqld.sock',
    // Debian 12's 50-server.cnf sets pid-file = /run/mysqld/mysqld.pid (mariadbd 10.11.19 reports it so); Oracle's mysqld.cnf has /var/run.
    pid_file: debianMariadb ? '/run/mysqld/mysqld.pid' : '/var/run/mysqld/mysqld.pid',
    datadir: '/var/lib/mysql/',
    basedir: '/usr/',
    plugin_dir: '/usr/lib/mysql/plugin/',
    tmpdir: '/tmp',
    secure_file_priv: '',
    log_error: '/var/log/mysql/error.log',
    general_log: 'OFF',
    general_log_file: `/var/lib/mysql/${hostname}.log`,
    slow_query_log: 'OFF',
    max_allowed_packet: '67108864',
    max_connections: '151',
    character_set_server: v8 ? 'utf8mb4' : 'latin1',
    character_set_client: 'utf8mb4',
    character_set_connection: 'utf8mb4',
    character_set_results: 'utf8mb4',
    character_set_database: v8 ? 'utf8mb4' : 'latin1',
    collation_server: v8 ? 'utf8mb4_0900_ai_ci' : 'latin1_swedish_ci',
    collation_connection: 'utf8mb4_general_ci',
    autocommit: '1',
    sql_mode: v8
      ? 'ONLY_FULL_GROUP_BY,STRICT_TRANS_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION'
      : 'ONLY_FULL_GROUP_BY,STRICT_TRANS_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_AUTO_CREATE_USER,NO_ENGINE_SUBSTITUTION',
    time_zone: 'SYSTEM',
    system_time_zone: 'UTC',
    lower_case_table_names: '0',
    [v8 ? 'transaction_isolation' : 'tx_isolation']: 'REPEATABLE-READ',
    transaction_isolation: 'REPEATABLE-READ',
    default_authentication_plugin: authPluginFor(cfg),
    // mysqld makes its own certificates at first start, so TLS is always on (see tls-cert.ts).
    have_ssl: 'YES',
    have_openssl: 'YES',
    auto_generate_certs: 'ON',
    ssl_ca: 'ca.pem',
    ssl_cert: 'server-cert.pem',
    ssl_key: 'server-key.pem',
    ssl_cipher: '',
    tls_version: v8 ? 'TLSv1.2,TLSv1.3' : 'TLSv1,TLSv1.1,TLSv1.2',
    require_secure_transport: 'OFF',
    server_id: '1',
    interactive_timeout: '28800',
    wait_timeout: '28800',
    net_write_timeout: '60',
    innodb_version: cfg.version.replace(/-.*$/, ''),
    protocol_version: '10',
    license: 'GPL',
    read_only: 'OFF',
    skip_networking: 'OFF',
    local_infile: 'ON',
    'session.auto_increment_increment': '1',
    auto_increment_increment: '1',
    performance_schema: 'ON',
    query_cache_size: v8 ? '0' : '1048576',
    query_cache_type: 'OFF',
    init_connect: '',
  };
}

/** The greeting's plugin: as configured, else what the version's stock server uses. */
export function authPluginFor(cfg: MysqlServiceConfig): 'mysql_native_password' | 'caching_sha2_password' {
  return cfg.auth_plugin ?? (cfg.version.startsWith('5.') ? 'mysql_native_password' : 'caching_sha2_password');
}

/**
 * The RSA key pair for caching_sha2_password full authentication, kept in DIR as mysqld keeps
 * private_key.pem in its data directory: made once per install (it takes a second or more), then read.
 */
export function loadOrCreateRsaKey(dir: string): { privateKey: KeyObject; publicPem: string } {
  const path = join(dir, 'private_key.pem');
  if (existsSync(path)) {
    try {
      const privateKey = createPrivateKey(readFileSync(path));
      return { privateKey, publicPem: createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }).toString() };
    } catch {
      // unreadable or not a key: make a new one below
    }
  }
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileSync(path, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  } catch (err) {
    throw new ApiaryError('APIARY_DATA_DIR', `cannot write the MySQL RSA key ${path}: ${(err as Error).message}; check that data_dir is writable`);
  }
  return { privateKey, publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

export async function startMysqlSensor(cfg: MysqlServiceConfig, deps: MysqlSensorDeps): Promise<RunningService> {
  // caching_sha2_password full authentication needs an RSA key pair (mysqld makes one at first start too).
  const plugin = authPluginFor(cfg);
  const rsaKey = plugin === 'caching_sha2_password' ? loadOrCreateRsaKey(deps.keyDir) : undefined;
  const tls = await loadOrCreateMysqlCertificates(deps.keyDir, cfg.version);
  // MySQL 8.0.28 and later speak TLS 1.2 and 1.3 only.
  const secureContext = createSecureContext({ key: tls.key, cert: tls.cert, minVersion: 'TLSv1.2' });
  const extra = [...new Set([...COMMON_PASSWORDS, ...deps.decoy.decoy.honeytokens.map((t) => t.secret)])];
  const varsByPort = new Map<number, Record<string, string>>();
  const budgetFor = deps.recoveryRates ? recoveryBudget(deps.recoveryRates) : undefined;
  let nextConnectionId = 1000 + Math.floor(Math.random() * 40_000);
  return startTcpService({
    ...tcpServiceOptions('mysql', cfg, deps),
    onConnection(ctx) {
      const port = deps.publicPort ?? ctx.socket.localPort ?? 3306;
      let variables = varsByPort.get(port);
      if (!variables) {
        variables = mysqlVariables(cfg, port);
        varsByPort.set(port, variables);
      }
      const src = ctx.emitter.identity.src_ip;
      // connect_timeout: a client that has not logged in by then is dropped, as mysqld does.
      const session = attachByteSession(ctx, 'mysql', cfg.login_timeout_s * 1000, (io) =>
        new MysqlSession({
          emitter: ctx.emitter,
          policy: deps.policy,
          extraCandidates: extra,
          serverVersion: cfg.version,
          greetingPlugin: plugin,
          connectionId: nextConnectionId++ >>> 0,
          clientHost: src,
          variables,
          view: deps.decoy.viewFor(src),
          payloads: fromQuarantine(deps.capture.quarantine, src),
          fetchUrls: (urls) => void fetchAndRecord(deps.capture, ctx.emitter, urls, src),
          failureDelayMs: cfg.failure_delay_ms,
          ...(deps.startedMs !== undefined ? { startedMs: deps.startedMs } : {}),
          ...(rsaKey ? { rsaKey } : {}),
          ...(budgetFor ? { recovery: budgetFor(src) } : {}),
          ...io,
        }),
        secureContext,
      );
      session.start();
    },
  });
}
