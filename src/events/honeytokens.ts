// Honeytokens: decoy secrets a sensor plants in its fake system. A sensor announces each one with a
// `honeytoken.planted` event (kind, username, secret, where); anything downstream (collector,
// analysis) that has seen those events can recognise the secret when it is used later, anywhere,
// with `findHoneytokenUse`. Sensors never need the store for this, and analysis never needs a sensor.

export type HoneytokenKind = 'mysql' | 'ssh' | 'app_db' | 'api_key';

export interface Honeytoken {
  /** Stable id: the same token planted again keeps its id. */
  id: string;
  kind: HoneytokenKind;
  username: string;
  secret: string;
  /** The host the decoy says the secret is for (a name or address inside the fake network). */
  host?: string;
  /** Paths in the fake system where it was planted. */
  locations: string[];
}

/** Secrets shorter than this are never matched inside free text (too many false hits). */
export const MIN_MATCH_CHARS = 6;

export interface HoneytokenUse {
  token: Honeytoken;
  /** 'exact' when the field equals the secret; 'contains' when free text includes it. */
  how: 'exact' | 'contains';
}

/** Which TOKENS appear in a credential or text (a login password, a typed command, a SQL query). */
export function findHoneytokenUse(tokens: readonly Honeytoken[], value: string, mode: 'exact' | 'contains' = 'exact'): HoneytokenUse[] {
  const out: HoneytokenUse[] = [];
  for (const t of tokens) {
    if (value === t.secret) out.push({ token: t, how: 'exact' });
    else if (mode === 'contains' && t.secret.length >= MIN_MATCH_CHARS && value.includes(t.secret)) out.push({ token: t, how: 'contains' });
  }
  return out;
}
