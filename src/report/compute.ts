// The report's numbers: one pass over the period's events (a fold, no I/O) computing the paper's figures
// and the tables around them. Every number says how it was counted in REPORT_METHOD.
import type { ApiaryEvent } from '../events/catalogue.js';
import { addToActivity, classify, emptyActivity, isAttackerEvent } from '../analysis/incidents.js';
import type { CountryGroups } from '../enrich/country-groups.js';
import { INCIDENT_KINDS, type AttackRecord, type IncidentActivity, type IncidentKind, type IpEnrichment, type Scope } from '../store/store.js';

/** Rows kept in each "top" table of the JSON report. */
export const TOP_ROWS = 100;
/** Distinct keys (credentials, commands, files) counted per table; past it new keys go to "(other)". */
export const MAX_DISTINCT_KEYS = 200_000;
/** Longest attacker string kept in a table cell. */
export const MAX_CELL_CHARS = 200;
export const OTHER = '(other)';
/** Group row for sources with no country (private, internal, or not in the database). */
export const UNLOCATED = 'unlocated';
/** The service name of monthly rows that count every service together. */
export const ALL_SERVICES = '*';
const UNLOCATED_GROUPS = [UNLOCATED];
const NOT_ENRICHED = Object.freeze({ scope: 'external' as Scope, country: null, ignored: false, site: null });

export const SCOPES: readonly Scope[] = ['external', 'internal', 'private'];

export const REPORT_METHOD: Record<string, string> = {
  period: 'Events with from <= time < to (UTC). Sources in networks.ignore are left out of every number; their events are counted under filters.ignored_events only.',
  scope: 'internal = inside networks.internal (or an AS in networks.internal_asns); private = a private/loopback/special address not listed as internal (never geolocated); external = any other address.',
  distinct_ips: 'A distinct IP is counted once per row (service and sensor, month, country, group...), however many events it sent.',
  services: 'The service is the event protocol (ssh, telnet, smb, mysql, mssql, http, ftp, ...) as recorded by the sensor.',
  incidents: 'Events of one source are grouped into an incident until the source is quiet for incidents.quiet_gap_s; the incident is classified by everything it did: malware propagation (exploit plus a payload, or internal SMB exploitation) > exploitation > intrusion (successful login then commands or files) > brute force (2+ login attempts) > scan.',
  activity: 'A source counts in an activity when it has an incident of that kind in the period; events count under the kind of the incident they belong to.',
  groups: 'Country groups are taken at each event time (NATO accession dates, candidates, partners, EU). non-nato = a located country that is not a NATO member at that time. A source counts in every group its country belonged to at the time of any of its events.',
  unserved_ports: 'scan.probe events: connections to ports no service listens on, by destination port.',
  credentials: 'auth.attempt events by (username, password); successes are attempts the login policy accepted.',
  commands: 'command.input events by the command line.',
  malware: 'file.download and file.upload events with a SHA-256, by hash; the server country is looked up only for URLs whose host is an IP address (no name is ever resolved).',
  attacks: 'Attack chains (apiary attacks) whose activity overlaps the period, highest APT score first (at most TOP_ATTACKS); a chain spans its whole life, which may reach outside the period.',
};

/**
 * The method's word on attack chains in a report of some sensors (--sensor), which lists none: a chain
 * links sources across the whole honeynet, and its score, events, services, countries and techniques
 * count what it did on every sensor, so its row would carry numbers from sensors the report leaves out.
 */
export const ATTACKS_LEFT_OUT_BY_SENSOR =
  'Left out: this report counts only the sensors under filters.sensors, but an attack chain spans every sensor its sources worked on, and its score and figures count all of them; "apiary attacks" lists the chains of the whole honeynet.';

/** The event types whose payloads the counting pass reads (the others are counted by their envelope). */
export const REPORT_PAYLOAD_TYPES: ReadonlySet<string> = new Set(['auth.attempt', 'command.input', 'file.download', 'file.upload']);

/** Attack chains listed in a report. */
export const TOP_ATTACKS = 25;

