// Port listeners: TCP ports nothing real serves. Each connection may get a product banner, its first
// bytes (bounded) are read and named, one `scan.probe` is recorded, and the connection is closed.
// SOCKS and CONNECT clients (proxy hunters) also get a `tunnel.request` with where they wanted to go.
// A port whose banner greets as Postfix or Dovecot then answers a few commands as that daemon does
// (mail-dialects.ts) before it closes, so scanners name the product instead of a closed connection.
import type { ListenAddress, PortsServiceConfig } from '../../config/schema.js';
import { DEFAULT_MAIL_HOST, DEFAULT_PORT_BANNERS, parseListenAddress } from '../../config/schema.js';
import { hexSample } from '../../wire/reader.js';
import type { SensorDeps } from '../runtime/sensor-deps.js';
import { startTcpService, type ConnectionContext, type RunningService } from '../runtime/listener.js';
import { answerLines, mailDialect, MAX_MAIL_COMMANDS, openMailSession, type MailDialect } from './mail-dialects.js';
import { decodeSocks5Request, MAX_PROBE_BYTES, probeIncomplete, recogniseProbe } from './recognise.js';

/** How long a SOCKS5 client that got "no authentication" may take to send its request. */
export const SOCKS5_REQUEST_WAIT_MS = 5_000;
/** Longest SOCKS5 request read (RFC 1928 4: at most 4 + 1 + 255 + 2 bytes). */
export const MAX_SOCKS5_REQUEST_BYTES = 262;

export interface PortsSensorDeps extends SensorDeps {
  /** The host name the fake shell reports, put in the default Postfix greeting (one host, one name). */
  hostname?: string;
}

/** Default ports (issue 6): Telnet, SMTP, POP3, IMAP, SOCKS, RDP, VNC, IRC, HTTP proxy. */
export const DEFAULT_PROBE_PORTS = [23, 25, 110, 143, 1080, 3389, 5900, 6667, 8080] as const;

/** The listen addresses to use: the configured ones, or the defaults minus ports another service has. */
export function probeAddresses(cfg: PortsServiceConfig, portsInUse: ReadonlySet<number>): ListenAddress[] {
  if (cfg.listen.length > 0) return cfg.listen.map((a) => parseListenAddress(a) as ListenAddress);
  return DEFAULT_PROBE_PORTS.filter((p) => !portsInUse.has(p)).map((port) => ({ host: '0.0.0.0', port }));
}

export async function startPortsSensor(cfg: PortsServiceConfig, addresses: ListenAddress[], deps: PortsSensorDeps): Promise<RunningService> {
  const banners = new Map(Object.entries(cfg.banners).map(([p, b]) => [Number(p), portBanner(p, b, deps.hostname)]));
  return startTcpService({
    name: 'ports',
    protocol: 'tcp',
    sensor: deps.sensor,
    addresses,
    sink: deps.sink,
    gate: deps.gate,
    log: deps.log.child({ service: 'ports' }),
    idleTimeoutMs: cfg.read_timeout_s * 1000 + SOCKS5_REQUEST_WAIT_MS,
    sessionTimeoutMs: cfg.read_timeout_s * 1000 + SOCKS5_REQUEST_WAIT_MS * 2,
    onConnection(ctx) {
      const banner = banners.get(ctx.socket.localPort ?? 0);
      handleProbe(ctx, banner?.bytes, banner?.dialect, cfg.read_timeout_s * 1000);
    },
  });
}

interface PortBanner {
  bytes: Buffer;
  dialect: MailDialect | undefined;
}

/** The bytes to greet with, and the mail daemon they name; the stock Postfix greeting names the shell's host. */
function portBanner(port: string, banner: string, hostname: string | undefined): PortBanner {
  const stock = DEFAULT_PORT_BANNERS[port];
  const text = hostname && banner === stock ? banner.replace(DEFAULT_MAIL_HOST, hostname) : banner;
  return { bytes: Buffer.from(text, 'latin1'), dialect: mailDialect(text) };
}

type ProbeState = 'first-bytes' | 'socks5-request' | 'mail' | 'done';

