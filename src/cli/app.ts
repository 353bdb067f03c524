// Wires one all-in-one Apiary: store, collector, outputs and every configured sensor.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { parseListenAddress, type Config, type ListenAddress } from '../config/schema.js';
import { ApiaryError } from '../errors/errors.js';
import { Collector, type EventOutput } from '../collector/collector.js';
import { JsonlOutput } from '../collector/jsonl-output.js';
import { CowrieJsonOutput } from '../collector/cowrie-json-output.js';
import { SyslogOutput } from '../collector/syslog-output.js';
import { DecoySecrets } from '../events/mask.js';
import { hostPort } from './terminal.js';
import { apiaryVersion } from './version.js';
import type { EventSink } from '../events/emitter.js';
import { BudgetedSink } from '../sensors/runtime/event-budget.js';
import { emitLimited, sourceEnvelope } from '../sensors/runtime/windowed-counts.js';
import { openStore } from '../store/open.js';
import type { EventStore } from '../store/store.js';
import { compileAuthPolicy } from '../sensors/runtime/auth-policy.js';
import { createCapture, type Capture } from '../sensors/runtime/capture.js';
import { recordingSpace } from '../sensors/runtime/recording.js';
import { ConnectionGate, type RunningService } from '../sensors/runtime/listener.js';
import { loadOrCreateHostKeys, signingHostKeys } from '../sensors/ssh/host-keys.js';
import { startSshSensor } from '../sensors/ssh/sensor.js';
import { installProfile, ShellEnvironment } from '../sensors/shell/environment.js';
import { buildFakeTree, treeEntries } from '../sensors/ftp/fake-tree.js';
import { openHoneytokenRegistry } from '../sensors/runtime/honeytokens.js';
import { EnrichmentStage } from '../collector/enrichment.js';
import { enricherFromConfig } from '../enrich/from-config.js';
import { startAnalysis, type Analysis } from './analysis.js';
import type { DecoyData } from '../sensors/sql/decoy-data.js';
import type { DecoyState } from '../sensors/sql/decoy-state.js';
import { daemonAccounts, daemonStartMs, type HostDescription, type HostFile } from '../sensors/runtime/host.js';
import { describeHost } from './host.js';

// Sensors other than SSH are imported only when configured, so a sensor runs with only the code it uses.

/** The services startWebFamily runs. */
const WEB_FAMILY = ['http', 'ftp', 'tftp', 'sip', 'ports'] as const;

export interface RunningApiary {
  config: Config;
  store: EventStore;
  collector: Collector;
  /** Incident tracking, alerts and attack chains: on the main thread (SQLite) or in a worker thread (PostgreSQL). */
  analysis: Analysis;
  services: RunningService[];
  /** Lines for the operator printed at start (the dashboard's URL and one-time set-up token). */
  notices: string[];
  /** Stops listening, ends connections (recording them), flushes every event and closes the store. */
  close(): Promise<void>;
}

/** The SSH version the banner (and the fake shell's ssh -V) gives. */
function sshVersionOf(config: Config): string {
  return config.services.ssh?.version ?? 'OpenSSH_9.2p1 Debian-2+deb12u3';
}

/** The fake system the SSH and Telnet sensors share; announces its honeytokens once. */
function makeShellEnvironment(config: Config, sink: EventSink, capture: Capture, host: HostDescription, hostFiles: readonly HostFile[]): ShellEnvironment {
  const env = new ShellEnvironment({
    host,
    hostFiles,
    capture,
    dataDir: config.data_dir,
    sensor: config.sensor,
    shell: config.shell,
    fetch: config.fetch,
    quarantine: config.quarantine,
    recording: config.recording,
    sshVersion: sshVersionOf(config),
    sink,
  });
  env.announceHoneytokens();
  return env;
}

export interface StartOptions {
  /** false: no sensors here (`apiary collector`: events come from remote sensors). Default true. */
  sensors?: boolean;
}

