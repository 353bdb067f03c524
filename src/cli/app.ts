// Wires one all-in-one Apiary: store, collector, outputs and every configured sensor.
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { Collector, type EventOutput } from '../collector/collector.js';
import { JsonlOutput } from '../collector/jsonl-output.js';
import { createSessionEmitter } from '../events/emitter.js';
import { SqliteStore } from '../store/sqlite/sqlite-store.js';
import { compileAuthPolicy } from '../sensors/runtime/auth-policy.js';
import { ConnectionGate, type RunningService } from '../sensors/runtime/listener.js';
import { loadOrCreateHostKeys } from '../sensors/ssh/host-keys.js';
import { startSshSensor } from '../sensors/ssh/sensor.js';
import { ShellEnvironment } from '../sensors/shell/environment.js';
import { startTelnetSensor } from '../sensors/telnet/sensor.js';
import { SharedCapture } from '../sensors/smb/capture.js';
import { Fetcher, DEFAULT_FETCH_POLICY } from '../sensors/runtime/fetch.js';
import { Quarantine } from '../sensors/runtime/quarantine.js';
import { loadIdentity } from '../sensors/smb/identity.js';
import { startSmbSensor } from '../sensors/smb/sensor.js';

export interface RunningApiary {
  config: Config;
  store: SqliteStore;
  collector: Collector;
  services: RunningService[];
  /** Stops listening, ends connections (recording them), flushes every event and closes the store. */
  close(): Promise<void>;
}

/** The fake system the SSH and Telnet sensors share; announces its honeytokens once. */
function makeShellEnvironment(config: Config, sink: Collector): ShellEnvironment {
  const env = new ShellEnvironment({
    dataDir: config.data_dir,
    sensor: config.sensor,
    shell: config.shell,
    fetch: config.fetch,
    quarantine: config.quarantine,
    recording: config.recording,
    sshVersion: config.services.ssh?.version ?? 'OpenSSH_9.2p1 Debian-2+deb12u3',
    sink,
  });
  env.announceHoneytokens();
  return env;
}

export async function startApiary(config: Config, log: Logger): Promise<RunningApiary> {
  const store = new SqliteStore(config.store.sqlite.path);
  const outputs: EventOutput[] = [];
  if (config.outputs.jsonl) outputs.push(new JsonlOutput(config.outputs.jsonl.path));
  const collector = new Collector(store, log.child({ part: 'collector' }), outputs);
  const gate = new ConnectionGate(config.limits.per_source_connections, config.limits.global_connections, (src, limit, refused, windowMs) => {
    createSessionEmitter(collector, { sensor: config.sensor, protocol: 'tcp', src_ip: src, src_port: 0, dst_ip: '0.0.0.0', dst_port: 0 }).emit(
      'connection.limited',
      { limit, refused, window_s: Math.round(windowMs / 100) / 10 },
    );
  });
  const policy = compileAuthPolicy(config.auth);
  const services: RunningService[] = [];
  try {
    const ssh = config.services.ssh;
    const shell = ssh?.enabled || config.services.telnet?.enabled ? makeShellEnvironment(config, collector) : undefined;
    if (ssh?.enabled) {
      const hostKeys = loadOrCreateHostKeys(join(config.data_dir, 'keys'));
      services.push(await startSshSensor(ssh, { sensor: config.sensor, sink: collector, gate, log, policy, hostKeys, ...(shell ? { shell } : {}) }));
    }
    const telnet = config.services.telnet;
    if (telnet?.enabled && shell) services.push(await startTelnetSensor(telnet, { sensor: config.sensor, sink: collector, gate, log, policy, shell }));
    const smb = config.services.smb;
    if (smb?.enabled) {
      const identity = loadIdentity(join(config.data_dir, 'smb-identity.json'), smb);
      // One quarantine and fetch policy for every sensor: the shell's when it runs, else the same config.
      const quarantine =
        shell?.quarantine ?? new Quarantine({ dir: join(config.data_dir, 'quarantine'), maxFileBytes: config.quarantine.max_file_bytes, maxTotalBytes: config.quarantine.max_total_bytes });
      const fetcher =
        shell?.fetcher ??
        new Fetcher({
          ...DEFAULT_FETCH_POLICY,
          enabled: config.fetch.enabled,
          maxBytes: config.fetch.max_bytes,
          timeoutMs: config.fetch.timeout_s * 1000,
          perSourcePerMinute: config.fetch.per_source_per_minute,
          allowCidrs: config.fetch.allow_cidrs,
        });
      const capture = new SharedCapture(quarantine, fetcher);
      services.push(...(await startSmbSensor(smb, { sensor: config.sensor, sink: collector, gate, log, identity, quarantine: capture, fetcher: capture })));
    }
  } catch (err) {
    await Promise.all(services.map((s) => s.close()));
    await collector.close();
    await store.close();
    throw err;
  }
  let closing: Promise<void> | undefined;
  return {
    config,
    store,
    collector,
    services,
    close() {
      closing ??= (async () => {
        await Promise.all(services.map((s) => s.close()));
        gate.flushSummaries();
        await collector.close();
        await store.close();
      })();
      return closing;
    },
  };
}
