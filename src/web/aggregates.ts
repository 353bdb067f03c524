// A period's aggregates for the dashboard in one pass over its events: the tracking report plus
// events per day, connections per port, the last sighting of each captured file and every use of a
// planted honeytoken (as a password, or inside a command or a query). The pass gives
// the event loop back every few thousand events, so sensors running in the same process keep
// answering while a million events are counted.
import type { Config } from '../config/schema.js';
import { findHoneytokenUse, type Honeytoken } from '../events/honeytokens.js';
import type { Enricher } from '../enrich/enricher.js';
import type { GeoIp } from '../enrich/geoip.js';
import { isAttackerEvent } from '../analysis/incidents.js';
import type { ApiaryEvent } from '../events/catalogue.js';
import { buildReport } from '../report/build.js';
import type { ReportData } from '../report/compute.js';
import type { DayCount, PortCount } from '../store/dashboard-reads.js';
import type { EventFilter, EventStore, ScanOptions } from '../store/store.js';

/** Events counted between two turns of the event loop. */
export const EVENTS_PER_TURN = 2000;
/** Planted honeytokens read (announcements repeat at every start; the ids are stable). */
export const MAX_TOKENS = 5000;
/** Uses kept per honeytoken (the newest); all are counted. */
export const MAX_TOKEN_USES = 50;
/** Ports kept in the per-port table (the busiest). */
export const MAX_PORTS = 200;

export interface PeriodAggregates {
  report: ReportData;
  days: DayCount[];
  ports: PortCount[];
  /** SHA-256 -> time of the last download or upload. */
  fileLastSeen: Map<string, string>;
  honeytokens: (Honeytoken & { used: number; uses: HoneytokenUseRow[] })[];
}

export interface HoneytokenUseRow {
  time: string;
  session: string;
  src_ip: string;
  protocol: string;
  type: string;
  how: 'exact' | 'contains';
}

class Tally {
  readonly days = new Map<string, { events: number; sources: Set<string> }>();
  readonly ports = new Map<string, { port: number; protocol: string; served: number; unserved: number; sources: Set<string> }>();
  readonly files = new Map<string, string>();
  readonly uses = new Map<string, { used: number; uses: HoneytokenUseRow[] }>();
  /** Sources in networks.ignore, as the report's enrichment reads say. */
  readonly ignored = new Set<string>();

  constructor(private readonly tokens: readonly Honeytoken[]) {}

  private noteUses(e: ApiaryEvent, value: unknown, mode: 'exact' | 'contains'): void {
    if (typeof value !== 'string' || this.tokens.length === 0) return;
    for (const u of findHoneytokenUse(this.tokens, value, mode)) {
      let t = this.uses.get(u.token.id);
      if (!t) this.uses.set(u.token.id, (t = { used: 0, uses: [] }));
      t.used++;
      t.uses.push({ time: e.time, session: e.session, src_ip: e.src_ip, protocol: e.protocol, type: e.type, how: u.how });
      if (t.uses.length > MAX_TOKEN_USES) t.uses.shift();
    }
  }

  add(e: ApiaryEvent): void {
    // What the report leaves out of every number (the sensors' own announcements, such as a planted
    // honeytoken from 0.0.0.0, and the operators' ignored hosts) is left out here too.
    if (!isAttackerEvent(e) || this.ignored.has(e.src_ip)) return;
    const day = e.time.slice(0, 10);
    let d = this.days.get(day);
    if (!d) this.days.set(day, (d = { events: 0, sources: new Set() }));
    d.events++;
    d.sources.add(e.src_ip);
    if (e.type === 'connection.open' || e.type === 'scan.probe') {
      const key = `${e.dst_port}/${e.protocol}`;
      let p = this.ports.get(key);
      if (!p) this.ports.set(key, (p = { port: e.dst_port, protocol: e.protocol, served: 0, unserved: 0, sources: new Set() }));
      if (e.type === 'scan.probe') p.unserved++;
      else if (e.protocol !== 'ports') p.served++;
      p.sources.add(e.src_ip);
    } else if (e.type === 'file.download' || e.type === 'file.upload') {
      const sha = (e.payload as { sha256?: string }).sha256;
      if (sha && (this.files.get(sha) ?? '') < e.time) this.files.set(sha, e.time);
    } else if (e.type === 'auth.attempt') this.noteUses(e, (e.payload as { password?: string }).password, 'exact');
    else if (e.type === 'command.input') this.noteUses(e, (e.payload as { input?: string }).input, 'contains');
    else if (e.type === 'query') this.noteUses(e, (e.payload as { query?: string }).query, 'contains');
  }
}

