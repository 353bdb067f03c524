// The collector's enrichment step: each new source address in a stored batch gets one enrichment
// record (scope, ignore flag, country, ASN, site), written beside the events.
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
      if (this.seen.has(e.src_ip)) continue;
      if (this.seen.size >= MAX_REMEMBERED_SOURCES) this.seen.clear();
      this.seen.add(e.src_ip);
      out.push(this.enricher.enrich(e.src_ip, (at ??= this.enricher.now())));
    }
    return out;
  }
}