export interface ScopeCounts {
  external: number;
  internal: number;
  private: number;
}

export interface ActivityCell {
  sources: number;
  events: number;
}

export interface ReportData {
  generated_at: string;
  period: { from: string | null; to: string | null; first_event: string | null; last_event: string | null };
  filters: { sensors: string[] | null; ignored_networks: string[]; internal_networks: string[]; ignored_events: number; ignored_sources: number };
  method: Record<string, string>;
  sources_of_data: { country: string; asn: string };
  totals: { events: number; sources: ScopeCounts & { all: number }; incidents: number; sensors: string[]; services: string[] };
  figure1: {
    by_service_sensor: ({ service: string; sensor: string; events: number } & ScopeCounts)[];
    by_service: ({ service: string; events: number } & ScopeCounts)[];
    by_sensor: ({ sensor: string; events: number } & ScopeCounts)[];
    monthly: ({ month: string; service: string; events: number } & ScopeCounts)[];
  };
  figure2: {
    internal_by_kind: { kind: IncidentKind; incidents: number; sources: number; events: number }[];
    internal_hosts: { ip: string; site: string | null; first_seen: string; last_seen: string; kinds: IncidentKind[]; sensors: string[]; services: string[]; incidents: number; events: number }[];
  };
  incidents_by_kind: ({ kind: IncidentKind; incidents: number; events: number } & ScopeCounts)[];
  countries: {
    top: { country: string; sources: number; events: number }[];
    /** Distinct sources of every located country (the world map), by ISO code. */
    map: Record<string, number>;
    groups: { group: string; total: ActivityCell; by_kind: Record<IncidentKind, ActivityCell> }[];
  };
  unserved_ports: { port: number; sources: number; events: number }[];
  credentials: { username: string; password: string; attempts: number; successes: number; sources: number }[];
  commands: { command: string; count: number; sources: number }[];
  malware: { sha256: string; md5: string | null; size: number | null; type: string; urls: string[]; servers: { host: string; country: string | null }[]; sources: number; events: number; first_seen: string }[];
  /** The highest-scored attack chains active in the period (filled from the store's chains, not by the counting pass). */
  attacks: ReportAttack[];
}

export interface ReportAttack {
  id: string;
  score: number;
  first_seen: string;
  last_seen: string;
  /** Attacking sources and the outside servers they fetched from. */
  sources: number;
  servers: number;
  countries: string[];
  services: string[];
  intents: string[];
  techniques: string[];
  links: string[];
  events: number;
}

export interface ReportOptions {
  from?: string | undefined;
  to?: string | undefined;
  sensors?: readonly string[] | undefined;
  quietGapMs: number;
  groups: CountryGroups;
  /**
   * What is known of a source, asked once, at its first counted event (a Map of every record works; the
   * report's own pass asks the store page by page for the sources it has not met, see buildReport).
   */
  enrichment: SourceInfoLookup;
  /** Country of a public IP literal (for malware servers); undefined when not known. */
  countryOf?: (ip: string) => string | null;
  internalNetworks?: readonly string[];
  ignoredNetworks?: readonly string[];
  sourcesOfData?: { country: string; asn: string };
  now?: () => Date;
}

/** What a report needs of a source's enrichment. */
export type SourceInfo = Pick<IpEnrichment, 'scope' | 'country' | 'ignored' | 'site'>;

export interface SourceInfoLookup {
  get(ip: string): SourceInfo | undefined;
}

interface OpenIncident {
  src: string;
  srcId: number;
  scope: Scope;
  first: string;
  last: string;
  lastMs: number;
  activity: IncidentActivity;
  /** Events per country group, made when the groups first change (most incidents have one set: pendingGroups). */
  groupEvents: Map<string, number> | undefined;
  /** The groups of the latest events and how many events had them, not yet in groupEvents (consecutive events mostly share one array). */
  pendingGroups: readonly string[];
  pending: number;
}