/** Event types whose payloads the tally reads. */
const TALLY_PAYLOAD_TYPES = ['file.download', 'file.upload', 'auth.attempt', 'command.input', 'query'];

/** STORE with a page scan that tallies into TALLY and yields to the event loop every EVENTS_PER_TURN events. */
function tapped(store: EventStore, tally: Tally): EventStore {
  return Object.assign(Object.create(store) as EventStore, {
    // The report reads the enrichment of a part's new sources before counting it: the tally learns the ignored ones.
    async getEnrichment(ips?: readonly string[]) {
      const found = await store.getEnrichment(ips);
      for (const [ip, r] of found) if (r.ignored) tally.ignored.add(ip);
      return found;
    },
    async *scanPages(f: EventFilter, opts: ScanOptions = {}): AsyncIterable<readonly ApiaryEvent[]> {
      const payloadTypes = opts.payloadTypes ? new Set([...opts.payloadTypes, ...TALLY_PAYLOAD_TYPES]) : undefined;
      // The tally reads sessions (a honeytoken's uses), which a report's counting pass leaves out.
      for await (const page of store.scanPages(f, { ...opts, payloadTypes, counting: false })) {
        for (let i = 0; i < page.length; i += EVENTS_PER_TURN) {
          const part = page.slice(i, i + EVENTS_PER_TURN);
          yield part;
          // Counted once the report has counted it, and so read its sources' enrichment.
          for (const e of part) tally.add(e);
          await new Promise((r) => setImmediate(r));
        }
      }
    },
  });
}

export async function periodAggregates(
  store: EventStore,
  config: Config,
  opts: { from: string | undefined; to: string | undefined; enricher: Enricher; geoip?: GeoIp | undefined },
): Promise<PeriodAggregates> {
  const planted = new Map<string, Honeytoken>();
  for (const e of await store.query({ type: 'honeytoken.planted', limit: MAX_TOKENS })) {
    const p = e.payload as { token_id: string; kind: Honeytoken['kind']; username: string; secret: string; host?: string; locations: string[] };
    planted.set(p.token_id, { id: p.token_id, kind: p.kind, username: p.username, secret: p.secret, locations: p.locations, ...(p.host ? { host: p.host } : {}) });
  }
  const tokens = [...planted.values()];
  const tally = new Tally(tokens);
  const report = await buildReport(tapped(store, tally), config, opts);
  return {
    report,
    days: [...tally.days].sort(([a], [b]) => (a < b ? -1 : 1)).map(([day, d]) => ({ day, events: d.events, sources: d.sources.size })),
    ports: [...tally.ports.values()]
      .map((p) => ({ port: p.port, protocol: p.protocol, served: p.served, unserved: p.unserved, sources: p.sources.size }))
      .sort((a, b) => b.served + b.unserved - (a.served + a.unserved) || a.port - b.port)
      .slice(0, MAX_PORTS),
    fileLastSeen: tally.files,
    honeytokens: tokens.map((t) => ({ ...t, used: tally.uses.get(t.id)?.used ?? 0, uses: [...(tally.uses.get(t.id)?.uses ?? [])].reverse() })),
  };
}
