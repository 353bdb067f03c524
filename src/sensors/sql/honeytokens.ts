// Registers the decoy's honeytokens: auth rules so the planted credentials work on every login
// service, and `honeytoken.planted` events so their later use anywhere can be recognised.
import type { AuthRuleConfig } from '../../config/schema.js';
import { createSessionEmitter, type EventSink } from '../../events/emitter.js';
import type { Honeytoken } from './decoy-data.js';

/** Allow rules for the honeytoken credentials the auth policy should accept (put before the operator's rules). */
export function honeytokenAuthRules(tokens: readonly Honeytoken[]): AuthRuleConfig[] {
  return tokens.filter((t) => t.accepted).map((t) => ({ user: t.username, password: t.secret, allow: true }));
}

/** Emits one `honeytoken.planted` per token, from the sensor itself (no client address). */
export function announceHoneytokens(sink: EventSink, sensor: string, protocol: string, tokens: readonly Honeytoken[]): void {
  const em = createSessionEmitter(sink, { sensor, protocol, src_ip: '0.0.0.0', src_port: 0, dst_ip: '0.0.0.0', dst_port: 0 });
  for (const t of tokens) {
    em.emit('honeytoken.planted', { token_id: t.id, kind: t.kind, username: t.username, secret: t.secret, locations: t.locations, accepted: t.accepted });
  }
}
