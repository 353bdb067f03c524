// A map that keeps about MAX recently used entries, in O(1) per call: two generations, the current
// one and the one before, and a hit in the old one moves to the new. A Map used as an LRU queue
// (delete the first key past the cap) is slow in V8: every deleted entry stays at the front until the
// table is rebuilt, and finding the first live key walks past them (7 µs per new key at 10,000).
export class RecentMap<V> {
  private current = new Map<string, V>();
  private previous = new Map<string, V>();

  constructor(private readonly max: number) {}

  get(key: string): V | undefined {
    const v = this.current.get(key);
    if (v !== undefined) return v;
    const old = this.previous.get(key);
    if (old !== undefined) {
      this.previous.delete(key);
      this.put(key, old);
    }
    return old;
  }

  set(key: string, value: V): void {
    if (this.current.has(key)) this.current.set(key, value);
    else {
      this.previous.delete(key);
      this.put(key, value);
    }
  }

  delete(key: string): void {
    this.current.delete(key);
    this.previous.delete(key);
  }

  /** Entries held: at most MAX. */
  get size(): number {
    return this.current.size + this.previous.size;
  }

  private put(key: string, value: V): void {
    if (this.current.size >= Math.max(1, this.max >> 1)) {
      this.previous = this.current;
      this.current = new Map();
    }
    this.current.set(key, value);
  }
}
