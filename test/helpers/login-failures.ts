// Run in a worker by the dashboard tests (callWithin): failed logins from many addresses and names.
import { Accounts, MAX_FAILURE_KEYS } from '../../src/web/accounts.js';
import type { EventStore } from '../../src/store/store.js';

/**
 * Notes failures from N distinct addresses and names (noteFailure touches no store), then 4 more from
 * one address; returns the records held and whether that last address is locked.
 */
export function failFromManyAddresses(n: number): { held: number; max: number; lastLocked: boolean } {
  const accounts = new Accounts({} as EventStore, { idleMs: 60_000, maxFailures: 4 });
  for (let i = 0; i < n; i++) accounts.noteFailure(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, `user${i}`);
  for (let i = 0; i < 4; i++) accounts.noteFailure('192.0.2.200', 'admin');
  return { held: (accounts as unknown as { failures: Map<string, unknown> }).failures.size, max: MAX_FAILURE_KEYS, lastLocked: accounts.lockedFor('192.0.2.200', 'admin') > 0 };
}