function handleProbe(ctx: ConnectionContext, banner: Buffer | undefined, dialect: MailDialect | undefined, readTimeoutMs: number): void {
  let state: ProbeState = 'first-bytes';
  let first: Buffer = Buffer.alloc(0);
  let request: Buffer = Buffer.alloc(0);
  const mail = dialect ? openMailSession(dialect) : undefined;
  let pending: Uint8Array = new Uint8Array(0);
  let read = 0;
  let commandsLeft = MAX_MAIL_COMMANDS;
  const { socket, emitter } = ctx;

  const recordProbe = (): void => {
    const r = recogniseProbe(first);
    emitter.emit('scan.probe', { first_bytes_hex: first.toString('hex'), ...(r ? { recognised: r.detail ? `${r.name} ${r.detail}` : r.name } : {}) });
    if (r?.target) {
      emitter.emit('tunnel.request', { target_host: r.target.host, target_port: r.target.port, first_bytes_hex: hexSample(first) });
    }
  };

  const finish = (): void => {
    if (state === 'done') return;
    if (state === 'first-bytes') recordProbe();
    state = 'done';
    clearTimeout(timer);
  };
  // Ours runs before the listener's close handler, so scan.probe always precedes connection.close.
  socket.prependOnceListener('close', finish);
  const timer = setTimeout(() => {
    finish();
    ctx.close('policy');
  }, readTimeoutMs);
  timer.unref();

  /** Ends the connection after what was written has gone, as a daemon that hangs up. */
  const hangUp = (): void => {
    state = 'done';
    clearTimeout(timer);
    socket.end();
    setTimeout(() => ctx.close('policy'), 200).unref();
  };

  /** Answers the complete lines of CHUNK as the mail daemon would; all of it bounded by MAX_PROBE_BYTES. */
  const converse = (chunk: Uint8Array): void => {
    const take = chunk.subarray(0, MAX_PROBE_BYTES - read);
    read += take.length;
    const r = answerLines(mail!, Buffer.concat([pending, take]), commandsLeft);
    commandsLeft -= r.replies.length;
    pending = r.rest;
    const out = r.replies.join('');
    if (out !== '') socket.write(out, 'latin1');
    if (r.close || read >= MAX_PROBE_BYTES || commandsLeft <= 0) {
      hangUp();
    }
  };

  socket.on('data', (chunk: Buffer) => {
    if (state === 'mail') {
      converse(chunk);
      return;
    }
    if (state === 'first-bytes') {
      const room = MAX_PROBE_BYTES - first.length;
      first = Buffer.concat([first, chunk.subarray(0, room)]);
      if (first.length < MAX_PROBE_BYTES && probeIncomplete(first)) return;
      if (mail) {
        // The daemon answers whatever the client sent; the probe is recorded as on any other port.
        recordProbe();
        state = 'mail';
        converse(first);
        return;
      }
      const r = recogniseProbe(first);
      if (r?.name === 'socks5' && /[=,]00(,|$)/.test(r.detail ?? '')) {
        // Offer "no authentication required" to learn where the client wants to go (RFC 1928 3).
        recordProbe();
        state = 'socks5-request';
        socket.write(Buffer.from([0x05, 0x00]));
        return;
      }
      if (r?.name === 'socks4' || r?.name === 'socks4a') socket.write(Buffer.from([0x00, 0x5b, 0, 0, 0, 0, 0, 0])); // request rejected
      finish();
      ctx.close('policy');
      return;
    }
    if (state === 'socks5-request') {
      request = Buffer.concat([request, chunk]).subarray(0, MAX_SOCKS5_REQUEST_BYTES);
      const target = decodeSocks5Request(request);
      if (!target && request.length < MAX_SOCKS5_REQUEST_BYTES && request.length < 7 + 255) return;
      if (target) emitter.emit('tunnel.request', { target_host: target.host, target_port: target.port, first_bytes_hex: hexSample(request) });
      else emitter.emit('protocol.malformed', { reason: 'not a SOCKS5 request', sample_hex: hexSample(request) });
      // Reply 05 (connection refused), as a proxy whose upstream refused.
      socket.write(Buffer.from([0x05, 0x05, 0x00, 0x01, 0, 0, 0, 0, 0, 0]));
      hangUp();
    }
  });
  if (banner && banner.length > 0) socket.write(banner);
}
