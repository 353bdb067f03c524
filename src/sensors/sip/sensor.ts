// The SIP sensor (UDP and TCP): a PBX that answers OPTIONS, challenges REGISTER and INVITE with a
// digest, records every request (callers and callees of INVITEs: toll fraud) and every digest
// attempt in crackable form, and lets a login through when the auth policy names its password.
import { randomBytes } from 'node:crypto';
import type { ListenAddress, SipServiceConfig } from '../../config/schema.js';
import { parseListenAddress } from '../../config/schema.js';
import type { SessionEmitter } from '../../events/emitter.js';
import { hexSample } from '../../wire/reader.js';
import type { AuthPolicy } from '../runtime/auth-policy.js';
import { MAX_CREDENTIAL_CHARS } from '../runtime/auth-policy.js';
import { startTcpService, type RunningService } from '../runtime/listener.js';
import { startUdpService } from '../runtime/udp.js';
import type { SensorDeps, UdpLimits } from '../runtime/sensor-deps.js';
import { crackableSipDigest, decodeSip, encodeResponse, header, MAX_SIP_MESSAGE_BYTES, parseDigest, uriUser, type SipMessage } from './codec.js';
import { DigestChecker } from './digest-check.js';

/** Seconds a UDP flow stays open without datagrams. */
export const SIP_UDP_IDLE_MS = 30_000;
/** Longest header value recorded. */
export const MAX_RECORDED_HEADER_CHARS = 512;

export interface SipSensorDeps extends SensorDeps, UdpLimits {
  policy: AuthPolicy;
}

/** What Asterisk's chan_pjsip lists. */
const ALLOW = 'OPTIONS, REGISTER, SUBSCRIBE, NOTIFY, PUBLISH, INVITE, ACK, BYE, CANCEL, UPDATE, PRACK, MESSAGE, REFER';
const clip = (s: string | undefined, n = MAX_RECORDED_HEADER_CHARS): string | undefined => (s === undefined ? undefined : s.slice(0, n));

interface Transport {
  kind: 'udp' | 'tcp';
  emitter: SessionEmitter;
  local: { address: string; port: number };
  remote: { address: string; port: number };
  send(b: Buffer): void;
}

function handleMessage(m: SipMessage, t: Transport, cfg: SipServiceConfig, digests: DigestChecker): void {
  if (m.kind !== 'request') return; // responses to nothing we sent are ignored
  const method = m.method!;
  const from = header(m, 'from');
  const to = header(m, 'to');
  const ua = header(m, 'user-agent');
  t.emitter.emit('sip.request', {
    method,
    uri: clip(m.uri!)!,
    ...(from !== undefined ? { from: clip(from) } : {}),
    ...(to !== undefined ? { to: clip(to) } : {}),
    ...(header(m, 'call-id') !== undefined ? { call_id: clip(header(m, 'call-id')) } : {}),
    ...(ua !== undefined ? { user_agent: clip(ua) } : {}),
    ...(uriUser(from) !== undefined ? { caller: clip(uriUser(from), 128) } : {}),
    ...((uriUser(m.uri) ?? uriUser(to)) !== undefined ? { callee: clip(uriUser(m.uri) ?? uriUser(to), 128) } : {}),
    transport: t.kind,
  });
  const toTag = randomBytes(8).toString('hex');
  const common: [string, string][] = [['Server', cfg.user_agent]];
  const reply = (status: number, reason: string, headers: [string, string][] = []): void =>
    t.send(encodeResponse(m, status, reason, { toTag, received: t.remote, headers: [...headers, ...common] }));
  const challenge = (): void =>
    reply(401, 'Unauthorized', [['WWW-Authenticate', `Digest realm="${cfg.realm}",nonce="${randomBytes(20).toString('hex').slice(0, 32)}",opaque="${randomBytes(8).toString('hex')}",algorithm=md5,qop="auth"`]]);

  switch (method) {
    case 'OPTIONS':
      return reply(200, 'OK', [
        ['Accept', 'application/sdp, application/dialog-info+xml, application/simple-message-summary, application/pidf+xml, application/xpidf+xml, message/sipfrag;version=2.0'],
        ['Allow', ALLOW],
        ['Supported', '100rel, timer, replaces, norefersub'],
        ['Accept-Encoding', 'text/plain'],
        ['Accept-Language', 'en'],
      ]);
    case 'REGISTER':
    case 'INVITE': {
      const authz = header(m, 'authorization') ?? header(m, 'proxy-authorization');
      const d = authz ? parseDigest(authz) : undefined;
      if (!d || !d.username || !d.response) return challenge();
      const user = d.username.slice(0, MAX_CREDENTIAL_CHARS);
      const password = digests.check({ username: d.username, realm: d.realm ?? '', method, uri: d.uri ?? '', nonce: d.nonce ?? '', response: d.response, qop: d.qop, nc: d.nc, cnonce: d.cnonce });
      t.emitter.emit('auth.attempt', {
        method: 'digest',
        username: user,
        ...(password !== undefined ? { password } : {}),
        hash: crackableSipDigest(d, method, t.local.address, t.remote.address).slice(0, 4096),
        realm: (d.realm ?? '').slice(0, 256),
        success: password !== undefined,
      });
      if (password === undefined) return reply(403, 'Forbidden');
      if (method === 'REGISTER') return reply(200, 'OK', [['Contact', header(m, 'contact') ?? ''], ['Expires', '3600'], ['Date', new Date().toUTCString()]]);
      // The call "goes through" to a busy trunk: recorded, never connected.
      reply(100, 'Trying');
      return reply(486, 'Busy Here');
    }
    case 'ACK':
      return; // ACK is never answered (RFC 3261 17.2.1)
    case 'BYE':
    case 'CANCEL':
      return reply(481, 'Call/Transaction Does Not Exist');
    default:
      return reply(501, 'Not Implemented', [['Allow', ALLOW]]);
  }
}

