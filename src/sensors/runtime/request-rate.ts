// Per-source request rate: a token bucket per source (an address, or an IPv6 /64), for HTTP requests on
// one connection (keep-alive and pipelining), new connections (listener.ts) and UDP datagrams (udp.ts).
// Past it what comes is counted instead of each recorded in full; one summary per source and window.
import { RecentMap } from './recent-map.js';
import { WindowedCounts } from './windowed-counts.js';
import { sourceKey } from '../../events/source-key.js';

/** Requests one source may make per second, sustained, before they are counted instead of recorded. */
export const REQUESTS_PER_SOURCE_PER_SECOND = 20;
/** Requests one source may make at once above that rate (a crawler's burst, a scanner's first sweep). */
export const REQUEST_BURST_PER_SOURCE = 200;
/** Sources whose buckets are kept (the most recently seen, RecentMap). */
export const MAX_RATE_SOURCES = 10_000;

interface Bucket {
  tokens: number;
  at: number;
}

/** Counts requests over the rate per source and reports them once per LIMITED_SUMMARY_WINDOW_MS. */
export class RequestRate {
  private readonly buckets = new RecentMap<Bucket>(MAX_RATE_SOURCES);
  private readonly over: WindowedCounts<string>;

  constructor(
    /** Called with the address of the window's first request over the rate, requests not recorded, and the window. */
    onLimited: (address: string, count: number, windowMs: number) => void,
    private readonly perSecond = REQUESTS_PER_SOURCE_PER_SECOND,
    private readonly burst = REQUEST_BURST_PER_SOURCE,
    private readonly now: () => number = Date.now,
  ) {
    this.over = new WindowedCounts((_src, address, count, windowMs) => onLimited(address, count, windowMs), now);
  }

  /** Whether one more request from ADDRESS is within its rate; counts it when it is not. */
  admit(address: string): boolean {
    const src = sourceKey(address);
    const now = this.now();
    let b = this.buckets.get(src);
    if (b) {
      b.tokens = Math.min(this.burst, b.tokens + ((now - b.at) / 1000) * this.perSecond);
      b.at = now;
    } else this.buckets.set(src, (b = { tokens: this.burst, at: now }));
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return true;
    }
    this.over.add(src, address);
    return false;
  }

  /** Reports pending counts now (at shutdown). */
  flush(): void {
    this.over.flush();
  }
}
