// The TFTP sensor (UDP): read requests get decoy device configurations (with registered honeytokens)
// or "File not found"; write requests are received into quarantine. Each transfer runs from its own
// port (a new TID, RFC 1350 4) with retransmission, and every request is recorded.
import { createSocket, type Socket as DgramSocket } from 'node:dgram';
import { isIP } from 'node:net';
import type { ListenAddress, TftpServiceConfig } from '../../config/schema.js';
import { parseListenAddress } from '../../config/schema.js';
import { hexSample } from '../../wire/reader.js';
import { storeUpload, UploadBuffer, type Capture } from '../runtime/capture.js';
import type { HoneytokenRegistry } from '../runtime/honeytokens.js';
import { ALNUM } from '../runtime/honeytokens.js';
import type { RunningService } from '../runtime/listener.js';
import { startUdpService, type UdpFlowContext } from '../runtime/udp.js';
import type { SensorDeps, UdpLimits } from '../runtime/sensor-deps.js';
import { BLOCK_SIZE, decodeTftp, encodeAck, encodeData, encodeError, requestErrorText } from './codec.js';

/** Retransmission timeout and tries (tftpd-hpa's defaults are 1 s and about 5 tries). */
export const RETRANSMIT_MS = 1000;
export const MAX_RETRIES = 5;
/** Transfers running at once across all clients; more get "server busy". */
export const MAX_TRANSFERS = 64;

export interface TftpSensorDeps extends Omit<SensorDeps, 'gate'>, UdpLimits {
  capture: Capture;
  honeytokens: HoneytokenRegistry;
}

/** Decoy files by base name: what scanners pull from routers and phones. */
function decoyFiles(reg: HoneytokenRegistry): Map<string, Buffer> {
  const secret = reg.derive('tftp:enable', ALNUM, 12);
  for (const location of ['startup-config', 'running-config']) {
    reg.plant({ service: 'tftp', kind: 'device', username: 'enable', secret, host: 'edge-rtr-02', location });
    reg.plant({ service: 'tftp', kind: 'device', username: 'netops', secret, host: 'edge-rtr-02', location });
  }
  const community = reg.plant({ service: 'tftp', kind: 'device', username: 'snmp-rw', secret: reg.derive('tftp:snmp', ALNUM, 10).toLowerCase(), host: 'edge-rtr-02', location: 'startup-config' });
  const sipPassword = reg.plant({ service: 'tftp', kind: 'device', username: '2001', secret: reg.derive('tftp:sip', ALNUM, 10), host: 'sip', location: 'SEP001122334455.cnf.xml' });
  const config = `!\r\nversion 15.2\r\nservice timestamps log datetime msec\r\nhostname edge-rtr-02\r\n!\r\nenable secret ${secret}\r\n!\r\nusername netops privilege 15 password ${secret}\r\n!\r\ninterface GigabitEthernet0/0\r\n ip address 10.20.0.1 255.255.255.0\r\n!\r\nsnmp-server community ${community} RW\r\nline vty 0 4\r\n login local\r\n transport input ssh telnet\r\n!\r\nend\r\n`;
  const phone = `<?xml version="1.0" encoding="UTF-8"?>\r\n<device><deviceProtocol>SIP</deviceProtocol><sipProfile><sipLines><line button="1"><featureID>9</featureID><name>2001</name><authName>2001</authName><authPassword>${sipPassword}</authPassword><proxy>USECALLMANAGER</proxy></line></sipLines></sipProfile></device>\r\n`;
  return new Map([
    ['startup-config', Buffer.from(config)],
    ['running-config', Buffer.from(config)],
    ['SEP001122334455.cnf.xml', Buffer.from(phone)],
  ]);
}

export async function startTftpSensor(cfg: TftpServiceConfig, deps: TftpSensorDeps): Promise<RunningService> {
  const files = decoyFiles(deps.honeytokens);
  let running = 0;
  return startUdpService({
    name: 'tftp',
    protocol: 'tftp',
    sensor: deps.sensor,
    addresses: cfg.listen.map((a) => parseListenAddress(a) as ListenAddress),
    sink: deps.sink,
    log: deps.log.child({ service: 'tftp' }),
    idleTimeoutMs: RETRANSMIT_MS * (MAX_RETRIES + 2),
    perSourcePerSecond: deps.perSourcePerSecond,
    maxFlows: deps.maxFlows,
    onFlow(ctx) {
      let started = false;
      return {
        datagram(buf) {
          const r = decodeTftp(buf);
          // tftpd-hpa answers only read and write requests on its listening port: any other opcode
          // (DATA, ACK, ERROR, unknown, too short) gets silence. An answer there is what nmap's UDP
          // probes match ("Illegal TFTP operation" reads as Plan 9 or Windows deployment tftpd).
          const request = buf.length >= 2 && buf[0] === 0 && (buf[1] === 1 || buf[1] === 2);
          if (r.status === 'malformed') {
            ctx.emitter.emit('protocol.malformed', { reason: r.reason, sample_hex: hexSample(buf) });
            if (request) ctx.send(encodeError(4, requestErrorText(buf)));
            return;
          }
          const p = r.packet;
          if (p.op !== 'RRQ' && p.op !== 'WRQ') return;
          const opts = Object.entries(p.options).map(([k, v]) => ` ${k}=${v}`).join('');
          ctx.emitter.emit('command.input', { input: `${p.op} ${p.filename} ${p.mode}${opts}`, known: true });
          if (started) return; // a retransmitted request: the transfer is already running
          started = true;
          if (running >= MAX_TRANSFERS) {
            ctx.send(encodeError(0, 'Server busy'));
            return;
          }
          running++;
          const done = (): void => {
            running--;
            ctx.close('client');
          };
          const base = p.filename.replace(/\\/g, '/').split('/').filter(Boolean).pop() ?? '';
          if (p.op === 'RRQ') {
            const content = files.get(base);
            if (!content) {
              ctx.send(encodeError(1, 'File not found'));
              done();
              return;
            }
            const bytes = p.mode === 'netascii' ? Buffer.from(content.toString('latin1').replace(/\r?\n/g, '\r\n'), 'latin1') : content;
            sendFile(ctx, bytes).finally(done);
          } else {
            receiveFile(ctx, deps.capture, cfg.max_upload_bytes, p.filename).finally(done);
          }
        },
      };
    },
  });
}