export async function startApiary(config: Config, log: Logger, opts: StartOptions = {}): Promise<RunningApiary> {
  // GeoIP first: a missing or corrupt database stops start-up before anything listens.
  const enrichment = new EnrichmentStage(enricherFromConfig(config));
  const store = await openStore(config, {
    onMigrate: (from, to) => process.stdout.write(`apiary: upgrading the store at ${config.store.sqlite.path} from schema ${from} to ${to} (once; a few seconds per million events)\n`),
  });
  // One set of decoy secrets for every output, each masking them in its copy of the events.
  const secrets = new DecoySecrets();
  const outputs: EventOutput[] = [];
  if (config.outputs.jsonl) outputs.push(new JsonlOutput(config.outputs.jsonl.path, secrets));
  if (config.outputs.cowrie_json) outputs.push(new CowrieJsonOutput(config.outputs.cowrie_json.path, secrets));
  const sys = config.outputs.syslog;
  if (sys) {
    const onError = (err: Error): void => log.warn({ err: err.message, output: 'syslog' }, 'syslog event output failed');
    outputs.push(new SyslogOutput({ ...sys, hostname: config.sensor, version: apiaryVersion() }, onError, secrets));
  }
  // Secrets planted in earlier runs (or by remote sensors) are masked too, not only those seen from now on.
  if (outputs.length > 0) secrets.learn(await store.query({ type: 'honeytoken.planted', limit: 10_000 }));
  const collector = new Collector(store, log.child({ part: 'collector' }), outputs, enrichment);
  // A collector (no sensors here) folds on its own thread whatever the store: with SQLite the thread
  // reads the events back from the file, which costs CPU, but ingest no longer waits for the folds.
  const analysis = startAnalysis(config, store, log, opts.sensors === false);
  collector.onCommitted(() => analysis.nudge());
  let sensors: RunningServices;
  const notices: string[] = [];
  let web: RunningService | undefined;
  let inputs: RunningService[] = [];
  try {
    sensors = opts.sensors === false ? noServices() : await startServices(config, collector, log);
    try {
      inputs = await startInputs(config, collector, log, false, () => collector.stats.pending);
      if (config.dashboard?.enabled) web = await startWebDashboard(config, store, collector, [...sensors.services, ...inputs], log, notices);
    } catch (err) {
      await Promise.all(inputs.map((i) => i.close()));
      await sensors.close();
      throw err;
    }
  } catch (err) {
    await collector.close();
    await analysis.close();
    await store.close();
    throw err;
  }
  const services = [...sensors.services, ...inputs, ...(web ? [web] : [])];
  let closing: Promise<void> | undefined;
  return {
    config,
    store,
    collector,
    analysis,
    services,
    notices,
    close() {
      closing ??= (async () => {
        await web?.close();
        await Promise.all(inputs.map((i) => i.close()));
        await sensors.close();
        await collector.close();
        await analysis.close();
        await store.close();
      })();
      return closing;
    },
  };
}

/** The web dashboard (src/web) over STORE, with the sensors' on/off switches; its URL and set-up token go to NOTICES. */
async function startWebDashboard(config: Config, store: EventStore, collector: Collector, services: readonly RunningService[], log: Logger, notices: string[]): Promise<RunningService> {
  const { startDashboard } = await import('../web/server.js');
  // The session search and SQL console read SQLite directly; on PostgreSQL those two pages say so.
  const reads = store.kind === 'sqlite' ? new (await import('../store/sqlite/dashboard-reads.js')).SqliteDashboardReads(config.store.sqlite.path) : undefined;
  const web = await startDashboard({ config, dash: config.dashboard!, store, ...(reads ? { reads } : {}), services, onEvents: (fn) => collector.onCommitted(fn), log: log.child({ part: 'dashboard' }) });
  const b = web.bound[0]!;
  notices.push(`dashboard https://${hostPort(b.host, b.port)}/`);
  if (web.setupToken) notices.push(`dashboard set-up token (one use, creates the admin): ${web.setupToken}`);
  return web;
}

function noServices(): RunningServices {
  return { services: [], gate: new ConnectionGate(1, 1, () => {}), close: async () => {} };
}

/**
 * Starts the inputs: other honeypots publishing to Apiary (hpfeeds), writing to SINK like a sensor.
 * SHIPPED (`apiary sensor`): their events take this sensor's name, the only one the collector takes
 * from it (the feed's ident stays in each event's source). Started apart from the sensors, so new
 * service settings from the collector do not cut the feeds' connections.
 */
export async function startInputs(config: Config, sink: EventSink, log: Logger, shipped = false, backlog?: () => number): Promise<RunningService[]> {
  const hp = config.inputs.hpfeeds;
  if (!hp) return [];
  const read = (key: 'cert' | 'key', path: string): Buffer => {
    try {
      return readFileSync(path);
    } catch (err) {
      throw new ApiaryError('APIARY_TLS_CERT', `inputs.hpfeeds.tls.${key}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); give a PEM file's path`);
    }
  };
  const { startHpfeedsInput } = await import('../collector/hpfeeds-input.js');
  return [
    await startHpfeedsInput({
      addresses: hp.listen.map((a) => parseListenAddress(a) as ListenAddress),
      name: hp.name,
      feeds: hp.feeds.map((f) => ({ ident: f.ident, secret: f.secret, sensor: shipped ? config.sensor : (f.sensor ?? (f.ident.replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 128) || 'hpfeeds')), channels: f.channels })),
      ...(hp.tls ? { tls: { cert: read('cert', hp.tls.cert), key: read('key', hp.tls.key) } } : {}),
      maxConnections: hp.max_connections,
      ...(config.recording.enabled ? { recordings: hpfeedsRecordings(config) } : {}),
      ...(backlog ? { backlog } : {}),
      sink,
      log: log.child({ input: 'hpfeeds' }),
    }),
  ];
}

