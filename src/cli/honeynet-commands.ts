// `apiary sensor` and `apiary collector`: the honeynet's two halves, enrolment and revocation.
import { createHash, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { dirname, join, resolve } from 'node:path';
import { connect } from 'node:tls';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { loadConfig } from '../config/load.js';
import { configSchema, type Config } from '../config/schema.js';
import { parseConfigText, validateServices } from '../config/load.js';
import { ApiaryError } from '../errors/errors.js';
import { createSessionEmitter } from '../events/emitter.js';
import { createLogger } from '../log/logger.js';
import { openStore } from '../store/open.js';
import { CertificateAuthority, formatToken, newEnrolmentSecret, newKeyPair, parseToken, SENSOR_NAME_RE, COLLECTOR_CN, tokenKey } from '../transport/pki.js';
import { checkCollectorIdentity, httpsRequest, PATHS } from '../transport/protocol.js';
import { Shipper, type SensorCredentials } from '../transport/shipper.js';
import type { StoredHeartbeat } from '../collector/remote-ingest.js';
import { Spool } from '../transport/spool.js';
import { keyFileError, readKeyFiles } from '../transport/key-files.js';
import { parseFlags } from './flags.js';
import { outputLines, storeLine } from './output-lines.js';
import { counted, hostPort, inert } from './terminal.js';
import { apiaryVersion } from './version.js';

const RETENTION_CHECK_MS = 3600_000;


/**
 * How long a stopping sensor keeps shipping what is spooled before it leaves the rest on disk for its
 * next run. It returns as soon as the spool is empty; the wait matters after a link was down, when a
 * batch sent as it came back can take seconds to be answered (3 s was seen too short on a loaded
 * 2-core machine, the answer arriving just after).
 */
export const STOP_SHIP_MS = 10_000;

function credentialPaths(config: Config): { dir: string; key: string; cert: string; ca: string } {
  const dir = join(config.data_dir, 'credentials');
  return { dir, key: join(dir, 'sensor.key'), cert: join(dir, 'sensor.pem'), ca: join(dir, 'ca.pem') };
}

/**
 * The sensor's key, certificate and collector CA from DATA_DIR/credentials. Not enrolled (none of
 * them), half enrolled or unreadable (enrolled as another user) are APIARY_ENROLL, saying which.
 */
function readCredentials(config: Config): SensorCredentials {
  const paths = credentialPaths(config);
  const files = readKeyFiles({ key: paths.key, cert: paths.cert, ca: paths.ca }, 'APIARY_ENROLL');
  if (files.key !== undefined && files.cert !== undefined && files.ca !== undefined) return { key: files.key, cert: files.cert, ca: files.ca };
  const enrol = `run "apiary collector enroll ${config.sensor}" on the collector, then "apiary sensor enroll TOKEN --config FILE" here as the user that runs the sensor`;
  if (files.key === undefined && files.cert === undefined && files.ca === undefined) throw new ApiaryError('APIARY_ENROLL', `sensor ${config.sensor} is not enrolled (no credentials in ${paths.dir}): ${enrol}`);
  const missing = (['key', 'cert', 'ca'] as const).filter((k) => files[k] === undefined).map((k) => paths[k]);
  throw new ApiaryError('APIARY_ENROLL', `sensor ${config.sensor}'s credentials are incomplete (${missing.join(', ')} missing): ${enrol}`);
}

function collectorUrl(config: Config): URL {
  if (!config.shipper.collector) throw new ApiaryError('APIARY_CONFIG_INVALID', 'key shipper.collector: set the collector URL (https://HOST:PORT) for apiary sensor');
  const url = new URL(config.shipper.collector);
  if (url.protocol !== 'https:') throw new ApiaryError('APIARY_CONFIG_INVALID', 'key shipper.collector: the collector URL must start with https://');
  return url;
}

async function waitForSignal(): Promise<string> {
  return new Promise((resolveSig) => {
    process.once('SIGINT', () => resolveSig('SIGINT'));
    process.once('SIGTERM', () => resolveSig('SIGTERM'));
  });
}

function hookProcessErrors(log: Logger): void {
  process.on('uncaughtException', (err) => log.error({ err }, 'uncaught exception; the process keeps serving'));
  process.on('unhandledRejection', (err) => log.error({ err }, 'unhandled rejection; the process keeps serving'));
}

// ---------------------------------------------------------------- sensor

/** Service settings for one sensor, set on the collector side: a version (any change applies) and the services block. */
export interface CentralSettings {
  version: string;
  services: Config['services'];
}

/** Validates settings as the config file's `services:` block would be; undefined when they do not. */
export function parseCentralSettings(raw: unknown): CentralSettings | undefined {
  if (!raw || typeof raw !== 'object') return undefined;
  const { version, services } = raw as { version?: unknown; services?: unknown };
  if (typeof version !== 'string' || version.length > 64) return undefined;
  const r = configSchema.shape.services.safeParse(services);
  return r.success ? { version, services: r.data } : undefined;
}

export async function runSensor(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags(args, { config: { type: 'string', short: 'c' } });
  const { config, file } = loadConfig(values.config);
  if (positionals[0] === 'enroll') {
    if (positionals.length !== 2) throw new ApiaryError('APIARY_CLI_USAGE', 'usage: apiary sensor enroll TOKEN [--config FILE]');
    return enrollSensor(config, positionals[1]!);
  }
  if (positionals.length) throw new ApiaryError('APIARY_CLI_USAGE', 'usage: apiary sensor [--config FILE] | apiary sensor enroll TOKEN');
  const url = collectorUrl(config);
  const credentials = readCredentials(config);
  const log = createLogger(config.log.level);
  hookProcessErrors(log);
  const sh = config.shipper;
  const spool = new Spool({
    dir: sh.spool_dir!,
    maxBytes: sh.spool_max_bytes,
    dropPolicy: sh.drop_policy,
    segmentEvents: sh.batch_events,
    syncIntervalMs: sh.sync_interval_ms,
    // The collector records a spool.dropped event from the heartbeat's count (the spool itself may be full).
    onDrop: ({ dropped }) => {
      log.error({ alert: 'spool.full', dropped, policy: sh.drop_policy }, `ALERT spool full: the spool reached ${sh.spool_max_bytes} bytes; dropping ${sh.drop_policy === 'oldest' ? 'the oldest unshipped batches' : 'new events'}`);
    },
    onError: (err) => log.error({ err, dir: sh.spool_dir }, 'spool write failed; the events stay in memory and are tried again'),
  });
  const recovered = spool.stats.depth;
  const { startInputs, startServices } = await import('./app.js');
  // Service settings set centrally (collector settings / dashboard) replace the file's services: the
  // last ones applied are kept beside the spool, so a restart starts with them.
  const appliedPath = join(sh.spool_dir!, 'applied-settings.json');
  let applied: CentralSettings | undefined = existsSync(appliedPath) ? parseCentralSettings(JSON.parse(readFileSync(appliedPath, 'utf8'))) : undefined;
  let current: Config = applied ? { ...config, services: applied.services } : config;
  let running = await startServices(current, spool, log);
  const inputs = await startInputs(config, spool, log, true).catch(async (err: unknown) => {
    await running.close();
    throw err;
  });
  const hashOf = (c: Config): string => createHash('sha256').update(JSON.stringify(c)).digest('hex');
  let applying: Promise<void> = Promise.resolve();
  // The version whose services failed to start (FILE_SERVICES: the config file's): not tried again
  // at every heartbeat, which would close the running services each time, until the collector's changes.
  let refused: string | undefined;
  const FILE_SERVICES = '';
  /** RAW: the collector's settings for this sensor, or null when it holds none (the config file's services then run). */
  const applySettings = (raw: unknown): void => {
    const next = raw === null ? null : parseCentralSettings(raw);
    if (next === undefined) {
      log.error('the collector sent service settings that do not validate; keeping the current ones');
      return;
    }
    const version = next?.version ?? FILE_SERVICES;
    const settled = (): boolean => (applied?.version ?? FILE_SERVICES) === version || refused === version;
    if (settled()) return;
    applying = applying.then(async () => {
      if (settled()) return;
      const before = current;
      await running.close();
      try {
        current = next ? { ...config, services: next.services } : config;
        running = await startServices(current, spool, log);
      } catch (err) {
        // Kept neither as applied nor on disk: a restart runs what ran before, not what failed.
        log.error({ err, version: version || 'config file' }, 'the service settings from the collector could not be applied; the previous ones run again (not tried again until they change)');
        refused = version;
        current = before;
        running = await startServices(current, spool, log);
        return;
      }
      refused = undefined;
      applied = next ?? undefined;
      if (next) {
        writeFileSync(`${appliedPath}.tmp`, JSON.stringify(next));
        renameSync(`${appliedPath}.tmp`, appliedPath);
        log.warn({ version, services: running.services.map((s) => s.name) }, 'service settings from the collector applied');
      } else {
        rmSync(appliedPath, { force: true });
        log.warn({ services: running.services.map((s) => s.name) }, 'the collector holds no service settings for this sensor any more; the config file\'s services run again');
      }
    });
  };
  const shipper = new Shipper({
    collector: url,
    credentials,
    reloadCredentials: () => {
      try {
        return readCredentials(config);
      } catch {
        return undefined;
      }
    },
    spool,
    log: log.child({ part: 'shipper' }),
    maxBackoffMs: sh.max_backoff_s * 1000,
    parallel: sh.parallel_batches,
    heartbeatMs: sh.heartbeat_s * 1000,
    heartbeat: () => ({ version: apiaryVersion(), config_hash: hashOf(current), services: running.services.map((s) => s.name) }),
    onSettings: applySettings,
    filesDir: join(config.data_dir, 'quarantine'),
    shippedFilesPath: join(sh.spool_dir!, 'shipped-files'),
    recordingsDir: join(config.data_dir, 'recordings'),
  });
  shipper.start();
  const out = [`apiary: sensor ${config.sensor} running (${file ? `config ${file}` : 'built-in defaults'}), shipping to ${url.origin}`];
  for (const s of [...running.services, ...inputs]) for (const b of s.bound) out.push(`  ${s.name.padEnd(8)} listening on ${hostPort(b.host, b.port)}`);
  out.push(`  spool    ${sh.spool_dir} (${counted(recovered, 'event')} from earlier runs waiting${spool.stats.recoveredTorn ? `, ${counted(spool.stats.recoveredTorn, 'torn record')} cut` : ''})`);
  out.push('press Ctrl-C to stop');
  process.stdout.write(`${out.join('\n')}\n`);
  const sig = await waitForSignal();
  process.stdout.write(`apiary: ${sig} received, stopping sensors and shipping what is spooled\n`);
  await applying;
  await Promise.all(inputs.map((i) => i.close()));
  await running.close();
  await spool.flush();
  const empty = await shipper.drained(STOP_SHIP_MS);
  await shipper.stop();
  await spool.close();
  const dropped = spool.stats.dropped ? `, ${spool.stats.dropped} dropped by the spool's size cap` : '';
  process.stdout.write(`apiary: stopped; ${counted(spool.stats.recorded, 'event')} recorded this run${dropped}, ${empty ? 'all shipped' : `${spool.stats.depth} left in the spool for the next run`}\n`);
  return 0;
}

/** Reads the collector's CA from the TLS handshake and accepts it only if its fingerprint is the token's. */
async function fetchPinnedCa(url: URL, fingerprint: string): Promise<string> {
  return new Promise((resolveCa, reject) => {
    const socket = connect({ host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port || 443), rejectUnauthorized: false }, () => {
      const leaf = socket.getPeerCertificate(true);
      socket.end();
      const issuer = leaf?.issuerCertificate;
      if (!leaf?.raw || !issuer?.raw) return reject(new ApiaryError('APIARY_ENROLL', `the server at ${url.host} sent no certificate chain: is shipper.collector the collector's address?`));
      const ca = new X509Certificate(issuer.raw);
      if (createHash('sha256').update(ca.raw).digest('hex') !== fingerprint) {
        return reject(new ApiaryError('APIARY_ENROLL', `the server at ${url.host} is not the collector that issued this token (CA fingerprint differs)`));
      }
      // The shipper checks the collector's name against its certificate at every connection: a URL
      // whose host it does not name could enrol, and then never ship.
      const host = url.hostname.replace(/^\[|\]$/g, '');
      if (checkCollectorIdentity(host, leaf) !== undefined) {
        return reject(new ApiaryError('APIARY_ENROLL', `key shipper.collector: the collector's certificate does not name ${host} (it names ${leaf.subjectaltname || 'nothing'}): use one of those in the URL, or add ${host} to the collector's collector.server_names and restart it`));
      }
      resolveCa(ca.toString());
    });
    socket.setTimeout(15_000, () => socket.destroy(new Error('timed out')));
    socket.once('error', (err) => reject(new ApiaryError('APIARY_ENROLL', `cannot reach the collector at ${url.host} (key shipper.collector): ${err.message}`)));
  });
}

