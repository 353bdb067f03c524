// Masking of decoy secrets wherever they are shown or forwarded: enough to recognise one, not to use it.
import type { ApiaryEvent } from './catalogue.js';
import { setOwn } from '../wire/own-property.js';

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
  const payload = maskValue(e.payload, secrets);
  return payload === e.payload ? e : ({ ...e, payload } as ApiaryEvent);
}

/**
 * V with SECRETS masked in every string it holds: V itself when none holds one, so the events of every
 * output pass without a copy; only the arrays and objects on the way to a masked string are new.
 */
function maskValue(v: unknown, secrets: ReadonlySet<string>): unknown {
  if (typeof v === 'string') return maskSecretsIn(v, secrets);
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) {
    let out: unknown[] | undefined;
    v.forEach((x, i) => {
      const m = maskValue(x, secrets);
      if (m !== x) (out ??= [...v])[i] = m;
    });
    return out ?? v;
  }
  let out: Record<string, unknown> | undefined;
  for (const [k, x] of Object.entries(v)) {
    const m = maskValue(x, secrets);
    // setOwn: a key such as "__proto__" (a header an attacker named) stays an own property.
    if (m !== x) setOwn((out ??= { ...v }), k, m);
  }
  return out ?? v;
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
