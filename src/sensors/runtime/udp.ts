// UDP listeners for sensors (TFTP, SIP, the SQL Server Browser): the UDP counterpart of
// startTcpService. A "flow" is one source address and port; each gets a session with
// connection.open/close, an idle timeout, a per-source datagram rate limit (RequestRate: a token
// bucket per source, O(1) a datagram however many sources send) and a cap on flows tracked at once.
import { createSocket, type Socket as DgramSocket } from 'node:dgram';
import { isIP } from 'node:net';
import type { Logger } from 'pino';
import type { Payload } from '../../events/catalogue.js';
import { createSessionEmitter, normaliseIp, type EventSink, type SessionEmitter } from '../../events/emitter.js';
import { emitLimited, sourceEnvelope } from './windowed-counts.js';
import { RequestRate } from './request-rate.js';
import { listenFailed } from '../../errors/errors.js';
import type { ListenAddress } from '../../config/schema.js';
import { timerDelay, type RunningService } from './listener.js';

type CloseReason = Payload<'connection.close'>['reason'];

/** Largest datagram read; bigger ones are truncated by the kernel to this. */
export const MAX_DATAGRAM_BYTES = 65_507;

export interface UdpFlowContext {
  emitter: SessionEmitter;
  log: Logger;
  remote: { address: string; port: number };
  local: { address: string; port: number };
  /** Sends BUF to the flow's source from the service's own socket. */
  send(buf: Buffer): void;
  /** Adds bytes moved outside the service socket (TFTP transfer sockets) to the flow's counters. */
  count(bytesIn: number, bytesOut: number): void;
  /** Keeps the flow alive (its idle timer restarts). */
  touch(): void;
  close(reason: CloseReason): void;
}

export interface UdpFlowHandler {
  datagram(buf: Buffer): void;
  /** Called once when the flow ends, before connection.close is recorded. */
  closed?(): void;
}

export interface UdpServiceOptions {
  name: string;
  /** The config key of the addresses, named when one cannot be bound; `services.NAME.listen` if not given. */
  listenKey?: string;
  protocol: string;
  sensor: string;
  addresses: readonly ListenAddress[];
  sink: EventSink;
  log: Logger;
  idleTimeoutMs: number;
  perSourcePerSecond: number;
  maxFlows: number;
  onFlow(ctx: UdpFlowContext): UdpFlowHandler;
}

interface Flow {
  handler: UdpFlowHandler;
  ctx: UdpFlowContext;
  started: number;
  bytesIn: number;
  bytesOut: number;
  idle: NodeJS.Timeout;
  closed: boolean;
}

