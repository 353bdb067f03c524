// The event catalogue: the envelope every event carries and one runtime schema per event type.
// Every part of Apiary (sensors, collector, store, analysis, importers) speaks these types.
import { datetimeRegex, z } from 'zod';
import { compileExactCheck, type Check } from './payload-check.js';

const hex = z.string().regex(/^[0-9a-f]*$/);
const port = z.number().int().min(0).max(65535);

/** Fields every event carries; bound when a session's emitter is made, never taken from a payload. */
export const ENVELOPE_KEYS = [
  'id',
  'time',
  'type',
  'sensor',
  'session',
  'protocol',
  'src_ip',
  'src_port',
  'dst_ip',
  'dst_port',
] as const;

export const envelopeSchema = z.object({
  id: z.string().min(1).max(64),
  time: z.string().datetime({ offset: false }),
  type: z.string(),
  sensor: z.string().min(1).max(128),
  session: z.string().min(1).max(64),
  protocol: z.string().min(1).max(32),
  src_ip: z.string().min(1).max(64),
  src_port: port,
  dst_ip: z.string().min(1).max(64),
  dst_port: port,
});

export const CATALOGUE = {
  /** A client connected (TCP accept or first UDP datagram). */
  'connection.open': z.object({ transport: z.enum(['tcp', 'udp']) }).strict(),
  /** The connection ended; `reason` says who or what ended it. */
  'connection.close': z
    .object({
      duration_ms: z.number().int().min(0),
      bytes_in: z.number().int().min(0),
      bytes_out: z.number().int().min(0),
      reason: z.enum(['client', 'idle_timeout', 'login_timeout', 'session_timeout', 'shutdown', 'error', 'policy']),
    })
    .strict(),
  /**
   * Connections refused because a per-source or global cap or (connection_rate) a source's rate of new
   * connections was reached, or (request_rate) requests
   * answered but not each recorded because their source was over its request rate, or (event_rate)
   * events of a source counted instead of recorded past its event budget; one summary per window.
   */
  'connection.limited': z
    .object({ limit: z.enum(['per_source', 'global', 'connection_rate', 'request_rate', 'event_rate']), refused: z.number().int().min(1), window_s: z.number().min(0) })
    .strict(),
  /** The client's software version string (SSH identification line, HTTP user agent, ...). */
  'client.version': z.object({ version: z.string(), comments: z.string().optional() }).strict(),
  /** The client's SSH key-exchange offer and its HASSH fingerprint. */
  'client.kex': z
    .object({
      hassh: hex.length(32),
      hassh_algorithms: z.string(),
      kex_algs: z.array(z.string()),
      key_algs: z.array(z.string()),
      enc_cs: z.array(z.string()),
      mac_cs: z.array(z.string()),
      comp_cs: z.array(z.string()),
    })
    .strict(),
  /** A login attempt with what the client offered and whether the auth policy let it in. */
  'auth.attempt': z
    .object({
      method: z.enum(['password', 'keyboard-interactive', 'publickey', 'none', 'hostbased', 'ntlm', 'native', 'digest', 'basic', 'form']),
      username: z.string(),
      password: z.string().optional(),
      key_type: z.string().optional(),
      key_fingerprint: z.string().optional(),
      /**
       * A crackable form of a challenge-response attempt whose password is not recovered (SIP digest
       * `$sip$*...`, MySQL native `$mysqlna$<salt>*<scramble>` = hashcat 11200).
       */
      hash: z.string().optional(),
      realm: z.string().optional(),
      success: z.boolean(),
      /** NTLM logons: the domain and workstation the client named. */
      domain: z.string().optional(),
      workstation: z.string().optional(),
      /** NTLM logons: the response as a hashcat line (`user::domain:...`), and which form it is. */
      ntlm_hash: z.string().optional(),
      hash_format: z.enum(['netntlmv1', 'netntlmv2']).optional(),
      /**
       * Why the password was not recovered when it could have been: `skipped_budget`, the source or the
       * process was past its CPU budget for recovery (limits.*_rsa_decryptions_s, *_wordlist_checks_s).
       */
      recovery: z.enum(['skipped_budget']).optional(),
      /** MySQL caching_sha2_password full authentication skipped: the RSA-OAEP ciphertext as sent, in hex. */
      rsa_ciphertext: hex.max(1024).optional(),
    })
    .strict(),
  /** A command line typed in a shell or sent with exec; `known` is whether the emulation knows it. */
  'command.input': z.object({ input: z.string(), known: z.boolean().optional() }).strict(),
  /** A file fetched on the attacker's behalf (or an attempt to), stored in quarantine by SHA-256. */
  'file.download': z
    .object({
      url: z.string().optional(),
      sha256: hex.length(64).optional(),
      md5: hex.length(32).optional(),
      size: z.number().int().min(0).optional(),
      path: z.string().optional(),
      outcome: z.enum(['stored', 'duplicate', 'disabled', 'refused', 'truncated', 'failed']),
      reason: z.string().optional(),
    })
    .strict(),
  /** A file the attacker pushed to the sensor (SCP, SFTP, SMB write, FTP STOR, ...), stored in quarantine. */
  'file.upload': z
    .object({
      filename: z.string(),
      sha256: hex.length(64),
      size: z.number().int().min(0),
      /** `dropped`: not kept, the sensor's memory for uploads in progress (the source's share of it) being full. */
      outcome: z.enum(['stored', 'duplicate', 'truncated', 'refused', 'dropped']),
    })
    .strict(),
  /** A recognised exploit. */
  'exploit.attempt': z
    .object({ name: z.string(), cve: z.string().optional(), detail: z.string().optional(), sha256: hex.length(64).optional() })
    .strict(),
  /** Shellcode found in a payload, with what it would do. */
  'shellcode.detected': z
    .object({
      urls: z.array(z.string()),
      commands: z.array(z.string()),
      connect_back: z.string().optional(),
      bind_port: port.optional(),
      encoding: z.string().optional(),
    })
    .strict(),
  /** A statement sent to a decoy database. */
  query: z.object({ query: z.string(), database: z.string().optional() }).strict(),
  /** An HTTP request to a decoy site. */
  'http.request': z
    .object({
      method: z.string(),
      path: z.string(),
      query: z.string().optional(),
      headers: z.record(z.string()),
      user_agent: z.string().optional(),
      body_size: z.number().int().min(0),
      body_sha256: hex.length(64).optional(),
      body: z.string().optional(),
      /** Set when the body never finished: why (the client closed, a time limit, or the sensor closed the connection). */
      incomplete: z.enum(['client', 'timeout', 'closed']).optional(),
      /** Set when the body was not kept for `body` and inspection: the source's share of the sensor's upload memory was full. */
      body_dropped: z.boolean().optional(),
    })
    .strict(),
  /** A SIP request to the decoy PBX; `caller` and `callee` are the user parts of From and the Request-URI/To. */
  'sip.request': z
    .object({
      method: z.string(),
      uri: z.string(),
      from: z.string().optional(),
      to: z.string().optional(),
      call_id: z.string().optional(),
      user_agent: z.string().optional(),
      caller: z.string().optional(),
      callee: z.string().optional(),
      transport: z.enum(['udp', 'tcp']),
    })
    .strict(),
  /** A connection to a port nothing serves, with the first bytes the client sent. */
  'scan.probe': z.object({ first_bytes_hex: hex, recognised: z.string().optional() }).strict(),
  /** A port-forwarding (proxy) request, always refused. */
  'tunnel.request': z
    .object({ target_host: z.string(), target_port: port, orig_ip: z.string().optional(), orig_port: port.optional(), first_bytes_hex: hex.optional() })
    .strict(),
  /** A DCE/RPC bind (one event per presentation context), live or imported: the interface and, when known, whether it was accepted. */
  'rpc.bind': z
    .object({
      interface_uuid: z.string(),
      interface: z.string().optional(),
      version: z.number().int().min(0).optional(),
      transfer_syntax: z.string().optional(),
      accepted: z.boolean().optional(),
      pipe: z.string().optional(),
    })
    .strict(),
  /** A DCE/RPC request: the interface it was bound to and the operation. */
  'rpc.request': z
    .object({
      interface_uuid: z.string(),
      interface: z.string().optional(),
      opnum: z.number().int().min(0),
      operation: z.string().optional(),
      stub_size: z.number().int().min(0).optional(),
      pipe: z.string().optional(),
      /** The bulletin the operation is known for (e.g. MS08-067), when the source names one. */
      vuln: z.string().optional(),
      })
      .strict(),
  /** The client's terminal size (SSH pty-req / window-change, Telnet NAWS). */
  'client.size': z.object({ width: z.number().int().min(0).max(65535), height: z.number().int().min(0).max(65535), term: z.string().optional() }).strict(),
  /** An environment variable the client sent (SSH env request, Telnet NEW-ENVIRON). */
  'client.env': z.object({ name: z.string(), value: z.string() }).strict(),
  /** A decoy credential the sensor planted in its fake system, so its later use can be recognised. */
  'honeytoken.planted': z
    .object({
      token_id: hex.length(16),
      kind: z.enum(['mysql', 'ssh', 'app_db', 'api_key', 'web_login', 'device', 'mail']),
      username: z.string(),
      secret: z.string(),
      host: z.string().optional(),
      locations: z.array(z.string()),
      /** Whether the auth policy lets this user and secret log in to every login service (decoy databases' staff accounts). */
      accepted: z.boolean().optional(),
    })
    .strict(),
  /** Bytes that did not parse as the protocol; `sample_hex` is at most 64 bytes of them. */
  'protocol.malformed': z.object({ reason: z.string(), sample_hex: hex }).strict(),
  /** The client's operating system as a passive fingerprint (p0f) saw it. */
  'client.os': z
    .object({
      genre: z.string(),
      detail: z.string().optional(),
      link: z.string().optional(),
      uptime_s: z.number().int().optional(),
      distance: z.number().int().optional(),
      nat: z.boolean().optional(),
      firewall: z.boolean().optional(),
    })
    .strict(),
  /** Shell parameters fixed when the session's shell started (the emulated architecture). */
  'session.params': z.object({ arch: z.string() }).strict(),
  /** A line fed to an interactive command (`passwd`, `cat > file`, ...) rather than typed at the prompt. */
  'command.stdin': z.object({ realm: z.string(), input: z.string() }).strict(),
  /** A terminal recording of the session was opened, closed or stored for `apiary replay`. */
  'session.recording': z
    .object({
      state: z.enum(['open', 'closed', 'stored']),
      path: z.string(),
      format: z.enum(['ttylog', 'asciicast']),
      sha256: hex.length(64).optional(),
      size: z.number().int().min(0).optional(),
      duration_ms: z.number().int().min(0).optional(),
    })
    .strict(),
  /** A remote sensor sent no heartbeat for collector.silent_after_s (raised once per silence by the collector). */
  'sensor.silent': z
    .object({ last_heartbeat: z.string(), silent_s: z.number().int().min(0), spool_depth: z.number().int().min(0), version: z.string() })
    .strict(),
  /** A sensor's spool reached its size cap and dropped events by its drop policy (recorded by the collector from heartbeats). */
  'spool.dropped': z.object({ policy: z.enum(['oldest', 'newest']), dropped: z.number().int().min(1), max_bytes: z.number().int().min(0) }).strict(),
} as const;

