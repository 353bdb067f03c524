// An output that writes Apiary's SSH and Telnet events as Cowrie 3.x JSON lines (cowrie.json), so
// tools built for Cowrie (ELK/T-Pot pipelines, DShield, custom scripts) keep working on Apiary.
// What Cowrie's format has no field for goes under an extra "apiary" object, which Cowrie tools
// ignore and `apiary import cowrie` reads back, so a round trip gives back the same events.
import type { ApiaryEvent, Payload } from '../events/catalogue.js';
import { DecoySecrets } from '../events/mask.js';
import { LineFileOutput } from './line-file-output.js';

/** Protocols whose events Cowrie's format describes. */
export const COWRIE_PROTOCOLS = new Set(['ssh', 'telnet']);

type Rec = Record<string, unknown>;

/** Cowrie's timestamp: ISO 8601 UTC with microseconds. */
function cowrieTime(iso: string): string {
  return iso.replace(/\.(\d{3})Z$/, '.$1000Z').replace(/:(\d{2})Z$/, ':$1.000000Z');
}

/** Bytes as Cowrie writes them: a Python bytes literal. */
export function pyBytesRepr(b: Buffer): string {
  let out = "b'";
  for (const c of b) {
    if (c === 0x5c) out += '\\\\';
    else if (c === 0x27) out += "\\'";
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x0d) out += '\\r';
    else if (c === 0x09) out += '\\t';
    else if (c >= 0x20 && c < 0x7f) out += String.fromCharCode(c);
    else out += `\\x${c.toString(16).padStart(2, '0')}`;
  }
  return `${out}'`;
}