interface SourceEntry {
  readonly id: number;
  readonly info: SourceInfo;
  open: OpenIncident | undefined;
  /**
   * The Figure 1 cells this source is already counted in, by (service, sensor, month): the first
   * combination inline, the others in a map made for the second (most sources have one; an empty map
   * per source was a seventh of a report's memory). This replaces five adds to big per-cell sets per event.
   */
  firstCombo: number;
  firstCells: Figure1Cells | undefined;
  cells: Map<number, Figure1Cells> | undefined;
  /** Its row in the countries table (a source's country does not change within a report). */
  countryCell: Cell | undefined;
}

interface Cell {
  readonly sources: Set<number>;
  events: number;
}

/** Distinct sources (as interned numbers: cheaper to hash than strings) and events per key. */
class SetCounter {
  readonly cells = new Map<string, Cell>();
  cell(key: string): Cell {
    let c = this.cells.get(key);
    if (!c) this.cells.set(key, (c = { sources: new Set(), events: 0 }));
    return c;
  }
  add(key: string, ip: number, events = 1): void {
    const c = this.cell(key);
    c.sources.add(ip);
    c.events += events;
  }
  distinct(key: string): number {
    return this.cells.get(key)?.sources.size ?? 0;
  }
  eventsOf(key: string): number {
    return this.cells.get(key)?.events ?? 0;
  }
  keys(): IterableIterator<string> {
    return this.cells.keys();
  }
}

function flushGroups(inc: OpenIncident): void {
  if (inc.pending === 0) return;
  const counts = (inc.groupEvents ??= new Map());
  for (const g of inc.pendingGroups) counts.set(g, (counts.get(g) ?? 0) + inc.pending);
  inc.pending = 0;
}

/** Milliseconds of event times, parsed by hand for the stored form and with the day's start cached (Date.parse was a tenth of the pass). */
export class IsoClock {
  private day = '';
  private dayMs = Number.NaN;

  /** Date.parse(T), for any T; fast for 'YYYY-MM-DDTHH:MM:SS.mmmZ'. */
  ms(t: string): number {
    if (t.length !== 24 || t.charCodeAt(10) !== 84 || t.charCodeAt(23) !== 90) return Date.parse(t);
    if (!t.startsWith(this.day) || this.day === '') {
      this.day = t.slice(0, 10);
      this.dayMs = Date.parse(`${this.day}T00:00:00.000Z`);
    }
    const h = digits2(t, 11), m = digits2(t, 14), s = digits2(t, 17), milli = digits2(t, 20) * 10 + digit(t, 22);
    if (Number.isNaN(this.dayMs) || !(h <= 23 && m <= 59 && s <= 59 && milli >= 0) || t.charCodeAt(13) !== 58 || t.charCodeAt(16) !== 58 || t.charCodeAt(19) !== 46) return Date.parse(t);
    return this.dayMs + ((h * 60 + m) * 60 + s) * 1000 + milli;
  }
}

/** The digit at I of T, or NaN. */
function digit(t: string, i: number): number {
  const d = t.charCodeAt(i) - 48;
  return d >= 0 && d <= 9 ? d : Number.NaN;
}

function digits2(t: string, i: number): number {
  return digit(t, i) * 10 + digit(t, i + 1);
}

/** Interned strings per kind stay below this (2^17: the three numbers of a combination fit a double exactly). */
const COMBO_SPAN = 131_072;

/** A small number for S, the same for every equal S; NaN past COMBO_SPAN distinct strings. */
function internOf(ids: Map<string, number>, s: string): number {
  let n = ids.get(s);
  if (n === undefined) {
    if (ids.size >= COMBO_SPAN) return Number.NaN;
    ids.set(s, (n = ids.size));
  }
  return n;
}

/** The Figure 1 cells one (scope, service, sensor, month) combination counts in, looked up once. */
type Figure1Cells = readonly [Cell, Cell, Cell, Cell, Cell];

function clip(s: string): string {
  return s.length > MAX_CELL_CHARS ? `${s.slice(0, MAX_CELL_CHARS)}…` : s;
}

function boundedKey<V>(map: Map<string, V>, key: string): string {
  return map.has(key) || map.size < MAX_DISTINCT_KEYS ? key : OTHER;
}

