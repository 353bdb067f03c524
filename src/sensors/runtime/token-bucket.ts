// Token buckets: so much a second, sustained, and up to a burst at once. One per source (an address,
// or an IPv6 /64) with the sources kept bounded, for the request, connection and datagram rates; and
// one per source plus one over all sources, for work whose CPU the whole process shares.
import { sourceKey } from '../../events/source-key.js';
import { RecentMap } from './recent-map.js';

/** A bucket that starts full and refills at PERSECOND up to BURST; a clock that goes back refills nothing. */
export class TokenBucket {
  private tokens: number;

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    private at: number,
  ) {
    this.tokens = burst;
  }

  /** Refills up to NOW (ms since the epoch); returns the bucket. */
  refill(now: number): this {
    this.tokens = Math.min(this.burst, this.tokens + (Math.max(0, now - this.at) / 1000) * this.perSecond);
    this.at = Math.max(this.at, now);
    return this;
  }

  /** Whether a whole token is there to take. */
  get hasToken(): boolean {
    return this.tokens >= 1;
  }

  take(): void {
    this.tokens -= 1;
  }
}

/** One bucket per source, the MAX most recently seen kept (a forgotten source starts full again). */
export class SourceBuckets {
  private readonly buckets: RecentMap<TokenBucket>;

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    max: number,
    private readonly now: () => number = Date.now,
  ) {
    this.buckets = new RecentMap(max);
  }

  /** The bucket of ADDRESS's source, refilled to now. */
  of(address: string): TokenBucket {
    const src = sourceKey(address);
    const now = this.now();
    const b = this.buckets.get(src);
    if (b) return b.refill(now);
    const fresh = new TokenBucket(this.perSecond, this.burst, now);
    this.buckets.set(src, fresh);
    return fresh;
  }

  /** Sources held: at most MAX. */
  get size(): number {
    return this.buckets.size;
  }
}

/** A rate per source and one over all sources, each with a burst of BURSTSECONDS' worth. */
export interface SharedRateLimits {
  perSourcePerSecond: number;
  globalPerSecond: number;
  burstSeconds: number;
}

/**
 * Work limited per source and in all: one unit needs a token of its source and one of the whole
 * process, and takes both (or neither, so a source refused by the global bucket keeps its own).
 */
export class SharedRate {
  private readonly sources: SourceBuckets;
  private readonly global: TokenBucket;

  constructor(
    limits: SharedRateLimits,
    maxSources: number,
    private readonly now: () => number = Date.now,
  ) {
    this.sources = new SourceBuckets(limits.perSourcePerSecond, limits.perSourcePerSecond * limits.burstSeconds, maxSources, now);
    this.global = new TokenBucket(limits.globalPerSecond, limits.globalPerSecond * limits.burstSeconds, now());
  }

  /** Takes one unit for ADDRESS's source if both buckets have it; false (nothing taken) otherwise. */
  take(address: string): boolean {
    const own = this.sources.of(address);
    const all = this.global.refill(this.now());
    if (!own.hasToken || !all.hasToken) return false;
    own.take();
    all.take();
    return true;
  }

  /** Sources held: at most maxSources. */
  get size(): number {
    return this.sources.size;
  }
}