export type EventType = keyof typeof CATALOGUE;
export type Payload<T extends EventType> = z.input<(typeof CATALOGUE)[T]>;
export const EVENT_TYPES = Object.keys(CATALOGUE) as EventType[];

export type Envelope = z.infer<typeof envelopeSchema>;

/**
 * Where an imported event came from: the importer, the file (base name), the record's place in it and
 * the original record itself, so nothing the original log said is lost. Live events have none.
 */
export interface EventSource {
  format: string;
  file?: string;
  /** 1-based line number, or the table row id for database imports. */
  line?: number;
  table?: string;
  record: unknown;
  /** Further records folded into this event (e.g. Cowrie's command.failed into its command.input). */
  merged?: unknown[];
  /** How many more were folded in than merged keeps (its length is capped). */
  merged_dropped?: number;
  /** How many strings, lists and nested values were cut from record to fit a remote event's source bounds (hpfeeds). */
  record_cut?: number;
}

/** One stored event: envelope fields plus the type's payload, kept apart so a payload never overwrites identity. */
export interface ApiaryEvent<T extends EventType = EventType> extends Envelope {
  type: T;
  payload: Payload<T>;
  /** Set only on imported events: the original record, outside the strict payload. */
  source?: EventSource;
}

export function isEventType(t: string): t is EventType {
  return Object.prototype.hasOwnProperty.call(CATALOGUE, t);
}

