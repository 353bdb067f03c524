// Starts the sensors of issue 6 (HTTP/HTTPS, FTP, TFTP, SIP, port listeners) for `apiary start`.
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { parseListenAddress, type ListenAddress } from '../config/schema.js';
import type { EventSink } from '../events/emitter.js';
import type { AuthPolicy } from '../sensors/runtime/auth-policy.js';
import type { ConnectionGate, RunningService } from '../sensors/runtime/listener.js';
import { probeAddresses, startPortsSensor } from '../sensors/ports/sensor.js';
import { join } from 'node:path';
import type { Capture } from '../sensors/runtime/capture.js';
import { announceHoneytokens, openHoneytokenRegistry, type HoneytokenRegistry } from '../sensors/runtime/honeytokens.js';
import type { FakeDir } from '../sensors/ftp/fake-tree.js';
import { startHttpSensor } from '../sensors/http/sensor.js';
import { loadOrCreateCertificate } from '../sensors/http/tls-cert.js';
import { startFtpSensor } from '../sensors/ftp/sensor.js';
import { startTftpSensor } from '../sensors/tftp/sensor.js';
import { startSipSensor } from '../sensors/sip/sensor.js';

export interface WebFamilyDeps {
  sink: EventSink;
  gate: ConnectionGate;
  log: Logger;
  policy: AuthPolicy;
  /** The process's quarantine and fetcher (one for every sensor, so quota and fetch rate are shared). */
  capture: Capture;
  /** The install's host name with its domain (the fake shell's `hostname -f`), which the port listeners' Postfix greeting names. */
  hostname?: string;
  /** The registry the FTP tree planted its tokens in (opened here without one). */
  honeytokens?: HoneytokenRegistry;
  /** The FTP root the fake shell also shows. */
  ftpTree?: FakeDir;
}

/** TCP ports the other enabled services listen on (port listeners leave those alone by default). */
function tcpPortsInUse(config: Config): Set<number> {
  const used = new Set<number>();
  for (const [name, svc] of Object.entries(config.services)) {
    if (!svc?.enabled || name === 'ports' || name === 'tftp') continue;
    // Telnet on: port 23 is the Telnet sensor's to take, never a probe listener's (issue 6).
    if (name === 'telnet') used.add(23);
    const lists = [svc.listen, 'tls_listen' in svc ? svc.tls_listen : []];
    for (const a of lists.flat()) {
      const p = parseListenAddress(a) as ListenAddress;
      used.add(p.port);
    }
  }
  return used;
}

/** Starts every enabled sensor of this family; on failure, closes those already started. */
export async function startWebFamily(config: Config, deps: WebFamilyDeps): Promise<RunningService[]> {
  const started: RunningService[] = [];
  const base = { sensor: config.sensor, sink: deps.sink, gate: deps.gate, log: deps.log };
  const capture = deps.capture;
  const honeytokens = deps.honeytokens ?? openHoneytokenRegistry(config.data_dir);
  try {
    const http = config.services.http;
    if (http?.enabled) {
      const tls = http.tls_listen.length > 0 ? await loadOrCreateCertificate(join(config.data_dir, 'tls'), http.server_name) : undefined;
      started.push(...(await startHttpSensor(http, { ...base, policy: deps.policy, capture, honeytokens, requestsPerSecond: config.limits.source_requests_s, ...(tls ? { tls } : {}) })));
    }
    const ftp = config.services.ftp;
    if (ftp?.enabled) started.push(await startFtpSensor(ftp, { ...base, policy: deps.policy, capture, honeytokens, ...(deps.ftpTree ? { tree: deps.ftpTree } : {}) }));
    const udpLimits = { perSourcePerSecond: config.limits.udp_datagrams_per_source_s, maxFlows: config.limits.udp_flows };
    const tftp = config.services.tftp;
    if (tftp?.enabled) started.push(await startTftpSensor(tftp, { sensor: config.sensor, sink: deps.sink, log: deps.log, capture, honeytokens, ...udpLimits }));
    const sip = config.services.sip;
    if (sip?.enabled) started.push(...(await startSipSensor(sip, { ...base, policy: deps.policy, ...udpLimits })));
    const ports = config.services.ports;
    if (ports?.enabled) started.push(await startPortsSensor(ports, probeAddresses(ports, tcpPortsInUse(config)), { ...base, ...(deps.hostname ? { hostname: deps.hostname } : {}) }));
  } catch (err) {
    await Promise.all(started.map((s) => s.close()));
    throw err;
  }
  announceHoneytokens(honeytokens, deps.sink, config.sensor);
  return started;
}
