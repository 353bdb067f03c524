// Enrichment of source addresses: scope (internal, external, private), whether the operators asked to
// ignore it, country and ASN (config overrides first, then the GeoIP databases), and a site name.
// Country groups are not stored: they depend on the event's time and are derived when counting.
import type { IpEnrichment } from '../store/store.js';
import type { GeoIp } from './geoip.js';
import { CidrMap, CidrSet, isNonPublic, normaliseIp } from './networks.js';

export type { IpEnrichment as EnrichmentRecord, Scope } from '../store/store.js';

export interface GeoOverride {
  cidr: string;
  country?: string | undefined;
  asn?: number | undefined;
  as_org?: string | undefined;
  site?: string | undefined;
}

export interface EnricherOptions {
  internal: readonly string[];
  internalAsns?: readonly number[];
  ignore: readonly string[];
  overrides?: readonly GeoOverride[];
  geoip: GeoIp | undefined;
  now?: () => Date;
}

export class Enricher {
  private readonly internal: CidrSet;
  private readonly internalAsns: ReadonlySet<number>;
  private readonly ignore: CidrSet;
  private readonly overrides: CidrMap<GeoOverride>;

  constructor(private readonly opts: EnricherOptions) {
    this.internal = new CidrSet(opts.internal);
    this.internalAsns = new Set(opts.internalAsns ?? []);
    this.ignore = new CidrSet(opts.ignore);
    this.overrides = new CidrMap((opts.overrides ?? []).map((o) => ({ cidr: o.cidr, value: o })));
  }

  /** The time an enrichment made now records. */
  now(): string {
    return (this.opts.now?.() ?? new Date()).toISOString();
  }

  /** AT is the enrichment time to record (one per batch saves a clock read and a date format per address). */
  enrich(rawIp: string, at?: string): IpEnrichment {
    const ip = normaliseIp(rawIp)?.ip ?? rawIp;
    const override = this.overrides.get(ip);
    const nonPublic = isNonPublic(ip);
    // Private and loopback addresses are never looked up; an override is the operator's word, not a lookup.
    const geo = !nonPublic && this.opts.geoip ? this.opts.geoip.lookup(ip) : { country: undefined, asn: undefined };
    const country = override?.country ?? geo.country ?? null;
    const asn = override?.asn ?? geo.asn?.asn ?? null;
    const asOrg = override?.as_org ?? (override?.asn !== undefined ? null : (geo.asn?.org ?? null));
    const internal = this.internal.has(ip) || (asn !== null && this.internalAsns.has(asn));
    return {
      ip: rawIp,
      scope: internal ? 'internal' : nonPublic ? 'private' : 'external',
      ignored: this.ignore.has(ip),
      country,
      asn,
      as_org: asOrg,
      site: override?.site ?? null,
      source: override && (override.country !== undefined || override.asn !== undefined) ? 'override' : geo.country || geo.asn ? 'geoip' : 'none',
      enriched_at: at ?? this.now(),
    };
  }
}