async function enrollSensor(config: Config, tokenText: string): Promise<number> {
  const token = parseToken(tokenText);
  if (!token) throw new ApiaryError('APIARY_CLI_USAGE', 'that is not an enrolment token (apiary1.NAME.SECRET.FINGERPRINT from "apiary collector enroll NAME")');
  if (token.name !== config.sensor) throw new ApiaryError('APIARY_CLI_USAGE', `the token is for sensor ${token.name}, but this config's sensor is ${config.sensor}`);
  const url = collectorUrl(config);
  const caPem = await fetchPinnedCa(url, token.caFingerprint);
  const { publicKey, privateKey } = newKeyPair();
  const agent = new Agent({ ca: caPem, checkServerIdentity: checkCollectorIdentity });
  try {
    const res = await httpsRequest(url, {
      method: 'POST',
      path: PATHS.enroll,
      agent,
      headers: { 'content-type': 'application/json' },
      body: Buffer.from(JSON.stringify({ token: tokenText.trim(), public_key: publicKey })),
    });
    if (res.status !== 200) {
      let why = `HTTP ${res.status}`;
      try {
        const e = (JSON.parse(res.body.toString('utf8')) as { error?: unknown }).error;
        if (typeof e === 'string') why = e.slice(0, 200);
      } catch {
        // not JSON: the status says it
      }
      throw new ApiaryError('APIARY_ENROLL', `the collector refused the enrolment: ${inert(why)}; a token is used once and expires (collector.token_ttl_s): make a new one with "apiary collector enroll ${config.sensor}" there`);
    }
    const { cert } = JSON.parse(res.body.toString('utf8')) as { cert: string };
    const paths = credentialPaths(config);
    try {
      mkdirSync(paths.dir, { recursive: true, mode: 0o700 });
      writeFileSync(paths.key, privateKey, { mode: 0o600 });
      writeFileSync(paths.cert, cert, { mode: 0o600 });
      writeFileSync(paths.ca, caPem, { mode: 0o600 });
    } catch (err) {
      throw keyFileError('APIARY_ENROLL', paths.key, err);
    }
    process.stdout.write(`apiary: sensor ${config.sensor} enrolled with ${url.origin}; credentials in ${paths.dir}\n`);
    return 0;
  } finally {
    agent.destroy();
  }
}

