// Builds a report from a store: makes sure every source is enriched, then one counting pass.
import type { Config } from '../config/schema.js';
import { countryGroupsFromConfig } from '../enrich/from-config.js';
import type { Enricher } from '../enrich/enricher.js';
import type { GeoIp } from '../enrich/geoip.js';
import { normaliseIp } from '../enrich/networks.js';
import type { EventFilter, EventStore } from '../store/store.js';
import { ATTACKS_LEFT_OUT_BY_SENSOR, REPORT_PAYLOAD_TYPES, ReportBuilder, TOP_ATTACKS, reportAttacks, type ReportData, type SourceInfo } from './compute.js';

/** Enriches the sources (of events matching FILTER) that have no enrichment record yet. Returns how many. */
export async function enrichMissing(store: EventStore, enricher: Enricher, filter: EventFilter = {}): Promise<number> {
  const ips = await store.distinctSources(filter);
  const known = await store.getEnrichment(ips);
  const at = enricher.now();
  const missing = ips.filter((ip) => !known.has(ip)).map((ip) => enricher.enrich(ip, at));
  await store.upsertEnrichment(missing);
  return missing.length;
}

export interface BuildReportOptions {
  from?: string | undefined;
  to?: string | undefined;
  sensors?: string[] | undefined;
  geoip?: GeoIp | undefined;
  /** Looks up malware servers' countries (overrides first); IP literals only, nothing is resolved. */
  enricher?: Enricher | undefined;
  now?: () => Date;
}

export async function buildReport(store: EventStore, config: Config, opts: BuildReportOptions): Promise<ReportData> {
  // The enrichment of the sources a page brings that the report has not met yet, asked for before the
  // page is counted: a report holds only its period's sources, and only what it reads of them (loading
  // every record of the store first held all its sources, whatever the period, 350 bytes each).
  const pageInfo = new Map<string, SourceInfo>();
  const builder = new ReportBuilder({
    from: opts.from,
    to: opts.to,
    sensors: opts.sensors,
    quietGapMs: config.incidents.quiet_gap_s * 1000,
    groups: countryGroupsFromConfig(config),
    enrichment: pageInfo,
    countryOf: (host) => (opts.enricher && normaliseIp(host) ? opts.enricher.enrich(host).country : null),
    internalNetworks: config.networks.internal,
    ignoredNetworks: config.networks.ignore,
    sourcesOfData: opts.geoip?.sources,
    ...(opts.now ? { now: opts.now } : {}),
  });
  const filter: EventFilter = {};
  if (opts.from) filter.since = opts.from;
  if (opts.to) filter.until = opts.to;
  for await (const page of store.scanPages(filter, { payloadTypes: REPORT_PAYLOAD_TYPES, byTime: true, readAhead: true, counting: true })) {
    pageInfo.clear();
    const fresh = new Set<string>();
    for (const e of page) if (!builder.hasSource(e.src_ip)) fresh.add(e.src_ip);
    if (fresh.size > 0) {
      for (const [ip, r] of await store.getEnrichment([...fresh])) pageInfo.set(ip, { scope: r.scope, country: r.country, ignored: r.ignored, site: r.site });
    }
    for (const e of page) builder.add(e);
  }
  // The period's top chains, chosen by the store: reading 40 times as many and filtering here took
  // 223 ms of parsing in one go (the dashboard's longest stall), and could miss chains ranked below them.
  // A report of some sensors leaves chains out (ATTACKS_LEFT_OUT_BY_SENSOR says why).
  const bySensor = opts.sensors !== undefined;
  const chains = bySensor ? [] : await store.listAttacks({ limit: TOP_ATTACKS, since: opts.from, until: opts.to });
  const report = builder.finish();
  return { ...report, ...(bySensor ? { method: { ...report.method, attacks: ATTACKS_LEFT_OUT_BY_SENSOR } } : {}), attacks: reportAttacks(chains) };
}
