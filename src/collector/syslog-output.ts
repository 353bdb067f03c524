// An output that forwards committed events to a SIEM over syslog (RFC 5424 over UDP or TCP), each as
// one message: the envelope as structured data and the payload as JSON, or a CEF message (ArcSight,
// QRadar, Sentinel) with the fields SIEMs map. Formatting is pure; the sender is the alerts' one (a
// receiver that is down costs a log line and a bounded queue, never a crash).
import type { ApiaryEvent } from '../events/catalogue.js';
import { DecoySecrets } from '../events/mask.js';
import { cefHeaderEscape, cefValueEscape, headerField, MAX_SYSLOG_BYTES, MAX_SYSLOG_TCP_BYTES, SD_ID, sdEscape, truncateUtf8, type SyslogOptions } from '../alerts/format.js';
import { SyslogSender, type SyslogTarget } from '../alerts/syslog.js';
import type { EventOutput } from './collector.js';

/** Syslog severity of an event type (RFC 5424: 4 warning, 5 notice, 6 informational). */
export function eventSyslogSeverity(e: ApiaryEvent): number {
  switch (e.type) {
    case 'exploit.attempt':
    case 'shellcode.detected':
    case 'file.download':
    case 'file.upload':
      return 4;
    case 'auth.attempt':
      return (e.payload as { success?: boolean }).success ? 4 : 5;
    case 'command.input':
    case 'query':
      return 5;
    default:
      return 6;
  }
}

/** CEF severity (0-10) for the same classes. */
function cefSeverity(e: ApiaryEvent): number {
  return { 4: 7, 5: 5, 6: 3 }[eventSyslogSeverity(e)] ?? 3;
}

/**
 * One RFC 5424 line: MSGID is the event type, the envelope is structured data, MESSAGE is the payload
 * as JSON (or MESSAGE given); cut at MAX_BYTES (a long command line's JSON is then cut too).
 */
export function formatEventRfc5424(e: ApiaryEvent, opts: SyslogOptions, message?: string, maxBytes = MAX_SYSLOG_BYTES): string {
  const pri = opts.facility * 8 + eventSyslogSeverity(e);
  const sd =
    `[${SD_ID} id="${sdEscape(e.id)}" sensor="${sdEscape(e.sensor)}" session="${sdEscape(e.session)}" protocol="${sdEscape(e.protocol)}"` +
    ` src="${sdEscape(e.src_ip)}" sport="${e.src_port}" dst="${sdEscape(e.dst_ip)}" dport="${e.dst_port}"]`;
  const header = `<${pri}>1 ${syslogTime(e.time)} ${headerField(opts.hostname, 255)} ${headerField(opts.appName ?? 'apiary', 48)} ${headerField(opts.procId ?? String(process.pid), 128)} ${headerField(e.type, 32)}`;
  // The payload as ASCII JSON needs no BOM (RFC 5424 6.4) and stays one line; a CEF message in
  // UTF-8 is marked with the BOM.
  const msg = message === undefined ? asciiJson(e.payload) : /[^\x00-\x7f]/.test(message) ? `\ufeff${message}` : message;
  return truncateUtf8(`${header} ${sd} ${msg}`, maxBytes);
}

/** A CEF message for E: the fields SIEMs map (addresses, ports, user, URL, hash, outcome), the payload as msg. */
export function formatEventCef(e: ApiaryEvent, version: string): string {
  const p = e.payload as { username?: unknown; url?: unknown; sha256?: unknown; outcome?: unknown; success?: unknown; input?: unknown };
  const ext: [string, string][] = [
    ['rt', String(Date.parse(e.time))],
    ['src', e.src_ip],
    ['spt', String(e.src_port)],
    ['dst', e.dst_ip],
    ['dpt', String(e.dst_port)],
    ['app', e.protocol],
    ['cs1Label', 'session'],
    ['cs1', e.session],
    ['cs2Label', 'sensor'],
    ['cs2', e.sensor],
    ['externalId', e.id],
  ];
  // Fixed fields first, attacker-chosen ones capped, the payload last: a cut message loses only its end.
  if (typeof p.sha256 === 'string') ext.push(['fileHash', p.sha256]);
  if (typeof p.outcome === 'string') ext.push(['outcome', p.outcome]);
  else if (typeof p.success === 'boolean') ext.push(['outcome', p.success ? 'success' : 'failure']);
  if (typeof p.username === 'string') ext.push(['suser', p.username.slice(0, MAX_CEF_FIELD_CHARS)]);
  if (typeof p.url === 'string') ext.push(['request', p.url.slice(0, MAX_CEF_FIELD_CHARS)]);
  ext.push(['msg', asciiJson(e.payload)]);
  const body = ext.map(([k, v]) => `${k}=${cefValueEscape(cefText(v))}`).join(' ');
  return `CEF:0|Apiary|Apiary|${cefHeaderEscape(version)}|${cefHeaderEscape(e.type)}|${cefHeaderEscape(`${e.type} on ${e.protocol}`)}|${cefSeverity(e)}|${body}`;
}

