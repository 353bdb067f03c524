// Text helpers for attacker-controlled strings that must stay linear in their length.

/**
 * S without the run of CHARS at its end, in one backward pass. A pattern such as /[\\/]+$/ tries again
 * from every position of a long run that is not at the end, which is quadratic in the run's length
 * (32,767 backslashes before one letter took 1.3 s).
 */
export function trimTrailing(s: string, chars: string): string {
  let end = s.length;
  while (end > 0 && chars.includes(s[end - 1]!)) end--;
  return end === s.length ? s : s.slice(0, end);
}
