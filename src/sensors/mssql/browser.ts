// SQL Server Browser (SSRP, [MC-SQLR]) on UDP 1434: answers instance enumeration the way the real
// service does, records who asked, and never answers one source more often than a real scanner needs,
// nor all sources together more than a few dozen times a second (SSRP is a known reflection amplifier:
// a one-byte request with a forged source draws an answer a hundred times its size).
import type { Logger } from 'pino';
import type { EventSink } from '../../events/emitter.js';
import { hexSample } from '../../wire/reader.js';
import type { ListenAddress } from '../../config/schema.js';
import type { RunningService } from '../runtime/listener.js';
import { RecentMap } from '../runtime/recent-map.js';
import type { UdpLimits } from '../runtime/sensor-deps.js';
import { startUdpService } from '../runtime/udp.js';
import { sourceKey } from '../../events/source-key.js';

/** Largest request datagram read (CLNT_UCAST_INST carries an instance name of at most 32 bytes). */
export const MAX_SSRP_REQUEST_BYTES = 1024;
/** Answers per source per window; further requests are recorded but not answered. */
export const SSRP_ANSWERS_PER_WINDOW = 8;
export const SSRP_WINDOW_MS = 60_000;
/** Sources tracked for the answer limit at once (the most recent; an IPv6 /64 is one source). */
export const MAX_TRACKED_SOURCES = 10_000;
/**
 * Answers per second over all sources. Forged sources each get their SSRP_ANSWERS_PER_WINDOW, so
 * without this a flood of requests from forged addresses drew an answer each: the sensor would
 * amplify it at whatever rate it came in. Past it requests are recorded, not answered.
 */
export const SSRP_ANSWERS_PER_SECOND = 50;
/** A source address and port asking nothing for this long is a flow ended (connection.close): a scan asks once or twice. */
export const SSRP_FLOW_IDLE_MS = 10_000;

export const CLNT_BCAST_EX = 0x02;
export const CLNT_UCAST_EX = 0x03;
export const CLNT_UCAST_INST = 0x04;
export const CLNT_UCAST_DAC = 0x0f;
export const SVR_RESP = 0x05;

export interface BrowserInstance {
  serverName: string;
  instanceName: string;
  version: string;
  tcpPort: number;
}

export type SsrpRequest = { kind: 'enumerate' } | { kind: 'instance'; name: string } | { kind: 'dac'; name: string } | { kind: 'unknown'; code: number };

/** A request: int<1> type; CLNT_UCAST_INST and CLNT_UCAST_DAC add the instance name (NUL-terminated, at most 32 bytes). */
export function decodeSsrpRequest(b: Buffer): SsrpRequest | undefined {
  const t = b[0];
  if (t === undefined) return undefined;
  const name = (): string => {
    const start = t === CLNT_UCAST_DAC ? 2 : 1;
    const nul = b.indexOf(0, start);
    return b.subarray(start, nul < 0 ? Math.min(b.length, start + 32) : Math.min(nul, start + 32)).toString('latin1');
  };
  switch (t) {
    case CLNT_BCAST_EX:
    case CLNT_UCAST_EX:
      return { kind: 'enumerate' };
    case CLNT_UCAST_INST:
      return { kind: 'instance', name: name() };
    case CLNT_UCAST_DAC:
      return { kind: 'dac', name: name() };
    default:
      return { kind: 'unknown', code: t };
  }
}

/** SVR_RESP: int<1> 0x05, int<2> LE size, then "ServerName;X;InstanceName;Y;IsClustered;No;Version;V;tcp;PORT;;". */
export function encodeSsrpResponse(instances: readonly BrowserInstance[]): Buffer {
  const text = instances.map((i) => `ServerName;${i.serverName};InstanceName;${i.instanceName};IsClustered;No;Version;${i.version};tcp;${i.tcpPort};;`).join('');
  const body = Buffer.from(text, 'latin1');
  const h = Buffer.alloc(3);
  h[0] = SVR_RESP;
  h.writeUInt16LE(body.length, 1);
  return Buffer.concat([h, body]);
}

export interface BrowserDeps extends UdpLimits {
  sensor: string;
  sink: EventSink;
  log: Logger;
  /** The instances to announce; read at answer time so the TCP port bound later is current. */
  instances(): BrowserInstance[];
}

/**
 * The browser on the UDP runtime (udp.ts), as TFTP and SIP: a flow per source address and port with
 * its connection.open and close, the per-source datagram rate and the cap on flows, the rest
 * summarised in connection.limited. A connection.open per datagram (kept whatever the event budget)
 * once stored 51,676 for 60,000 datagrams in 7.6 s, from sources that may be forged.
 */
export async function startSqlBrowser(addresses: readonly ListenAddress[], deps: BrowserDeps): Promise<RunningService> {
  const answered = new RecentMap<{ count: number; since: number }>(MAX_TRACKED_SOURCES);
  const overall = { count: 0, second: 0 };
  /** Takes one of this second's answers over all sources; false past SSRP_ANSWERS_PER_SECOND. */
  const takeOverall = (now: number): boolean => {
    const second = Math.floor(now / 1000);
    if (second !== overall.second) {
      overall.second = second;
      overall.count = 0;
    }
    return ++overall.count <= SSRP_ANSWERS_PER_SECOND;
  };
  return startUdpService({
    name: 'mssql-browser',
    protocol: 'mssql-browser',
    listenKey: 'services.mssql.browser.listen',
    sensor: deps.sensor,
    addresses,
    sink: deps.sink,
    log: deps.log,
    idleTimeoutMs: SSRP_FLOW_IDLE_MS,
    perSourcePerSecond: deps.perSourcePerSecond,
    maxFlows: deps.maxFlows,
    onFlow(ctx) {
      const src = ctx.remote.address;
      return {
        datagram(msg) {
          const req = msg.length <= MAX_SSRP_REQUEST_BYTES ? decodeSsrpRequest(msg) : undefined;
          ctx.emitter.emit('scan.probe', { first_bytes_hex: hexSample(msg), recognised: req ? `ssrp:${req.kind}` : 'ssrp:malformed' });
          if (!req || req.kind === 'unknown' || req.kind === 'dac') return;
          const now = Date.now();
          const key = sourceKey(src);
          let slot = answered.get(key);
          if (!slot || now - slot.since > SSRP_WINDOW_MS) {
            slot = { count: 0, since: now };
            answered.set(key, slot);
          }
          const all = deps.instances();
          const list = req.kind === 'instance' ? all.filter((i) => i.instanceName.toLowerCase() === req.name.toLowerCase()) : all;
          if (list.length === 0) return; // a real browser stays silent about instances it does not have
          if (++slot.count > SSRP_ANSWERS_PER_WINDOW || !takeOverall(now)) return;
          ctx.send(encodeSsrpResponse(list));
        },
      };
    },
  });
}