export function malwareType(name: string): string {
  const base = name.split(/[?#]/)[0]!.split('/').pop() ?? '';
  const ext = /\.([A-Za-z0-9]{1,8})$/.exec(base)?.[1]?.toLowerCase();
  return ext ?? 'unknown';
}

/** Host of an http/ftp/tftp URL, without resolving anything. */
export function urlHost(url: string): string | undefined {
  const m = /^[a-z][a-z0-9+.-]*:\/\/(?:[^@/]*@)?(\[[0-9a-f:.]+\]|[^:/?#]+)/i.exec(url);
  return m ? m[1]!.replace(/^\[|\]$/g, '') : undefined;
}

export class ReportBuilder {
  private readonly open = new Map<string, OpenIncident>();
  private firstEvent: string | null = null;
  private lastEvent: string | null = null;
  private events = 0;
  private ignoredEvents = 0;
  private readonly ignoredSources = new Set<string>();
  private readonly sourcesByScope = new Map<Scope, Set<number>>(SCOPES.map((s) => [s, new Set<number>()]));
  private readonly sensors = new Set<string>();
  private readonly services = new Set<string>();
  private readonly svcSensor = new SetCounter();
  private readonly svc = new SetCounter();
  private readonly sensor = new SetCounter();
  private readonly monthly = new SetCounter();
  private incidentCount = 0;
  private readonly kindTotals = new Map<IncidentKind, { incidents: number; events: number; sources: Map<Scope, Set<string>> }>();
  private readonly internalKinds = new Map<IncidentKind, { incidents: number; events: number; sources: Set<string> }>();
  private readonly internalHosts = new Map<string, { first: string; last: string; kinds: Set<IncidentKind>; sensors: Set<string>; services: Set<string>; incidents: number; events: number }>();
  private readonly countries = new SetCounter();
  private readonly groupKind = new SetCounter();
  private readonly groupTotal = new SetCounter();
  private readonly ports = new SetCounter();
  private readonly creds = new Map<string, { username: string; password: string; attempts: number; successes: number; sources: Set<string> }>();
  private readonly commands = new Map<string, { count: number; sources: Set<string> }>();
  private readonly malware = new Map<string, { md5: string | null; size: number | null; type: string; urls: Set<string>; sources: Set<string>; events: number; first: string }>();

  private readonly sourceEntries = new Map<string, SourceEntry>();
  private readonly figure1Cells = new Map<string, Figure1Cells>();
  private readonly clock = new IsoClock();
  private readonly protocolIds = new Map<string, number>();
  private readonly sensorIds = new Map<string, number>();
  private readonly monthIds = new Map<string, number>();
  /** Groups of a country on the day last asked: events come roughly in time order, so this mostly hits. */
  private readonly groupCache = new Map<string, { day: string; groups: string[] }>();

  constructor(private readonly opts: ReportOptions) {}

  /**
   * Everything counted per source, found with one map lookup per event: its number (in order of first
   * appearance; sets of numbers are cheaper than sets of addresses), its enrichment, and its open
   * incident (hashing each row's fresh address string three times was a tenth of the pass).
   */
  private sourceOf(ip: string): SourceEntry {
    let s = this.sourceEntries.get(ip);
    if (!s) this.sourceEntries.set(ip, (s = { id: this.sourceEntries.size, info: this.info(ip), open: undefined, firstCombo: Number.NaN, firstCells: undefined, cells: undefined, countryCell: undefined }));
    return s;
  }

  /** The Figure 1 cells of one (scope, service, sensor, month), made at their first use. */
  private figure1CellsOf(scope: Scope, protocol: string, sensor: string, month: string): Figure1Cells {
    const key = `${scope}\u0000${protocol}\u0000${sensor}\u0000${month}`;
    let cells = this.figure1Cells.get(key);
    if (!cells) {
      cells = [
        this.svcSensor.cell(`${scope}\u0000${protocol}\u0000${sensor}`),
        this.svc.cell(`${scope}\u0000${protocol}`),
        this.sensor.cell(`${scope}\u0000${sensor}`),
        this.monthly.cell(`${scope}\u0000${month}\u0000${protocol}`),
        this.monthly.cell(`${scope}\u0000${month}\u0000${ALL_SERVICES}`),
      ];
      this.figure1Cells.set(key, cells);
      this.sensors.add(sensor);
      this.services.add(protocol);
    }
    return cells;
  }

  private groupsAt(country: string, time: string): string[] {
    const hit = this.groupCache.get(country);
    if (hit && time.startsWith(hit.day)) return hit.groups;
    const day = time.slice(0, 10);
    const groups = this.opts.groups.at(country, time);
    this.groupCache.set(country, { day, groups });
    return groups;
  }

  /** The stored enrichment, or what an address without one counts as (external, no country). */
  private info(ip: string): SourceInfo {
    return this.opts.enrichment.get(ip) ?? NOT_ENRICHED;
  }

  /** Whether IP's enrichment was already taken (an event of it was counted or ignored). */
  hasSource(ip: string): boolean {
    return this.sourceEntries.has(ip);
  }

  /** Adds one event (events of one source in time order). Events outside the period or sensors are skipped. */
  add(e: ApiaryEvent): void {
    if (this.opts.from !== undefined && e.time < this.opts.from) return;
    if (this.opts.to !== undefined && e.time >= this.opts.to) return;
    if (this.opts.sensors && !this.opts.sensors.includes(e.sensor)) return;
    if (!isAttackerEvent(e)) return;
    const source = this.sourceOf(e.src_ip);
    const info = source.info;
    if (info.ignored) {
      this.ignoredEvents++;
      this.ignoredSources.add(e.src_ip);
      return;
    }
    this.events++;
    if (this.firstEvent === null || e.time < this.firstEvent) this.firstEvent = e.time;
    if (this.lastEvent === null || e.time > this.lastEvent) this.lastEvent = e.time;
    const ip = e.src_ip;
    const id = source.id;
    const scope = info.scope;
    let countryCell = source.countryCell;
    if (!countryCell) {
      this.sourcesByScope.get(scope)!.add(id);
      countryCell = source.countryCell = this.countries.cell(info.country ?? UNLOCATED);
      countryCell.sources.add(id);
    }
    countryCell.events++;
    const month = e.time.slice(0, 7);
    // (service, sensor, month) as one number: hashing three short strings beats building and hashing one long one.
    const combo = (internOf(this.protocolIds, e.protocol) * COMBO_SPAN + internOf(this.sensorIds, e.sensor)) * COMBO_SPAN + internOf(this.monthIds, month);
    // NaN (past COMBO_SPAN) never equals itself, so such combinations are looked up and added each time.
    let cells = source.firstCombo === combo ? source.firstCells : source.cells?.get(combo);
    if (!cells) {
      cells = this.figure1CellsOf(scope, e.protocol, e.sensor, month);
      if (Number.isNaN(combo)) {
        /* not remembered */
      } else if (source.firstCells === undefined) {
        source.firstCombo = combo;
        source.firstCells = cells;
      } else (source.cells ??= new Map()).set(combo, cells);
      for (const c of cells) c.sources.add(id);
    }
    for (const c of cells) c.events++;

    const ms = this.clock.ms(e.time);
    let inc = source.open;
    if (inc && ms - inc.lastMs > this.opts.quietGapMs) {
      this.close(inc);
      inc = undefined;
    }
    if (!inc) {
      inc = { src: ip, srcId: id, scope, first: e.time, last: e.time, lastMs: ms, activity: emptyActivity(), groupEvents: undefined, pendingGroups: UNLOCATED_GROUPS, pending: 0 };
      this.open.set(ip, inc);
      source.open = inc;
    }
    if (e.time > inc.last) {
      inc.last = e.time;
      inc.lastMs = ms;
    }
    addToActivity(inc.activity, e);
    const groups = info.country ? this.groupsAt(info.country, e.time) : UNLOCATED_GROUPS;
    if (groups !== inc.pendingGroups) {
      flushGroups(inc);
      inc.pendingGroups = groups;
    }
    inc.pending++;

    this.addDetail(e, ip, id);
  }

  private addDetail(e: ApiaryEvent, ip: string, id: number): void {
    switch (e.type) {
      case 'scan.probe':
        this.ports.add(String(e.dst_port), id);
        break;
      case 'auth.attempt': {
        const p = (e as ApiaryEvent<'auth.attempt'>).payload;
        const username = clip(p.username);
        const password = clip(p.password ?? (p.key_fingerprint ? `(key ${p.key_fingerprint})` : `(${p.method})`));
        const key = boundedKey(this.creds, `${username}\u0000${password}`);
        let c = this.creds.get(key);
        if (!c) this.creds.set(key, (c = key === OTHER ? { username: OTHER, password: OTHER, attempts: 0, successes: 0, sources: new Set() } : { username, password, attempts: 0, successes: 0, sources: new Set() }));
        c.attempts++;
        if (p.success) c.successes++;
        c.sources.add(ip);
        break;
      }
      case 'command.input': {
        const key = boundedKey(this.commands, clip((e as ApiaryEvent<'command.input'>).payload.input));
        let c = this.commands.get(key);
        if (!c) this.commands.set(key, (c = { count: 0, sources: new Set() }));
        c.count++;
        c.sources.add(ip);
        break;
      }
      case 'file.download':
      case 'file.upload': {
        const p = e.payload as { sha256?: string; md5?: string; size?: number; url?: string; filename?: string };
        if (!p.sha256) break;
        const key = boundedKey(this.malware, p.sha256);
        let m = this.malware.get(key);
        const name = p.url ?? p.filename ?? '';
        if (!m) this.malware.set(key, (m = { md5: p.md5 ?? null, size: p.size ?? null, type: malwareType(name), urls: new Set(), sources: new Set(), events: 0, first: e.time }));
        if (p.url && m.urls.size < 20) m.urls.add(clip(p.url));
        m.sources.add(ip);
        m.events++;
        if (e.time < m.first) m.first = e.time;
        break;
      }
      default:
        break;
    }
  }

  private close(inc: OpenIncident): void {
    this.open.delete(inc.src);
    const source = this.sourceEntries.get(inc.src);
    if (source?.open === inc) source.open = undefined;
    this.incidentCount++;
    const kind = classify(inc.activity, inc.scope);
    const events = inc.activity.events;
    let k = this.kindTotals.get(kind);
    if (!k) this.kindTotals.set(kind, (k = { incidents: 0, events: 0, sources: new Map(SCOPES.map((s) => [s, new Set<string>()])) }));
    k.incidents++;
    k.events += events;
    k.sources.get(inc.scope)!.add(inc.src);
    // One set of groups all along (the common case) is counted straight from pendingGroups.
    let counts: Iterable<[string, number]>;
    if (inc.groupEvents === undefined) counts = inc.pendingGroups.map((g): [string, number] => [g, inc.pending]);
    else {
      flushGroups(inc);
      counts = inc.groupEvents;
    }
    for (const [g, n] of counts) {
      if (n === 0) continue;
      this.groupKind.add(`${g}\u0000${kind}`, inc.srcId, n);
      this.groupTotal.add(g, inc.srcId, n);
    }
    if (inc.scope === 'internal') {
      let ik = this.internalKinds.get(kind);
      if (!ik) this.internalKinds.set(kind, (ik = { incidents: 0, events: 0, sources: new Set() }));
      ik.incidents++;
      ik.events += events;
      ik.sources.add(inc.src);
      let h = this.internalHosts.get(inc.src);
      if (!h) this.internalHosts.set(inc.src, (h = { first: inc.first, last: inc.last, kinds: new Set(), sensors: new Set(), services: new Set(), incidents: 0, events: 0 }));
      if (inc.first < h.first) h.first = inc.first;
      if (inc.last > h.last) h.last = inc.last;
      h.kinds.add(kind);
      inc.activity.sensors.forEach((s) => h.sensors.add(s));
      inc.activity.protocols.forEach((s) => h.services.add(s));
      h.incidents++;
      h.events += events;
    }
  }

  finish(): ReportData {
    for (const inc of [...this.open.values()]) this.close(inc);
    const scopeCounts = (c: SetCounter, suffix: string): ScopeCounts => ({
      external: c.distinct(`external\u0000${suffix}`),
      internal: c.distinct(`internal\u0000${suffix}`),
      private: c.distinct(`private\u0000${suffix}`),
    });
    const eventsOf = (c: SetCounter, suffix: string): number => SCOPES.reduce((n, s) => n + c.eventsOf(`${s}\u0000${suffix}`), 0);
    const keysOf = (c: SetCounter): string[][] => [...new Set([...c.keys()].map((k) => k.split('\u0000').slice(1).join('\u0000')))].sort().map((k) => k.split('\u0000'));
    const byDesc = <T>(f: (x: T) => number, tie: (x: T) => string) => (a: T, b: T) => f(b) - f(a) || (tie(a) < tie(b) ? -1 : tie(a) > tie(b) ? 1 : 0);
    const groupNames = [...this.opts.groups.names(), UNLOCATED];
    const kindCell = (g: string, kind: IncidentKind): ActivityCell => ({ sources: this.groupKind.distinct(`${g}\u0000${kind}`), events: this.groupKind.eventsOf(`${g}\u0000${kind}`) });
    const sourcesAll = SCOPES.reduce((n, s) => n + this.sourcesByScope.get(s)!.size, 0);
    return {
      generated_at: (this.opts.now?.() ?? new Date()).toISOString(),
      period: { from: this.opts.from ?? null, to: this.opts.to ?? null, first_event: this.firstEvent, last_event: this.lastEvent },
      filters: {
        sensors: this.opts.sensors ? [...this.opts.sensors] : null,
        ignored_networks: [...(this.opts.ignoredNetworks ?? [])],
        internal_networks: [...(this.opts.internalNetworks ?? [])],
        ignored_events: this.ignoredEvents,
        ignored_sources: this.ignoredSources.size,
      },
      method: REPORT_METHOD,
      sources_of_data: this.opts.sourcesOfData ?? { country: 'not configured', asn: 'not configured' },
      totals: {
        events: this.events,
        sources: {
          all: sourcesAll,
          external: this.sourcesByScope.get('external')!.size,
          internal: this.sourcesByScope.get('internal')!.size,
          private: this.sourcesByScope.get('private')!.size,
        },
        incidents: this.incidentCount,
        sensors: [...this.sensors].sort(),
        services: [...this.services].sort(),
      },
      figure1: {
        by_service_sensor: keysOf(this.svcSensor).map(([service, sensor]) => ({ service: service!, sensor: sensor!, events: eventsOf(this.svcSensor, `${service}\u0000${sensor}`), ...scopeCounts(this.svcSensor, `${service}\u0000${sensor}`) })),
        by_service: keysOf(this.svc).map(([service]) => ({ service: service!, events: eventsOf(this.svc, service!), ...scopeCounts(this.svc, service!) })),
        by_sensor: keysOf(this.sensor).map(([sensor]) => ({ sensor: sensor!, events: eventsOf(this.sensor, sensor!), ...scopeCounts(this.sensor, sensor!) })),
        monthly: keysOf(this.monthly).map(([month, service]) => ({ month: month!, service: service!, events: eventsOf(this.monthly, `${month}\u0000${service}`), ...scopeCounts(this.monthly, `${month}\u0000${service}`) })),
      },
      figure2: {
        internal_by_kind: INCIDENT_KINDS.map((kind) => {
          const k = this.internalKinds.get(kind);
          return { kind, incidents: k?.incidents ?? 0, sources: k?.sources.size ?? 0, events: k?.events ?? 0 };
        }).sort(byDesc((x) => x.sources, (x) => String(INCIDENT_KINDS.length - INCIDENT_KINDS.indexOf(x.kind)))),
        internal_hosts: [...this.internalHosts]
          .map(([ip, h]) => ({ ip, site: this.info(ip).site, first_seen: h.first, last_seen: h.last, kinds: INCIDENT_KINDS.filter((k) => h.kinds.has(k)), sensors: [...h.sensors].sort(), services: [...h.services].sort(), incidents: h.incidents, events: h.events }))
          .sort((a, b) => (a.first_seen < b.first_seen ? -1 : a.first_seen > b.first_seen ? 1 : a.ip < b.ip ? -1 : 1)),
      },
      incidents_by_kind: INCIDENT_KINDS.map((kind) => {
        const k = this.kindTotals.get(kind);
        return { kind, incidents: k?.incidents ?? 0, events: k?.events ?? 0, external: k?.sources.get('external')!.size ?? 0, internal: k?.sources.get('internal')!.size ?? 0, private: k?.sources.get('private')!.size ?? 0 };
      }),
      countries: {
        top: [...this.countries.keys()]
          .filter((c) => c !== UNLOCATED)
          .map((country) => ({ country, sources: this.countries.distinct(country), events: this.countries.eventsOf(country) }))
          .sort(byDesc((x) => x.sources, (x) => x.country))
          .slice(0, TOP_ROWS),
        map: Object.fromEntries([...this.countries.keys()].filter((c) => c !== UNLOCATED).sort().map((c) => [c, this.countries.distinct(c)])),
        groups: groupNames.map((group) => ({
          group,
          total: { sources: this.groupTotal.distinct(group), events: this.groupTotal.eventsOf(group) },
          by_kind: Object.fromEntries(INCIDENT_KINDS.map((k) => [k, kindCell(group, k)])) as Record<IncidentKind, ActivityCell>,
        })),
      },
      unserved_ports: [...this.ports.keys()]
        .map((p) => ({ port: Number(p), sources: this.ports.distinct(p), events: this.ports.eventsOf(p) }))
        .sort(byDesc((x) => x.events, (x) => String(x.port).padStart(5, '0')))
        .slice(0, TOP_ROWS),
      credentials: [...this.creds.values()]
        .map((c) => ({ username: c.username, password: c.password, attempts: c.attempts, successes: c.successes, sources: c.sources.size }))
        .sort(byDesc((x) => x.attempts, (x) => `${x.username}\u0000${x.password}`))
        .slice(0, TOP_ROWS),
      commands: [...this.commands]
        .map(([command, c]) => ({ command, count: c.count, sources: c.sources.size }))
        .sort(byDesc((x) => x.count, (x) => x.command))
        .slice(0, TOP_ROWS),
      malware: [...this.malware]
        .map(([sha256, m]) => ({
          sha256, md5: m.md5, size: m.size, type: m.type, urls: [...m.urls],
          servers: [...new Set([...m.urls].map(urlHost).filter((h): h is string => h !== undefined))].map((host) => ({ host, country: this.opts.countryOf?.(host) ?? null })),
          sources: m.sources.size, events: m.events, first_seen: m.first,
        }))
        .sort(byDesc((x) => x.events, (x) => x.sha256))
        .slice(0, TOP_ROWS),
      attacks: [],
    };
  }
}

/** The report's rows for the chains the store chose (the period's, highest score first; listAttacks), clipped. */
export function reportAttacks(chains: readonly AttackRecord[]): ReportAttack[] {
  return chains.map((c) => ({
    id: c.id,
    score: c.score,
    first_seen: c.first_seen,
    last_seen: c.last_seen,
    sources: c.sources.filter((m) => m.role === 'attacker').length,
    servers: c.sources.filter((m) => m.role === 'server').length,
    countries: [...new Set(c.sources.map((m) => m.country).filter((x): x is string => x !== null))].sort(),
    services: c.services.map(clip),
    intents: c.intents.map((i) => clip(i.name)),
    techniques: c.techniques.map((t) => clip(t.id)),
    links: [...new Set(c.links.map((l) => clip(l.type)))],
    events: c.events,
  }));
}
