// Per-source request rate: a token bucket per source (an address, or an IPv6 /64), for HTTP requests on
// one connection (keep-alive and pipelining), new connections (listener.ts) and UDP datagrams (udp.ts).
// Past it what comes is counted instead of each recorded in full; one summary per source and window.
import { SourceBuckets } from './token-bucket.js';
import { WindowedCounts } from './windowed-counts.js';
import { sourceKey } from '../../events/source-key.js';

/** Requests one source may make per second, sustained, before they are counted instead of recorded. */
export const REQUESTS_PER_SOURCE_PER_SECOND = 20;
/** Requests one source may make at once above that rate (a crawler's burst, a scanner's first sweep). */
export const REQUEST_BURST_PER_SOURCE = 200;
/** Sources whose buckets are kept (the most recently seen, RecentMap). */
export const MAX_RATE_SOURCES = 10_000;

/** Counts requests over the rate per source and reports them once per LIMITED_SUMMARY_WINDOW_MS. */
export class RequestRate {
  private readonly buckets: SourceBuckets;
  private readonly over: WindowedCounts<string>;

  constructor(
    /** Called with the address of the window's first request over the rate, requests not recorded, and the window. */
    onLimited: (address: string, count: number, windowMs: number) => void,
    perSecond = REQUESTS_PER_SOURCE_PER_SECOND,
    burst = REQUEST_BURST_PER_SOURCE,
    now: () => number = Date.now,
  ) {
    this.buckets = new SourceBuckets(perSecond, burst, MAX_RATE_SOURCES, now);
    this.over = new WindowedCounts((_src, address, count, windowMs) => onLimited(address, count, windowMs), now);
  }

  /** Whether one more request from ADDRESS is within its rate; counts it when it is not. */
  admit(address: string): boolean {
    const b = this.buckets.of(address);
    if (b.hasToken) {
      b.take();
      return true;
    }
    this.over.add(sourceKey(address), address);
    return false;
  }

  /** Reports pending counts now (at shutdown). */
  flush(): void {
    this.over.flush();
  }
}