// ---------------------------------------------------------------- collector

export async function runCollector(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags(args, { config: { type: 'string', short: 'c' }, json: { type: 'boolean' }, clear: { type: 'boolean' } });
  const { config, file } = loadConfig(values.config);
  const sub = positionals[0];
  if (sub === 'enroll' || sub === 'revoke') {
    const name = positionals[1];
    if (positionals.length !== 2 || !name) throw new ApiaryError('APIARY_CLI_USAGE', `usage: apiary collector ${sub} NAME [--config FILE]`);
    if (!SENSOR_NAME_RE.test(name) || name === COLLECTOR_CN) throw new ApiaryError('APIARY_CLI_USAGE', `sensor names are letters, digits, ".", "_" and "-" (and not ${COLLECTOR_CN})`);
    return sub === 'enroll' ? enrollToken(config, name) : revokeSensor(config, name);
  }
  if (sub === 'sensors') return listSensors(config, values.json === true);
  if (sub === 'settings') {
    // `--clear` as a flag, or after `--` as the FILE operand.
    const target = values.clear === true ? (positionals.length === 2 ? '--clear' : undefined) : positionals.length === 3 ? positionals[2] : undefined;
    if (target === undefined || !SENSOR_NAME_RE.test(positionals[1] ?? '')) throw new ApiaryError('APIARY_CLI_USAGE', 'usage: apiary collector settings NAME FILE|--clear [--config FILE]');
    return setSensorSettings(config, positionals[1]!, target);
  }
  if (sub !== undefined) throw new ApiaryError('APIARY_CLI_USAGE', 'usage: apiary collector [--config FILE] | enroll NAME | revoke NAME | sensors [--json] | settings NAME FILE');
  const log = createLogger(config.log.level);
  hookProcessErrors(log);
  const ca = await CertificateAuthority.loadOrCreate(config.collector.ca_dir!);
  const { startApiary } = await import('./app.js');
  const app = await startApiary(config, log, { sensors: false });
  const { RemoteIngest } = await import('../collector/remote-ingest.js');
  const listen = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(config.collector.listen)!;
  const ingest = new RemoteIngest({
    host: (listen[1] ?? listen[2])!,
    port: Number(listen[3]),
    ca,
    serverNames: config.collector.server_names,
    store: app.store,
    collector: app.collector,
    log: log.child({ part: 'ingest' }),
    maxBatchBytes: config.collector.max_batch_bytes,
    silentAfterMs: config.collector.silent_after_s * 1000,
    filesDir: join(config.data_dir, 'quarantine'),
    recordingsDir: join(config.data_dir, 'recordings'),
    maxConnectionsPerSource: config.collector.max_connections_per_source,
  });
  try {
    await ingest.start();
  } catch (err) {
    await app.close();
    throw new ApiaryError('APIARY_LISTEN_FAILED', `key collector.listen: cannot listen on ${config.collector.listen}: ${(err as Error).message}`);
  }
  const retention = config.store.postgres?.retention_days;
  const applyRetention = async (): Promise<void> => {
    if (retention === undefined || app.store.kind !== 'postgres') return;
    const { PgStore } = await import('../store/postgres/pg-store.js');
    if (!(app.store instanceof PgStore)) return;
    const cut = new Date(Date.now() - retention * 86_400_000).toISOString().slice(0, 10);
    const dropped = await app.store.dropPartitionsBefore(cut);
    if (dropped.length) log.info({ dropped }, 'retention: old event partitions folded into daily aggregates and dropped');
  };
  const retentionTimer = setInterval(() => void applyRetention().catch((err: unknown) => log.warn({ err }, 'retention failed')), RETENTION_CHECK_MS);
  void applyRetention().catch((err: unknown) => log.warn({ err }, 'retention failed'));
  process.stdout.write(
    [
      `apiary: collector running (${file ? `config ${file}` : 'built-in defaults'})`,
      `  ingest   listening on ${hostPort((listen[1] ?? listen[2])!, ingest.port)}`,
      `  ${storeLine(config.store)}`,
      ...outputLines(config.outputs).map((o) => `  ${o}`),
      `  ca       ${ca.dir} (fingerprint ${ca.fingerprint})`,
      ...app.notices.map((n) => `  ${n}`),
      'press Ctrl-C to stop',
    ].join('\n') + '\n',
  );
  const sig = await waitForSignal();
  process.stdout.write(`apiary: ${sig} received, stopping\n`);
  clearInterval(retentionTimer);
  await ingest.close();
  await app.close();
  process.stdout.write(`apiary: stopped; ${counted(app.collector.stats.stored, 'event')} stored this run (${counted(app.collector.stats.duplicates, 'duplicate')} skipped)\n`);
  return 0;
}