export async function startUdpService(opts: UdpServiceOptions): Promise<RunningService & { socketFor(port: number): DgramSocket | undefined }> {
  const flows = new Map<string, Flow>();
  const sockets: DgramSocket[] = [];
  const bound: { host: string; port: number }[] = [];

  // A second's worth at once, then perSourcePerSecond; what is refused is summarised per source and
  // window as connection.limited. (A table of fixed one-second windows, refusing new sources when full,
  // walked every entry for each datagram from a new source once full: a flood of spoofed sources made
  // every datagram cost maxFlows steps.)
  const rate = new RequestRate(
    (src, refused, windowMs) => emitLimited(opts.sink, sourceEnvelope(opts.sensor, opts.protocol, src), 'per_source', refused, windowMs),
    opts.perSourcePerSecond,
    opts.perSourcePerSecond,
  );

  const endFlow = (key: string, flow: Flow, reason: CloseReason): void => {
    if (flow.closed) return;
    flow.closed = true;
    clearTimeout(flow.idle);
    flows.delete(key);
    try {
      flow.handler.closed?.();
    } catch (err) {
      flow.ctx.log.warn({ err }, 'udp flow close handler failed');
    }
    flow.ctx.emitter.emit('connection.close', { duration_ms: Date.now() - flow.started, bytes_in: flow.bytesIn, bytes_out: flow.bytesOut, reason });
  };

  const onMessage = (sock: DgramSocket, msg: Buffer, rinfo: { address: string; port: number }): void => {
    const src = normaliseIp(rinfo.address);
    if (!rate.admit(src)) return;
    const now = Date.now();
    const key = `${src}|${rinfo.port}`;
    let flow = flows.get(key);
    if (!flow) {
      if (flows.size >= opts.maxFlows) return;
      const local = sock.address();
      const emitter = createSessionEmitter(
        opts.sink,
        { sensor: opts.sensor, protocol: opts.protocol, src_ip: src, src_port: rinfo.port, dst_ip: local.address, dst_port: local.port },
        { onInvalid: (type, why) => opts.log.error({ type, why }, 'sensor emitted an invalid event; dropped') },
      );
      const log = opts.log.child({ session: emitter.session });
      const f: Flow = { handler: undefined as unknown as UdpFlowHandler, ctx: undefined as unknown as UdpFlowContext, started: now, bytesIn: 0, bytesOut: 0, idle: undefined as unknown as NodeJS.Timeout, closed: false };
      const restart = (): void => {
        clearTimeout(f.idle);
        f.idle = setTimeout(() => endFlow(key, f, 'idle_timeout'), timerDelay(opts.idleTimeoutMs));
        f.idle.unref();
      };
      f.ctx = {
        emitter,
        log,
        remote: { address: src, port: rinfo.port },
        local: { address: local.address, port: local.port },
        send(buf) {
          if (f.closed) return;
          f.bytesOut += buf.length;
          sock.send(buf, rinfo.port, rinfo.address, () => {});
        },
        count(i, o) {
          f.bytesIn += i;
          f.bytesOut += o;
        },
        touch: restart,
        close: (reason) => endFlow(key, f, reason),
      };
      flows.set(key, f);
      restart();
      emitter.emit('connection.open', { transport: 'udp' });
      try {
        f.handler = opts.onFlow(f.ctx);
      } catch (err) {
        log.warn({ err }, 'udp flow handler failed; ending this flow only');
        endFlow(key, f, 'error');
        return;
      }
      flow = f;
    }
    flow.bytesIn += msg.length;
    flow.ctx.touch();
    try {
      flow.handler.datagram(msg);
    } catch (err) {
      flow.ctx.log.warn({ err }, 'udp datagram handler failed; ending this flow only');
      endFlow(key, flow, 'error');
    }
  };

  for (const addr of opts.addresses) {
    const sock = createSocket({ type: isIP(addr.host) === 6 ? 'udp6' : 'udp4', reuseAddr: false });
    sock.on('message', (msg, rinfo) => {
      try {
        onMessage(sock, msg, rinfo);
      } catch (err) {
        opts.log.error({ err }, 'udp message failed');
      }
    });
    await new Promise<void>((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException): void =>
        reject(listenFailed(opts.name, `udp ${addr.host}:${addr.port}`, err, opts.listenKey ?? `services.${opts.name}.listen`));
      sock.once('error', onError);
      sock.bind({ address: addr.host, port: addr.port }, () => {
        sock.off('error', onError);
        resolve();
      });
    }).catch(async (err) => {
      for (const s of sockets) s.close();
      sock.close();
      throw err;
    });
    sock.on('error', (err) => opts.log.warn({ err }, 'udp socket error'));
    sockets.push(sock);
    const a = sock.address();
    bound.push({ host: a.address, port: a.port });
  }

  return {
    name: opts.name,
    bound,
    get openConnections() {
      return flows.size;
    },
    socketFor: (port) => sockets.find((s) => s.address().port === port),
    async close() {
      for (const [key, flow] of [...flows]) endFlow(key, flow, 'shutdown');
      rate.flush();
      await Promise.all(sockets.map((s) => new Promise<void>((r) => s.close(() => r()))));
    },
  };
}
