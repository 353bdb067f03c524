// The enrichment step of the collector and of imports: each new source address in a batch gets one
// enrichment record (scope, ignore flag, country, ASN, site), written before the events, so that
// whatever folds the events (in this process or another) finds it.
import type { ApiaryEvent } from '../events/catalogue.js';
import type { Enricher } from '../enrich/enricher.js';
import type { IpEnrichment } from '../store/store.js';

/** Addresses remembered as already enriched this run; past this the memory starts over. */
export const MAX_REMEMBERED_SOURCES = 200_000;

export class EnrichmentStage {
  private readonly seen = new Set<string>();
  constructor(private readonly enricher: Enricher) {}

  /** Records for the batch's addresses not enriched yet in this run. */
  recordsFor(events: readonly ApiaryEvent[]): IpEnrichment[] {
    const out: IpEnrichment[] = [];
    let at: string | undefined;
    for (const e of events) {
      const r = this.recordFor(e.src_ip, (at ??= this.enricher.now()));
      if (r) out.push(r);
    }
    return out;
  }

  /** IP's record enriched AT (now by default), or undefined when it was enriched already in this run. */
  recordFor(ip: string, at?: string): IpEnrichment | undefined {
    if (this.seen.has(ip)) return undefined;
    if (this.seen.size >= MAX_REMEMBERED_SOURCES) this.seen.clear();
    this.seen.add(ip);
    return this.enricher.enrich(ip, at ?? this.enricher.now());
  }
}
