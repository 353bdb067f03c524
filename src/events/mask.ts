// Masking of decoy secrets wherever they are shown or forwarded: enough to recognise one, not to use it.

/** Masks a secret for listings: first two and last characters kept. */
export function maskSecret(s: string): string {
  if (s.length <= 3) return '*'.repeat(s.length);
  return `${s.slice(0, 2)}${'*'.repeat(Math.min(12, s.length - 3))}${s.slice(-1)}`;
}