const exactChecks = new Map<EventType, Check | null>();

/**
 * True when PAYLOAD certainly passes CATALOGUE[type] and zod's parse would give back an equal object
 * (same keys, same order, same values), so it can be used as it is; false means "not sure": let zod
 * decide (and word the reason). See payload-check.ts.
 */
export function payloadCertainlyValid(type: EventType, payload: unknown): boolean {
  let check = exactChecks.get(type);
  if (check === undefined) {
    check = compileExactCheck(CATALOGUE[type] as z.ZodTypeAny) ?? null;
    exactChecks.set(type, check);
  }
  return check !== null && check(payload);
}

export type ValidationResult = { ok: true; event: ApiaryEvent } | { ok: false; reason: string };

/** Validates an event from any source (sensor, remote shipper, importer). Never throws. */
export function validateEvent(input: unknown): ValidationResult {
  // The hand check answers for well-formed envelopes (the collector's hot path: zod's object parse was
  // most of the cost per event); anything it doubts goes to zod, which also words the reason.
  let envelope = checkEnvelope(input);
  if (!envelope) {
    const env = envelopeSchema.safeParse(input);
    if (!env.success) return { ok: false, reason: describeZodError(env.error) };
    envelope = env.data;
  }
  const type = envelope.type;
  if (!isEventType(type)) return { ok: false, reason: `unknown event type ${JSON.stringify(type).slice(0, 80)}` };
  const payloadIn = (input as { payload?: unknown }).payload;
  let payload = payloadIn;
  if (!payloadCertainlyValid(type, payloadIn)) {
    const pay = CATALOGUE[type].safeParse(payloadIn);
    if (!pay.success) return { ok: false, reason: `${type}: ${describeZodError(pay.error)}` };
    payload = pay.data;
  }
  const source = (input as { source?: unknown }).source;
  if (source !== undefined && (source === null || typeof source !== 'object' || Array.isArray(source))) {
    return { ok: false, reason: 'source: expected an object' };
  }
  const event = { ...envelope, type, payload } as ApiaryEvent;
  if (source !== undefined) event.source = source as EventSource;
  return { ok: true, event };
}