async function enrollToken(config: Config, name: string): Promise<number> {
  const ca = await CertificateAuthority.loadOrCreate(config.collector.ca_dir!);
  const store = await openStore(config);
  try {
    const secret = newEnrolmentSecret();
    const expires = new Date(Date.now() + config.collector.token_ttl_s * 1000).toISOString();
    await store.setState(tokenKey(secret), JSON.stringify({ name, expires, issued: new Date().toISOString() }));
    process.stdout.write(`${formatToken({ name, secret, caFingerprint: ca.fingerprint })}\n`);
    process.stderr.write(`one-time enrolment token for sensor ${name}, valid until ${expires}: on the sensor run "apiary sensor enroll TOKEN"\n`);
    return 0;
  } finally {
    await store.close();
  }
}

async function revokeSensor(config: Config, name: string): Promise<number> {
  const store = await openStore(config);
  try {
    const { sensorKey } = await import('../collector/remote-ingest.js');
    const raw = await store.getState(sensorKey(name));
    // Its enrolment tokens not used yet go too: a spare one left on the compromised host (a provisioning
    // script, shell history) would otherwise enrol the revoked name again with a new certificate. A
    // sensor that never enrolled has only those to cancel.
    let dropped = 0;
    for (const [key, value] of await store.listState('enroll:')) {
      if ((JSON.parse(value) as { name?: unknown }).name === name && (await store.swapState(key, value, undefined))) dropped++;
    }
    const tokens = counted(dropped, 'unused enrolment token');
    if (!raw) {
      if (dropped === 0) throw new ApiaryError('APIARY_NOT_FOUND', `no enrolled sensor and no unused enrolment token named ${name}`);
      process.stdout.write(`apiary: sensor ${name} never enrolled; its ${tokens} deleted\n`);
      return 0;
    }
    const rec = JSON.parse(raw) as { revoked: boolean };
    await store.setState(sensorKey(name), JSON.stringify({ ...rec, revoked: true, revoked_at: new Date().toISOString() }));
    process.stdout.write(`apiary: sensor ${name} revoked; its certificate is refused from now on${dropped ? ` and its ${tokens} deleted` : ''} (a new token from "apiary collector enroll ${name}" re-admits it)\n`);
    return 0;
  } finally {
    await store.close();
  }
}

