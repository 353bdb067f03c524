// Masking of decoy secrets wherever they are shown or forwarded: enough to recognise one, not to use it.
import type { ApiaryEvent } from './catalogue.js';

/** Masks a secret for listings: first two and last characters kept. */
export function maskSecret(s: string): string {
  if (s.length <= 3) return '*'.repeat(s.length);
  return `${s.slice(0, 2)}${'*'.repeat(Math.min(12, s.length - 3))}${s.slice(-1)}`;
}

/** TEXT with every occurrence of each of SECRETS masked (an attacker trying or typing a decoy secret). */
export function maskSecretsIn(text: string, secrets: Iterable<string>): string {
  let out = text;
  for (const sec of secrets) if (out.includes(sec)) out = out.split(sec).join(maskSecret(sec));
  return out;
}

/** Decoy secrets shorter than this are not looked for in other fields (they would mask ordinary text). */
export const MIN_MASKED_SECRET_CHARS = 6;

/**
 * E as it may leave Apiary (the jsonl, cowrie_json and syslog outputs): decoy secrets masked wherever
 * they appear (the planted event's own secret, and an attacker typing or trying one), so whoever
 * reads the copy, an insider too, does not learn which credentials are traps; `apiary honeytokens`
 * and the dashboard show them masked the same way. E itself when nothing needed masking.
 */
export function maskedEvent(e: ApiaryEvent, secrets: ReadonlySet<string>): ApiaryEvent {
  if (e.type === 'honeytoken.planted') {
    const p = e.payload as { secret?: unknown };
    return typeof p.secret === 'string' ? ({ ...e, payload: { ...p, secret: maskSecret(p.secret) } } as ApiaryEvent) : e;
  }
  if (secrets.size === 0) return e;
  let changed = false;
  const mask = (v: unknown): unknown => {
    if (typeof v === 'string') {
      const out = maskSecretsIn(v, secrets);
      if (out !== v) changed = true;
      return out;
    }
    if (Array.isArray(v)) return v.map(mask);
    if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, mask(x)]));
    return v;
  };
  const payload = mask(e.payload);
  return changed ? ({ ...e, payload } as ApiaryEvent) : e;
}

/**
 * The decoy secrets an output masks: those of the honeytoken.planted events it has seen, and of
 * those it is given at start (earlier runs', remote sensors'). One set may serve several outputs.
 */
export class DecoySecrets {
  private readonly secrets = new Set<string>();

  /** Adds the secrets of the honeytoken.planted events among EVENTS (other events are passed over). */
  learn(events: readonly ApiaryEvent[]): void {
    for (const e of events) {
      const sec = (e.payload as { secret?: unknown }).secret;
      if (e.type === 'honeytoken.planted' && typeof sec === 'string' && sec.length >= MIN_MASKED_SECRET_CHARS) this.secrets.add(sec);
    }
  }

  /** E with every known decoy secret masked (see maskedEvent). */
  mask(e: ApiaryEvent): ApiaryEvent {
    return maskedEvent(e, this.secrets);
  }
}
