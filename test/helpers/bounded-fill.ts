// A load for the makeRoom test, run in a worker by callWithin: N inserts into a map bounded at MAX.
import { makeRoom } from '../../src/wire/bounded.js';

export function fill(n: number, max: number): number {
  const m = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    makeRoom(m, max);
    m.set(`k${i}`, i);
  }
  return m.size;
}