/** One Apiary event -> the Cowrie records that say the same (none for events Cowrie has no id for). */
export function toCowrie(e: ApiaryEvent): Rec[] {
  if (!COWRIE_PROTOCOLS.has(e.protocol)) return [];
  const base: Rec = {
    timestamp: cowrieTime(e.time),
    sensor: e.sensor,
    session: e.session,
    src_ip: e.src_ip,
    src_port: e.src_port,
    dst_ip: e.dst_ip,
    dst_port: e.dst_port,
    protocol: e.protocol,
  };
  const rec = (eventid: string, fields: Rec, message: string, extras: Rec = {}): Rec => {
    const r: Rec = { eventid, ...fields, message, ...base };
    const x = Object.fromEntries(Object.entries(extras).filter(([, v]) => v !== undefined));
    if (Object.keys(x).length > 0) r.apiary = x;
    return r;
  };
  switch (e.type) {
    case 'connection.open': {
      const p = e.payload as Payload<'connection.open'>;
      return [rec('cowrie.session.connect', {}, `New connection: ${e.src_ip}:${e.src_port} (${e.dst_ip}:${e.dst_port}) [session: ${e.session}]`, { transport: p.transport === 'tcp' ? undefined : p.transport })];
    }
    case 'connection.close': {
      const p = e.payload as Payload<'connection.close'>;
      return [
        rec('cowrie.session.closed', { duration_ms: p.duration_ms }, `Connection lost after ${Math.round(p.duration_ms / 1000)} seconds`, {
          reason: p.reason === 'client' ? undefined : p.reason,
          bytes_in: p.bytes_in || undefined,
          bytes_out: p.bytes_out || undefined,
        }),
      ];
    }
    case 'client.version': {
      const p = e.payload as Payload<'client.version'>;
      return [rec('cowrie.client.version', { version: p.version }, `Remote SSH version: ${p.version}`, { comments: p.comments })];
    }
    case 'client.kex': {
      const p = e.payload as Payload<'client.kex'>;
      return [
        rec(
          'cowrie.client.kex',
          { hassh: p.hassh, hasshAlgorithms: p.hassh_algorithms, kexAlgs: p.kex_algs, keyAlgs: p.key_algs, encCS: p.enc_cs, macCS: p.mac_cs, compCS: p.comp_cs, langCS: [] },
          `SSH client hassh fingerprint: ${p.hassh}`,
        ),
      ];
    }
    case 'auth.attempt': {
      const p = e.payload as Payload<'auth.attempt'>;
      const pubkey = p.key_fingerprint !== undefined || p.key_type !== undefined;
      const inferred = pubkey ? 'publickey' : 'password';
      const fields: Rec = { username: p.username };
      if (p.password !== undefined) fields.password = p.password;
      if (p.key_fingerprint !== undefined) fields.fingerprint = p.key_fingerprint;
      if (p.key_type !== undefined) fields.type = p.key_type;
      const what = p.password !== undefined ? `${p.username}/${p.password}` : p.username;
      return [rec(p.success ? 'cowrie.login.success' : 'cowrie.login.failed', fields, `login attempt [${what}] ${p.success ? 'succeeded' : 'failed'}`, { method: p.method === inferred ? undefined : p.method })];
    }
    case 'command.input': {
      const p = e.payload as Payload<'command.input'>;
      const out = [rec('cowrie.command.input', { input: p.input }, `CMD: ${p.input}`)];
      if (p.known === false) out.push(rec('cowrie.command.failed', { input: p.input }, `Command not found: ${p.input}`));
      if (p.known === true) out.push(rec('cowrie.command.success', { input: p.input }, `Command found: ${p.input}`));
      return out;
    }
    case 'command.stdin': {
      const p = e.payload as Payload<'command.stdin'>;
      return [rec('cowrie.session.input', { realm: p.realm, input: p.input }, `INPUT (${p.realm}): ${p.input}`)];
    }
    case 'file.download': {
      const p = e.payload as Payload<'file.download'>;
      if (p.outcome === 'stored' || p.outcome === 'duplicate') {
        const fields: Rec = { duplicate: p.outcome === 'duplicate' };
        if (p.url !== undefined) fields.url = p.url;
        if (p.sha256 !== undefined) {
          fields.shasum = p.sha256;
          fields.outfile = `var/lib/cowrie/downloads/${p.sha256}`;
        }
        if (p.path !== undefined) fields.destfile = p.path;
        return [rec('cowrie.session.file_download', fields, `Downloaded URL (${p.url ?? ''}) with SHA-256 ${p.sha256 ?? ''} to ${p.path ?? ''}`, { md5: p.md5, size: p.size, reason: p.reason })];
      }
      const fields: Rec = {};
      if (p.url !== undefined) fields.url = p.url;
      if (p.reason !== undefined) fields.error = p.reason;
      return [rec('cowrie.session.file_download.failed', fields, `Attempt to download file(s) from URL (${p.url ?? ''}) failed`, { outcome: p.outcome === 'failed' ? undefined : p.outcome, md5: p.md5, size: p.size, sha256: p.sha256, path: p.path })];
    }
    case 'file.upload': {
      const p = e.payload as Payload<'file.upload'>;
      return [
        rec('cowrie.session.file_upload', { filename: p.filename, shasum: p.sha256, outfile: `var/lib/cowrie/downloads/${p.sha256}`, duplicate: p.outcome === 'duplicate' }, `Saved uploaded file to var/lib/cowrie/downloads/${p.sha256}`, {
          size: p.size,
          outcome: p.outcome === 'stored' || p.outcome === 'duplicate' ? undefined : p.outcome,
        }),
      ];
    }
    case 'tunnel.request': {
      const p = e.payload as Payload<'tunnel.request'>;
      const fields: Rec = { dst_ip: p.target_host, dst_port: p.target_port };
      if (p.orig_ip !== undefined) fields.orig_ip = p.orig_ip;
      if (p.orig_port !== undefined) fields.orig_port = p.orig_port;
      const out = { ...base, ...fields };
      if (p.first_bytes_hex !== undefined) {
        const data = pyBytesRepr(Buffer.from(p.first_bytes_hex, 'hex'));
        return [{ eventid: 'cowrie.direct-tcpip.data', ...out, data, message: `direct-tcp forward to ${p.target_host}:${p.target_port} with data ${data}` }];
      }
      return [{ eventid: 'cowrie.direct-tcpip.request', ...out, message: `direct-tcp connection request to ${p.target_host}:${p.target_port}` }];
    }
    case 'client.size': {
      const p = e.payload as Payload<'client.size'>;
      return [rec('cowrie.client.size', { width: p.width, height: p.height }, `Terminal Size: ${p.width} ${p.height}`, { term: p.term })];
    }
    case 'client.env': {
      const p = e.payload as Payload<'client.env'>;
      return [rec('cowrie.client.var', { name: p.name, value: p.value }, `request_env: ${p.name}=${p.value}`)];
    }
    case 'session.params': {
      const p = e.payload as Payload<'session.params'>;
      return [rec('cowrie.session.params', { arch: p.arch }, '')];
    }
    case 'session.recording': {
      const p = e.payload as Payload<'session.recording'>;
      const fields: Rec = { ttylog: p.path };
      if (p.size !== undefined) fields.size = p.size;
      if (p.sha256 !== undefined) fields.shasum = p.sha256;
      if (p.duration_ms !== undefined) fields.duration_ms = p.duration_ms;
      const extras = { format: p.format === 'ttylog' ? undefined : p.format, state: p.state === 'stored' ? p.state : undefined };
      if (p.state === 'open') return [rec('cowrie.log.open', fields, `Opening TTY Log: ${p.path}`, extras)];
      return [rec('cowrie.log.closed', fields, `Closing TTY Log: ${p.path}`, extras)];
    }
    case 'protocol.malformed': {
      const p = e.payload as Payload<'protocol.malformed'>;
      return [rec('cowrie.client.malformed_packet', { data: p.sample_hex, datalen: p.sample_hex.length / 2 }, `Malformed packet: ${p.reason}`, { malformed_reason: p.reason })];
    }
    default:
      return [];
  }
}

export class CowrieJsonOutput extends LineFileOutput {
  constructor(path: string, secrets = new DecoySecrets()) {
    super('cowrie_json', path, toCowrie, secrets);
  }
}