export async function startSipSensor(cfg: SipServiceConfig, deps: SipSensorDeps): Promise<RunningService[]> {
  const addresses = cfg.listen.map((a) => parseListenAddress(a) as ListenAddress);
  const log = deps.log.child({ service: 'sip' });
  const digests = new DigestChecker(deps.policy);
  const udp = await startUdpService({
    name: 'sip-udp',
    listenKey: 'services.sip.listen',
    protocol: 'sip',
    sensor: deps.sensor,
    addresses,
    sink: deps.sink,
    log,
    idleTimeoutMs: SIP_UDP_IDLE_MS,
    perSourcePerSecond: deps.perSourcePerSecond,
    maxFlows: deps.maxFlows,
    onFlow(ctx) {
      const t: Transport = { kind: 'udp', emitter: ctx.emitter, local: ctx.local, remote: ctx.remote, send: (b) => ctx.send(b) };
      return {
        datagram(buf) {
          const r = decodeSip(buf, false);
          if (r.status === 'ok') handleMessage(r.message, t, cfg, digests);
          else if (r.status === 'malformed') ctx.emitter.emit('protocol.malformed', { reason: r.reason, sample_hex: hexSample(buf) });
        },
      };
    },
  });
  let tcp: RunningService;
  try {
    tcp = await startTcpService({
      name: 'sip-tcp',
      protocol: 'sip',
      sensor: deps.sensor,
      addresses,
      sink: deps.sink,
      gate: deps.gate,
      log,
      idleTimeoutMs: SIP_UDP_IDLE_MS * 2,
      sessionTimeoutMs: 3600_000,
      onConnection(ctx) {
        const t: Transport = {
          kind: 'tcp',
          emitter: ctx.emitter,
          local: { address: ctx.socket.localAddress ?? '', port: ctx.socket.localPort ?? 0 },
          remote: { address: ctx.emitter.identity.src_ip, port: ctx.socket.remotePort ?? 0 },
          send: (b) => void ctx.socket.write(b),
        };
        let buf: Buffer = Buffer.alloc(0);
        ctx.socket.on('data', (chunk: Buffer) => {
          buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
          for (;;) {
            const r = decodeSip(buf, true);
            if (r.status === 'incomplete') {
              if (buf.length > MAX_SIP_MESSAGE_BYTES * 2) ctx.close('policy');
              return;
            }
            const sample = buf.subarray(0, Math.min(r.consumed, 64));
            buf = buf.subarray(r.consumed);
            if (r.status === 'malformed') {
              ctx.emitter.emit('protocol.malformed', { reason: r.reason, sample_hex: hexSample(sample) });
              ctx.close('policy');
              return;
            }
            handleMessage(r.message, t, cfg, digests);
          }
        });
      },
    });
  } catch (err) {
    await udp.close();
    throw err;
  }
  return [udp, tcp];
}