/**
 * A socket on a fresh port of the flow's local address: the server's TID for this transfer; undefined
 * when it cannot be bound (no file descriptors or ports left), and the transfer then ends at once: a
 * bind that failed never called back, so the transfer waited for ever and kept its flow.
 */
export async function transferSocket(ctx: Pick<UdpFlowContext, 'local'>): Promise<DgramSocket | undefined> {
  const s = createSocket(isIP(ctx.local.address) === 6 ? 'udp6' : 'udp4');
  const bound = await new Promise<boolean>((resolve) => {
    s.once('error', () => resolve(false));
    s.bind(0, ctx.local.address, () => resolve(true));
  });
  s.on('error', () => {});
  if (bound) return s;
  s.close();
  return undefined;
}

/** Sends PACKET and resolves with the first reply from the client's TID that ACCEPT takes, retransmitting on silence. */
function exchange(s: DgramSocket, ctx: UdpFlowContext, packet: Buffer, accept: (msg: Buffer) => boolean): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    let tries = 0;
    let timer: NodeJS.Timeout;
    const send = (): void => {
      if (tries++ > MAX_RETRIES) {
        s.off('message', onMessage);
        resolve(undefined);
        return;
      }
      ctx.count(0, packet.length);
      s.send(packet, ctx.remote.port, ctx.remote.address);
      timer = setTimeout(send, RETRANSMIT_MS);
    };
    const onMessage = (msg: Buffer, rinfo: { address: string; port: number }): void => {
      // Another host's datagram is no part of this transfer (nor answered: it may be spoofed); another
      // port of the same host gets RFC 1350's error 5.
      if (rinfo.address !== ctx.remote.address) return;
      if (rinfo.port !== ctx.remote.port) {
        s.send(encodeError(5, 'Unknown transfer ID'), rinfo.port, rinfo.address);
        return;
      }
      ctx.count(msg.length, 0);
      ctx.touch();
      if (!accept(msg)) return;
      clearTimeout(timer);
      s.off('message', onMessage);
      resolve(msg);
    };
    s.on('message', onMessage);
    send();
  });
}

async function sendFile(ctx: UdpFlowContext, bytes: Buffer): Promise<void> {
  const s = await transferSocket(ctx);
  if (!s) return;
  try {
    for (let block = 1; ; block++) {
      const chunk = bytes.subarray((block - 1) * BLOCK_SIZE, block * BLOCK_SIZE);
      const reply = await exchange(s, ctx, encodeData(block, chunk), (m) => {
        const r = decodeTftp(m);
        return r.status === 'ok' && ((r.packet.op === 'ACK' && r.packet.block === (block & 0xffff)) || r.packet.op === 'ERROR');
      });
      if (!reply || decodeTftp(reply).status !== 'ok' || (decodeTftp(reply) as { packet: { op: string } }).packet.op === 'ERROR') return;
      if (chunk.length < BLOCK_SIZE) return;
    }
  } finally {
    s.close();
  }
}

async function receiveFile(ctx: UdpFlowContext, capture: Capture, maxBytes: number, filename: string): Promise<void> {
  const s = await transferSocket(ctx);
  if (!s) return;
  const upload = new UploadBuffer(maxBytes, ctx.emitter.identity.src_ip);
  let complete = false;
  try {
    let ack = encodeAck(0);
    for (let block = 1; ; block++) {
      const reply = await exchange(s, ctx, ack, (m) => {
        const r = decodeTftp(m);
        return r.status === 'ok' && ((r.packet.op === 'DATA' && r.packet.block === (block & 0xffff)) || r.packet.op === 'ERROR');
      });
      const r = reply ? decodeTftp(reply) : undefined;
      if (!r || r.status !== 'ok' || r.packet.op !== 'DATA') break;
      upload.write(r.packet.data);
      ack = encodeAck(block);
      if (upload.offered > maxBytes) {
        s.send(encodeError(3, 'Disk full or allocation exceeded'), ctx.remote.port, ctx.remote.address);
        break;
      }
      if (r.packet.data.length < BLOCK_SIZE) {
        // The final ACK; a lost one is answered again if the client retransmits (below).
        s.send(ack, ctx.remote.port, ctx.remote.address);
        complete = true;
        break;
      }
    }
  } finally {
    setTimeout(() => s.close(), RETRANSMIT_MS).unref();
    // The flow stays counted until its file is in quarantine.
    if (upload.offered > 0 || complete) await storeUpload(capture, ctx.emitter, filename, upload);
    upload.release();
  }
}