/** Stores the services block of FILE (YAML, `services:` as in a config) as sensor NAME's settings; it applies them at its next heartbeat. */
async function setSensorSettings(config: Config, name: string, file: string): Promise<number> {
  const { settingsKey } = await import('../collector/remote-ingest.js');
  const store = await openStore(config);
  try {
    if (file === '--clear') {
      await store.swapState(settingsKey(name), await store.getState(settingsKey(name)), undefined);
      process.stdout.write(`apiary: central settings for ${name} removed; it goes back to its config file's services at its next heartbeat\n`);
      return 0;
    }
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new ApiaryError('APIARY_CONFIG_UNREADABLE', `cannot read ${file}: ${(err as Error).message}`);
    }
    const input = parseConfigText(text, file) as Record<string, unknown> | null;
    const others = Object.keys(input ?? {}).filter((k) => k !== 'services');
    if (others.length) throw new ApiaryError('APIARY_CONFIG_INVALID', `${file}: key ${others[0]}: central settings hold a services: block only; set other keys in the sensor's own config`);
    validateServices(input?.services, file);
    const version = new Date().toISOString();
    await store.setState(settingsKey(name), JSON.stringify({ version, services: input?.services ?? {} }));
    const { sensorKey } = await import('../collector/remote-ingest.js');
    const known = (await store.getState(sensorKey(name))) !== undefined;
    process.stdout.write(`apiary: settings ${version} for sensor ${name} stored; it applies them at its next heartbeat${known ? '' : ` (no sensor ${name} is enrolled yet: "apiary collector sensors" lists them)`}\n`);
    return 0;
  } finally {
    await store.close();
  }
}

