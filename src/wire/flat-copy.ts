// Copies of attacker strings that outlive their request: V8 makes a slice a view that keeps its parent.

/**
 * V8's shortest sliced string (SlicedString::kMinLength, Node 20): slice, substring, split, trim and
 * match give a copy below it, and a view into the parent string from it up.
 */
export const V8_MIN_SLICED_CHARS = 13;

/**
 * S in a string of its own, for whatever is kept past the request it came in (session state, a
 * source's decoy copy). A slice of 13 characters or more is a view that keeps its whole parent alive,
 * so a cap on the slice's length bounds nothing: a 100-character SUBSTRING of a 4 Mi-character
 * REPEAT() held 4 MiB. `'' + s`, `${s}`, s.concat() and s.normalize() hand back S itself; a string
 * decoded from bytes is always new, and the UTF-16 round trip is exact (lone surrogates included).
 * Node decodes into a one-byte string when every character fits, so text costs what it did; S is
 * meant to be cut to what is kept first (past about 1 MB Node makes an external two-byte string).
 */
export function flatCopy(s: string): string {
  if (s.length < V8_MIN_SLICED_CHARS) return s;
  return Buffer.from(s, 'utf16le').toString('utf16le');
}