/** Characters of one attacker-chosen CEF field (user, URL) before the payload: the fixed fields always fit. */
export const MAX_CEF_FIELD_CHARS = 256;

/** C as the text \uXXXX (a JSON escape, and how CEF values show characters they must not carry). */
const uEscape = (c: string): string => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/** JSON with every character outside printable ASCII escaped (\uXXXX): one line, no encoding questions. */
export function asciiJson(v: unknown): string {
  return JSON.stringify(v).replace(/[^\x20-\x7e]/g, uEscape);
}

/** A CEF value with control and line-separator characters shown as \uXXXX text. */
export function cefText(v: string): string {
  return v.replace(/[\x00-\x09\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029]/g, uEscape);
}

/** An RFC 5424 TIMESTAMP: ISO 8601 UTC with at most 6 fraction digits (events keep milliseconds). */
function syslogTime(t: string): string {
  const ms = Date.parse(t);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : '-';
}

export interface SyslogOutputOptions extends SyslogTarget {
  format: 'rfc5424' | 'cef';
  facility: number;
  /** Only these event types (all when absent). */
  types?: readonly string[] | undefined;
  hostname: string;
  version: string;
}

/** Shortest time between two log lines about messages the receiver did not take. */
export const SYSLOG_DROP_REPORT_MS = 60_000;

export class SyslogOutput implements EventOutput {
  readonly name = 'syslog';
  private readonly sender: SyslogSender;
  private readonly types: ReadonlySet<string> | undefined;
  private reportedDrops = 0;
  private lastReport = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly opts: SyslogOutputOptions,
    private readonly onError: (err: Error) => void,
    /** Masked wherever they appear, so a SIEM's readers do not learn which credentials are traps. */
    private readonly secrets = new DecoySecrets(),
  ) {
    this.sender = new SyslogSender(opts, onError);
    this.types = opts.types ? new Set(opts.types) : undefined;
  }

  write(events: readonly ApiaryEvent[]): void {
    const so: SyslogOptions = { facility: this.opts.facility, hostname: this.opts.hostname };
    const max = this.opts.protocol === 'tcp' ? MAX_SYSLOG_TCP_BYTES : MAX_SYSLOG_BYTES;
    // Planted secrets are learnt from every event, those of types not forwarded too.
    this.secrets.learn(events);
    for (const raw of events) {
      if (this.types && !this.types.has(raw.type)) continue;
      const e = this.secrets.mask(raw);
      this.sender.send(formatEventRfc5424(e, so, this.opts.format === 'cef' ? formatEventCef(e, this.opts.version) : undefined, max));
    }
    const now = Date.now();
    if (this.sender.dropped > this.reportedDrops && now - this.lastReport >= SYSLOG_DROP_REPORT_MS) {
      this.onError(new Error(`${this.sender.dropped - this.reportedDrops} event(s) not sent: the syslog receiver ${this.opts.host}:${this.opts.port} is unreachable or not reading`));
      this.reportedDrops = this.sender.dropped;
      this.lastReport = now;
    }
  }

  /** Messages dropped while a TCP receiver was unreachable. */
  get dropped(): number {
    return this.sender.dropped;
  }

  close(): Promise<void> {
    return this.sender.close();
  }
}