async function listSensors(config: Config, json: boolean): Promise<number> {
  const store = await openStore(config);
  try {
    const sensors = await store.listState('sensor:');
    const beats = await store.listState('heartbeat:');
    const rows = [...sensors].map(([k, v]) => {
      const name = k.slice('sensor:'.length);
      const hb = beats.get(`heartbeat:${name}`);
      return { name, ...(JSON.parse(v) as object), heartbeat: hb ? (JSON.parse(hb) as object) : null };
    });
    if (json) for (const r of rows) process.stdout.write(`${JSON.stringify(r)}\n`);
    else if (rows.length === 0) process.stdout.write('no sensors enrolled (apiary collector enroll NAME makes a token)\n');
    else {
      // A sensor that has not been heard from for collector.silent_after_s is shown silent, as the collector alerts it.
      const silentBefore = Date.now() - config.collector.silent_after_s * 1000;
      process.stdout.write('sensor\tstate\tlast heartbeat\tversion\tspool\tdropped\tclock\n');
      for (const r of rows) {
        const hb = r.heartbeat as Partial<StoredHeartbeat> | null;
        const state = (r as { revoked?: boolean }).revoked ? 'revoked' : hb?.time && Date.parse(hb.time) < silentBefore ? 'silent' : 'enrolled';
        const clock = hb?.clock_skew_s === undefined ? '-' : hb.clock_skew_s === 0 ? 'ok' : `${hb.clock_skew_s > 0 ? '+' : ''}${hb.clock_skew_s} s`;
        const cells = hb ? [inert(String(hb.time)), inert(String(hb.version ?? '')), String(hb.spool_depth ?? 0), String(hb.spool_dropped ?? 0), clock] : ['no heartbeat', '-', '-', '-', '-'];
        process.stdout.write(`${[inert(r.name), state, ...cells].join('\t')}\n`);
      }
    }
    return 0;
  } finally {
    await store.close();
  }
}
