// What the collector takes from outside its process (remote sensors' batches, hpfeeds feeds): an event
// that passes the catalogue and whose `source`, free JSON beside the strict payload, is bounded in depth
// and size. The store keeps a source as it comes and every reader of the event parses it again.
import { validateEvent, type ValidationResult } from '../events/catalogue.js';

/**
 * Objects and arrays nested in a remote event's source, the source itself the first. The deepest a
 * source of ours goes is 4 (an import's source, merged, a record, a list in it; an hpfeeds feed's:
 * source, record, a credential pair). A source a few thousand deep passed the catalogue and then
 * overflowed JSON.stringify's stack in the store's insert: its whole batch was answered 503, and the
 * sensor sent it again forever.
 */
export const MAX_REMOTE_SOURCE_DEPTH = 8;
/**
 * A remote event's source as JSON, in UTF-8 bytes. The largest source a Cowrie or Dionaea feed makes
 * is a command's record: the command is cut at MAX_FIELD_CHARS (16 Ki) characters, 6 bytes each at
 * worst once escaped (\u001b), 96 KiB (Dionaea's messages and Cowrie's credential pairs, a few hundred
 * bytes from a real honeypot, are cut to fit: hpfeeds-records.ts cutRecord). Without a bound one event's source could take all of a
 * batch (64 MiB inflated), parsed again by every reader of the event.
 */
export const MAX_REMOTE_SOURCE_BYTES = 128 * 1024;

/** Bounds for remoteSourceProblem (tests give smaller ones). */
export interface SourceBounds {
  depth: number;
  bytes: number;
}

const REMOTE_SOURCE_BOUNDS: SourceBounds = { depth: MAX_REMOTE_SOURCE_DEPTH, bytes: MAX_REMOTE_SOURCE_BYTES };

/**
 * Why SOURCE (a JSON value) is past BOUNDS, or undefined when it is within them. Never throws: it
 * walks with a stack of its own (JSON.stringify recurses), and what it counts on the way (brackets,
 * quotes, keys, a byte a character) is never more than JSON.stringify writes, so a huge source is
 * refused early and only one that may fit is serialised to be measured exactly.
 */
export function remoteSourceProblem(source: unknown, bounds: SourceBounds = REMOTE_SOURCE_BOUNDS): string | undefined {
  const tooLarge = `source: more than ${bounds.bytes} bytes as JSON`;
  const stack: { value: unknown; depth: number }[] = [{ value: source, depth: 1 }];
  let atLeast = 0;
  while (stack.length > 0) {
    const { value, depth } = stack.pop()!;
    if (typeof value === 'string') atLeast += value.length + 2;
    else if (Array.isArray(value)) {
      if (depth > bounds.depth) return `source: nested more than ${bounds.depth} deep`;
      // Brackets and commas; its items are counted as they are taken.
      atLeast += 1 + Math.max(1, value.length);
      if (atLeast > bounds.bytes) return tooLarge;
      for (const item of value) stack.push({ value: item, depth: depth + 1 });
    } else if (value !== null && typeof value === 'object') {
      if (depth > bounds.depth) return `source: nested more than ${bounds.depth} deep`;
      atLeast += 2;
      for (const [key, item] of Object.entries(value)) {
        // JSON.stringify leaves such a key out.
        if (item === undefined || typeof item === 'function' || typeof item === 'symbol') continue;
        atLeast += key.length + 3;
        if (atLeast > bounds.bytes) return tooLarge;
        stack.push({ value: item, depth: depth + 1 });
      }
    } else if (value !== undefined) atLeast += 1;
    if (atLeast > bounds.bytes) return tooLarge;
  }
  let json: string | undefined;
  try {
    json = JSON.stringify(source);
  } catch {
    // Only a value no JSON parse gives (a BigInt): never one from a batch or a feed.
    return 'source: not JSON';
  }
  return Buffer.byteLength(json ?? '') > bounds.bytes ? tooLarge : undefined;
}

/** validateEvent, and the event's source (when it has one) within MAX_REMOTE_SOURCE_DEPTH and MAX_REMOTE_SOURCE_BYTES. Never throws. */
export function validateRemoteEvent(input: unknown): ValidationResult {
  const v = validateEvent(input);
  if (!v.ok || v.event.source === undefined) return v;
  const problem = remoteSourceProblem(v.event.source);
  return problem === undefined ? v : { ok: false, reason: problem };
}
