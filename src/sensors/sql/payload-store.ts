// Where the decoy databases put attacker payloads (files written with INTO DUMPFILE, binaries sent as
// hex): the shared quarantine, behind the one method the database sensors need.
import type { Quarantine } from '../runtime/quarantine.js';

export interface StoredPayload {
  sha256: string;
  md5: string;
  size: number;
  outcome: 'stored' | 'duplicate' | 'truncated' | 'refused';
}

/** The one thing the database sensors need from a quarantine (tests give a stub). */
export interface PayloadStore {
  /** Resolves once DATA is durable (or refused); never rejects. */
  put(data: Buffer): Promise<StoredPayload>;
}

/** The shared quarantine (DATA_DIR/quarantine/<sha256>) as the PayloadStore of a client at address SOURCE. */
export function fromQuarantine(q: Pick<Quarantine, 'store'>, source: string): PayloadStore {
  return {
    async put(data) {
      const r = await q.store(data, source);
      return { sha256: r.sha256, md5: r.md5, size: r.size, outcome: !r.stored ? 'refused' : r.truncated ? 'truncated' : r.duplicate ? 'duplicate' : 'stored' };
    },
  };
}
