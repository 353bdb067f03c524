// The SMB sensor's socket layer: NetBIOS framing on 445 (direct) and 139 (session request first),
// SMB1/SMB2 dispatch, the endpoint mapper on 135, and what findings become (events, quarantine, fetches).
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { parseListenAddress, type ListenAddress, type SmbServiceConfig } from '../../config/schema.js';
import type { EventSink, SessionEmitter } from '../../events/emitter.js';
import { hexSample } from '../../wire/reader.js';
import { analyseShellcode } from '../shellcode/analyse.js';
import { startTcpService, type ConnectionContext, type ConnectionGate, type RunningService } from '../runtime/listener.js';
import type { Fetcher, Quarantine } from './capture.js';
import { UPLOAD_MEMORY } from '../runtime/capture.js';
import { FramedInput, SHARED_BUFFER_BUDGET } from '../runtime/framed-input.js';
import { decodeNbssFrame, encodeNbssFrame, MAX_NBSS_PAYLOAD, NBSS_KEEPALIVE, NBSS_MESSAGE, NBSS_NEGATIVE_RESPONSE, NBSS_POSITIVE_RESPONSE, NBSS_SESSION_REQUEST, type NbssFrame } from './codec/netbios.js';
import type { SmbHooks } from './connection.js';
import type { ServerIdentity } from './identity.js';
import { RpcPipe } from './rpc/pipe.js';
import type { Share } from './rpc/srvsvc.js';
import { SmbSession } from './session.js';
import { ShareIndex } from './share-files.js';

/** `protocol.malformed` events recorded per connection; later ones are only counted. */
export const MAX_MALFORMED_EVENTS = 8;
/** Malformed messages tolerated on one connection before it is closed. */
export const MAX_MALFORMED_MESSAGES = 256;
/** Sources remembered as having run EternalBlue (for the DoublePulsar answer); the oldest go first. */
export const MAX_BACKDOORED_SOURCES = 10_000;
/** Exploit payloads analysed and stored per connection. */
export const MAX_PAYLOADS_PER_CONNECTION = 8;
/**
 * Bytes a connection may buffer: one partly received frame (header and MAX_NBSS_PAYLOAD) and the
 * socket read that continues it, with room to spare. A frame declaring more is refused by its header.
 */
export const MAX_BUFFERED_BYTES = 2 * (MAX_NBSS_PAYLOAD + 4);

export interface SmbSensorDeps {
  sensor: string;
  sink: EventSink;
  gate: ConnectionGate;
  log: Logger;
  identity: ServerIdentity;
  quarantine: Quarantine;
  fetcher: Fetcher;
  /** Sources that ran EternalBlue here; shared by every connection of the sensor. */
  backdoored?: Set<string>;
  /** What each source wrote to the shares; shared by every connection of the sensor. */
  shareFiles?: ShareIndex;
}

export function sharesFor(cfg: SmbServiceConfig): Share[] {
  return [
    { name: 'ADMIN$', type: 0x80000000, comment: 'Remote Admin', path: 'C:\\Windows', writable: true },
    { name: 'C$', type: 0x80000000, comment: 'Default share', path: 'C:\\', writable: true },
    { name: 'IPC$', type: 0x80000003, comment: 'Remote IPC', path: '', writable: false },
    { name: cfg.share.name, type: 0, comment: cfg.share.comment, path: `C:\\${cfg.share.name}`, writable: cfg.share.writable },
  ].map((s) => ({ ...s, type: s.type >>> 0 }));
}