/** Where the hpfeeds input keeps Cowrie's TTY logs: the recordings directory and the space the shell's recordings take there too. */
function hpfeedsRecordings(config: Config): { dir: string; maxBytes: number; space: { take(bytes: number): boolean } } {
  const dir = join(config.data_dir, 'recordings');
  return { dir, maxBytes: config.recording.max_bytes, space: recordingSpace(dir, config.recording.max_total_bytes) };
}

export interface RunningServices {
  services: RunningService[];
  gate: ConnectionGate;
  /**
   * Stops the decoys' timers and every service (recording their connections' ends), waits for the
   * quarantine's writes in progress (up to QUARANTINE_DRAIN_MS), then flushes the gate's summaries.
   */
  close(): Promise<void>;
}

/** Starts every configured sensor, writing to SINK: the local collector (`apiary start`) or the spool (`apiary sensor`). */
export async function startServices(config: Config, outlet: EventSink, log: Logger): Promise<RunningServices> {
  // Every sensor writes through the event budget (limits.source_events_s and the rest).
  const sink = new BudgetedSink(outlet, {
    sourceEventsPerSecond: config.limits.source_events_s,
    sourceBytesPerSecond: config.limits.source_event_bytes_s,
    globalEventsPerSecond: config.limits.global_events_s,
    globalBytesPerSecond: config.limits.global_event_bytes_s,
  });
  const gate = new ConnectionGate(
    config.limits.per_source_connections,
    config.limits.global_connections,
    (src, limit, refused, windowMs) => emitLimited(sink, sourceEnvelope(config.sensor, 'tcp', src), limit, refused, windowMs),
    config.limits.source_connections_s,
  );
  // The decoy databases' data is generated before the auth policy: its honeytoken credentials are
  // accepted on every login service, so an attacker who read them and "jumps" is let in and seen.
  const databases = config.services.mysql?.enabled || config.services.mssql?.enabled;
  const sql = databases
    ? { ...(await import('../sensors/sql/decoy-data.js')), ...(await import('../sensors/sql/decoy-state.js')), ...(await import('../sensors/sql/honeytokens.js')) }
    : undefined;
  const decoy: DecoyData | undefined = sql
    ? sql.generateDecoy({ seed: sql.loadOrCreateSeed(join(config.data_dir, 'decoy')), now: Date.now(), ...(config.decoy.database ? { appDatabase: config.decoy.database } : {}) })
    : undefined;
  const policy = compileAuthPolicy([...(sql && decoy ? sql.honeytokenAuthRules(decoy.honeytokens) : []), ...config.auth]);
  const decoyStates: DecoyState[] = [];
  const services: RunningService[] = [];
  // One quarantine and fetcher for every sensor: the quota and the per-source fetch rate are the process's.
  const capture = createCapture(config.data_dir, config.fetch, config.quarantine);
  try {
    // One host behind every sensor: the shell's uptime and process list, MySQL's Uptime and SMB's boot time agree.
    const host = await describeHost(config);
    // The FTP root is one tree: what the FTP sensor lists is what the shell shows in /srv/ftp.
    const honeytokens = WEB_FAMILY.some((k) => config.services[k]?.enabled) ? openHoneytokenRegistry(config.data_dir) : undefined;
    const ftpAccount = daemonAccounts(host.daemons).find((a) => a.kind === 'vsftpd');
    const ftpTree = config.services.ftp?.enabled && honeytokens ? buildFakeTree(honeytokens, 'files.localdomain', ftpAccount) : undefined;
    const hostFiles = ftpTree ? treeEntries(ftpTree, '/srv/ftp') : [];
    const ssh = config.services.ssh;
    const shell = ssh?.enabled || config.services.telnet?.enabled ? makeShellEnvironment(config, sink, capture, host, hostFiles) : undefined;
    // One name per install for the Linux host (the fake shell's, kept by its seed even when no shell
    // runs) and one for the Windows one (SMB's NetBIOS name): every service names the machine it is on.
    const linux = shell?.profile ?? installProfile({ dataDir: config.data_dir, shell: config.shell, sshVersion: sshVersionOf(config), host });
    const smbConfig = config.services.smb;
    const windows = smbConfig?.enabled || config.services.mssql?.enabled
      ? (await import('../sensors/smb/identity.js')).loadIdentity(join(config.data_dir, 'smb-identity.json'), smbConfig ?? { workgroup: 'WORKGROUP' }, Date.now(), host.bootMs)
      : undefined;
    if (ssh?.enabled) {
      const hostKeys = signingHostKeys(loadOrCreateHostKeys(join(config.data_dir, 'keys')));
      services.push(await startSshSensor(ssh, { sensor: config.sensor, sink, gate, log, policy, hostKeys, ...(shell ? { shell } : {}) }));
    }
    const telnet = config.services.telnet;
    if (telnet?.enabled && shell) services.push(await (await import('../sensors/telnet/sensor.js')).startTelnetSensor(telnet, { sensor: config.sensor, sink, gate, log, policy, shell }));
    if (WEB_FAMILY.some((k) => config.services[k]?.enabled)) {
      services.push(...(await (await import('./web-family.js')).startWebFamily(config, { sink, gate, log, policy, capture, ...(honeytokens ? { honeytokens } : {}), ...(ftpTree ? { ftpTree } : {}), hostname: `${linux.hostname}.${linux.domain}` })));
    }
    if (sql && decoy) {
      const mysql = config.services.mysql;
      if (mysql?.enabled) {
        const state = new sql.DecoyState(decoy);
        state.schedule(config.decoy.reset_interval_s * 1000);
        decoyStates.push(state);
        const { startMysqlSensor } = await import('../sensors/mysql/sensor.js');
        const mysqld = host.daemons.find((d) => d.kind === 'mysqld' || d.kind === 'mariadbd');
        const ports = new Set(mysqld?.sockets.map((x) => x.port));
        services.push(
          await startMysqlSensor({ ...mysql, hostname: mysql.hostname ?? linux.hostname }, {
            sensor: config.sensor,
            sink,
            gate,
            log,
            policy,
            decoy: state,
            capture,
            keyDir: join(config.data_dir, 'keys', 'mysql'),
            ...(mysqld ? { startedMs: mysqld.startMs } : {}),
            ...(ports.size === 1 ? { publicPort: [...ports][0]! } : {}),
            recoveryRates: {
              rsa: { perSourcePerSecond: config.limits.source_rsa_decryptions_s, globalPerSecond: config.limits.global_rsa_decryptions_s },
              wordlist: { perSourcePerSecond: config.limits.source_wordlist_checks_s, globalPerSecond: config.limits.global_wordlist_checks_s },
            },
          }),
        );
      }
      const mssql = config.services.mssql;
      if (mssql?.enabled) {
        const state = new sql.DecoyState(decoy);
        state.schedule(config.decoy.reset_interval_s * 1000);
        decoyStates.push(state);
        services.push(...(await (await import('../sensors/mssql/sensor.js')).startMssqlSensor(mssql, { sensor: config.sensor, sink, gate, log, policy, decoy: state, capture, startedMs: daemonStartMs(host.bootMs, 'mssql'), ...(windows ? { hostName: windows.netbiosName } : {}), perSourcePerSecond: config.limits.udp_datagrams_per_source_s, maxFlows: config.limits.udp_flows })));
      }
      sql.announceHoneytokens(sink, config.sensor, mysql?.enabled ? 'mysql' : 'mssql', decoy.honeytokens);
    }
    const smb = config.services.smb;
    if (smb?.enabled) {
      const { SharedCapture } = await import('../sensors/smb/capture.js');
      const { startSmbSensor } = await import('../sensors/smb/sensor.js');
      const identity = windows!;
      const shared = new SharedCapture(capture.quarantine, capture.fetcher);
      services.push(...(await startSmbSensor(smb, { sensor: config.sensor, sink, gate, log, identity, quarantine: shared, fetcher: shared })));
    }
  } catch (err) {
    for (const d of decoyStates) d.stop();
    await Promise.all(services.map((s) => s.close()));
    throw err;
  }
  return {
    services,
    gate,
    async close() {
      for (const d of decoyStates) d.stop();
      await Promise.all(services.map((s) => s.close()));
      // Files accepted before the stop (and those the ended sessions flush) are kept, and their events recorded.
      if (!(await capture.quarantine.drain())) log.warn({ pending: capture.quarantine.pending }, 'stopping with quarantine writes still in progress; their files and events may be lost');
      gate.flushSummaries();
      sink.report();
    },
  };
}
