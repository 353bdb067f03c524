// The incident tracker and the attack runner fold the same events on the same beat, each from its own
// watermark, which are usually equal. This view of a store answers a readCommitted repeated with the
// same cursor and limit within SHARED_READ_MS from the first answer, so each chunk of events is read
// and decoded once for both. Any answer is a prefix of what follows the cursor, so a shared one is
// never wrong, at most a beat behind.
import type { EventStore } from '../store/store.js';

/** How long one read's answer is shared: well under the 200 ms beat of `apiary start`. */
export const SHARED_READ_MS = 100;

export function sharingCommittedReads(store: EventStore, now: () => number = Date.now): EventStore {
  let last: { cursor: string | undefined; limit: number; at: number; answer: ReturnType<EventStore['readCommitted']> } | undefined;
  const readCommitted: EventStore['readCommitted'] = (cursor, limit) => {
    const t = now();
    if (last && last.cursor === cursor && last.limit === limit && t - last.at < SHARED_READ_MS) return last.answer;
    const answer = store.readCommitted(cursor, limit);
    last = { cursor, limit, at: t, answer };
    // A failed read is not shared: the next caller asks the store again.
    answer.catch(() => {
      if (last?.answer === answer) last = undefined;
    });
    return answer;
  };
  return new Proxy(store, {
    get(target, prop) {
      if (prop === 'readCommitted') return readCommitted;
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}