/** Turns what a connection finds into events, quarantine entries and fetches. */
export function makeHooks(ctx: { emitter: SessionEmitter; log: Logger }, cfg: SmbServiceConfig, deps: SmbSensorDeps): SmbHooks {
  const em = ctx.emitter;
  let payloads = 0;
  const seenChecks = new Set<string>();
  let malformedEvents = 0;
  const handlePayload = async (name: string, cve: string, detail: string, payload: Uint8Array, analyse: boolean): Promise<void> => {
    // A payload the disk would not take is still an attempt: recorded without its hash.
    const stored = await deps.quarantine.store(payload, em.identity.src_ip).catch((err: unknown) => void ctx.log.error({ err }, 'storing an exploit payload failed'));
    em.emit('exploit.attempt', { name, cve, detail, ...(stored ? { sha256: stored.sha256 } : {}) });
    if (!analyse) return;
    const report = analyseShellcode(payload);
    if (!report) return;
    em.emit('shellcode.detected', {
      urls: report.urls,
      commands: report.commands,
      ...(report.connectBack ? { connect_back: `${report.connectBack.host}:${report.connectBack.port}` } : {}),
      ...(report.bindPort !== undefined ? { bind_port: report.bindPort } : {}),
      encoding: report.encoding + (report.key !== undefined ? `:${report.key.toString(16)}` : ''),
    });
    for (const url of report.urls) {
      const got = await deps.fetcher.fetch(url, em.identity.src_ip);
      if ('file' in got) em.emit('file.download', { url, sha256: got.file.sha256, md5: got.file.md5, size: got.file.size, path: got.file.path, outcome: got.outcome });
      else em.emit('file.download', { url, outcome: got.outcome, reason: got.reason });
    }
  };
  const backdoored = deps.backdoored ?? new Set<string>();
  const src = em.identity.src_ip;
  const exploitStep: SmbHooks['exploitStep'] = (p) => {
    if (p.name === 'EternalBlue' && !backdoored.has(src)) {
      if (backdoored.size >= MAX_BACKDOORED_SOURCES) backdoored.delete(backdoored.values().next().value!);
      backdoored.add(src);
    }
    if (!p.payload) {
      const key = `${p.name}|${p.detail}`;
      if (seenChecks.has(key)) return;
      seenChecks.add(key);
      em.emit('exploit.attempt', { name: p.name, cve: p.cve, detail: p.detail });
      return;
    }
    if (payloads++ >= MAX_PAYLOADS_PER_CONNECTION) return;
    const handled = handlePayload(p.name, p.cve, p.detail, p.payload, p.analyse).catch((err) => ctx.log.error({ err }, 'storing an exploit payload failed'));
    // The connection's close waits for the payload's events (stored, analysed, fetched).
    em.hold?.(handled);
  };
  return {
    auth(a) {
      em.emit('auth.attempt', {
        method: 'ntlm',
        username: a.user,
        success: a.success,
        domain: a.domain,
        workstation: a.workstation,
        ...(a.hash ? { ntlm_hash: a.hash.hash, hash_format: a.hash.format } : {}),
      });
    },
    backdoorInstalled() {
      return cfg.doublepulsar === 'always' || (cfg.doublepulsar === 'after_eternalblue' && backdoored.has(src));
    },
    allowLogon(user, anonymous) {
      if (anonymous || user.toLowerCase() === 'guest') return { ok: true, guest: !anonymous };
      return cfg.guest_fallback ? { ok: true, guest: true } : { ok: false, guest: false };
    },
    upload(u) {
      if (u.dropped) return void em.emit('file.upload', { filename: `${u.share}\\${u.name}`, sha256: u.dropped.sha256, size: u.dropped.size, outcome: 'dropped' });
      const stored = deps.quarantine
        .store(u.data, em.identity.src_ip)
        .then((f) => {
          u.kept?.(f.stored ? f : undefined);
          em.emit('file.upload', { filename: `${u.share}\\${u.name}`, sha256: f.sha256, size: f.size, outcome: !f.stored ? 'refused' : u.truncated || f.truncated ? 'truncated' : f.duplicate ? 'duplicate' : 'stored' });
        })
        .catch((err) => {
          u.kept?.(undefined);
          ctx.log.error({ err }, 'storing an upload failed');
        });
      // The connection's close waits for the upload's event.
      em.hold?.(stored);
    },
    readStored(sha256, offset, length) {
      return deps.quarantine.read?.(sha256, offset, length);
    },
    exploitStep,
    bind(b) {
      em.emit('rpc.bind', {
        interface_uuid: b.uuid,
        ...(b.iface ? { interface: b.iface.name } : {}),
        version: b.version,
        transfer_syntax: b.transfer,
        accepted: b.accepted,
        pipe: b.pipe,
      });
    },
    request(r) {
      const op = r.iface?.ops[r.opnum];
      em.emit('rpc.request', {
        interface_uuid: r.uuid,
        ...(r.iface ? { interface: r.iface.name } : {}),
        opnum: r.opnum,
        ...(op ? { operation: op } : {}),
        stub_size: r.stubSize,
        pipe: r.pipe,
      });
    },
    exploit(f) {
      exploitStep({ name: f.name, cve: f.cve, detail: f.detail, ...(f.check ? {} : { payload: f.payload }), analyse: !f.check });
    },
    malformed(reason, sample) {
      if (malformedEvents++ < MAX_MALFORMED_EVENTS) em.emit('protocol.malformed', { reason, sample_hex: hexSample(sample) });
    },
  };
}

export type Mode = 'direct' | 'netbios';