/** The datetime envelopeSchema accepts (zod's own pattern, UTC with Z, any fraction). */
const EVENT_TIME_RE = datetimeRegex({ offset: false });

function isText(v: unknown, max: number): v is string {
  return typeof v === 'string' && v.length >= 1 && v.length <= max;
}

function isPort(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 65535;
}

/**
 * The envelope of INPUT when it certainly satisfies envelopeSchema (the same checks, by hand), else
 * undefined (then zod decides). Like zod it keeps only the envelope keys.
 */
export function checkEnvelope(input: unknown): Envelope | undefined {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return undefined;
  const o = input as Record<string, unknown>;
  const { id, time, type, sensor, session, protocol, src_ip, src_port, dst_ip, dst_port } = o;
  if (!isText(id, 64) || typeof time !== 'string' || !EVENT_TIME_RE.test(time) || typeof type !== 'string') return undefined;
  if (!isText(sensor, 128) || !isText(session, 64) || !isText(protocol, 32) || !isText(src_ip, 64) || !isText(dst_ip, 64)) return undefined;
  if (!isPort(src_port) || !isPort(dst_port)) return undefined;
  return { id, time, type, sensor, session, protocol, src_ip, src_port, dst_ip, dst_port };
}

export function describeZodError(err: z.ZodError): string {
  return err.issues
    .slice(0, 3)
    .map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`)
    .join('; ');
}

/** The flat form (envelope and payload side by side, as Cowrie's JSON lines are); the envelope wins. */
export function flattenEvent(e: ApiaryEvent): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of ENVELOPE_KEYS) out[k] = e[k];
  for (const [k, v] of Object.entries(e.payload as Record<string, unknown>)) {
    if (!(k in out)) out[k] = v;
  }
  return out;
}