/** Serves one SMB connection on 445 ('direct') or 139 ('netbios', session request first). */
export function serveSmb(ctx: ConnectionContext, mode: Mode, cfg: SmbServiceConfig, deps: SmbSensorDeps): void {
  let awaitingSessionRequest = mode === 'netbios';
  let malformedCount = 0;
  const hooks = makeHooks(ctx, cfg, deps);
  const session = new SmbSession(
    {
      identity: deps.identity,
      shares: sharesFor(cfg),
      maxUploadBytes: cfg.max_upload_bytes,
      uploadMemory: UPLOAD_MEMORY.account(ctx.emitter.identity.src_ip),
      ...(deps.shareFiles ? { files: deps.shareFiles.of(ctx.emitter.identity.src_ip) } : {}),
      random: randomBytes,
      now: Date.now,
    },
    hooks,
  );
  // A growing buffer: a large frame sent in small segments is copied a few times, not once per segment.
  const input = new FramedInput<NbssFrame>(
    () => MAX_BUFFERED_BYTES,
    (b) => decodeNbssFrame(b, mode === 'direct' || !awaitingSessionRequest, MAX_NBSS_PAYLOAD),
    SHARED_BUFFER_BUDGET.account(ctx.emitter.identity.src_ip),
  );
  const send = (payload: Uint8Array, type = NBSS_MESSAGE): void => {
    if (!ctx.socket.destroyed) ctx.socket.write(encodeNbssFrame(type, payload));
  };
  const onFrame = ({ type, payload }: NbssFrame): void => {
    try {
      if (type === NBSS_SESSION_REQUEST) {
        send(new Uint8Array(0), NBSS_POSITIVE_RESPONSE);
        awaitingSessionRequest = false;
      } else if (type === NBSS_KEEPALIVE) {
        /* nothing to answer */
      } else if (awaitingSessionRequest) {
        // Windows answers anything but a session request on 139 with "unspecified error" and hangs up.
        send(Uint8Array.of(0x8f), NBSS_NEGATIVE_RESPONSE);
        ctx.close('policy');
      } else {
        const out = type === NBSS_MESSAGE ? session.handle(payload) : { replies: [], malformed: `NetBIOS frame type 0x${type.toString(16)} unexpected here` };
        for (const r of out.replies) send(r);
        if ('malformed' in out) {
          hooks.malformed(out.malformed, payload);
          if (++malformedCount >= MAX_MALFORMED_MESSAGES) ctx.close('policy');
        }
      }
    } catch (err) {
      // A bug in a handler must cost only this connection.
      ctx.log.warn({ err }, 'SMB handler failed; closing this connection');
      ctx.close('error');
    }
  };
  ctx.socket.on('data', (chunk: Buffer) => {
    // Frames are handled while the socket is open: closing it (policy, error) stops the loop.
    const bad = input.push(chunk, onFrame, () => !ctx.socket.destroyed);
    if (bad === undefined) return;
    hooks.malformed(bad, input.pending);
    ctx.close('policy');
  });
  ctx.socket.once('close', () => {
    input.clear();
    session.dispose();
  });
}

/** The endpoint mapper on 135: DCE/RPC straight over TCP. */
function serveEpmap(ctx: ConnectionContext, cfg: SmbServiceConfig, deps: SmbSensorDeps): void {
  const hooks = makeHooks(ctx, cfg, deps);
  const pipe = new RpcPipe('epmapper', '135', { identity: deps.identity, shares: sharesFor(cfg), now: Date.now }, hooks, 0x10b0);
  ctx.socket.on('data', (chunk: Buffer) => {
    pipe.write(chunk);
    for (;;) {
      const { data } = pipe.read(1 << 20);
      if (data.length === 0) break;
      ctx.socket.write(data);
    }
    if (pipe.broken) ctx.socket.end(() => ctx.close('policy'));
  });
}

export async function startSmbSensor(cfg: SmbServiceConfig, depsIn: SmbSensorDeps): Promise<RunningService[]> {
  const deps: SmbSensorDeps = { ...depsIn, backdoored: depsIn.backdoored ?? new Set(), shareFiles: depsIn.shareFiles ?? new ShareIndex() };
  const common = {
    sensor: deps.sensor,
    sink: deps.sink,
    gate: deps.gate,
    idleTimeoutMs: cfg.idle_timeout_s * 1000,
    sessionTimeoutMs: cfg.session_timeout_s * 1000,
  };
  const addrs = (l: string[]): ListenAddress[] => l.map((a) => parseListenAddress(a) as ListenAddress);
  const out: RunningService[] = [];
  try {
    out.push(
      await startTcpService({ ...common, name: 'smb', protocol: 'smb', addresses: addrs(cfg.listen), log: deps.log.child({ service: 'smb' }), onConnection: (ctx) => serveSmb(ctx, 'direct', cfg, deps) }),
    );
    if (cfg.netbios_listen.length)
      out.push(
        await startTcpService({ ...common, name: 'netbios', protocol: 'smb', addresses: addrs(cfg.netbios_listen), log: deps.log.child({ service: 'netbios' }), onConnection: (ctx) => serveSmb(ctx, 'netbios', cfg, deps) }),
      );
    if (cfg.epmap_listen.length)
      out.push(
        await startTcpService({ ...common, name: 'epmap', protocol: 'dcerpc', addresses: addrs(cfg.epmap_listen), log: deps.log.child({ service: 'epmap' }), onConnection: (ctx) => serveEpmap(ctx, cfg, deps) }),
      );
  } catch (err) {
    await Promise.all(out.map((s) => s.close()));
    throw err;
  }
  return out;
}
