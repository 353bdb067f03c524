// Where the decoy databases put attacker payloads (files written with INTO DUMPFILE, binaries sent as
// hex): a small content-addressed store behind an interface, so the shared quarantine can replace it.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Largest payload kept; larger ones are cut to this size and recorded as truncated. */
export const MAX_PAYLOAD_BYTES = 16 * 1024 * 1024;

export interface StoredPayload {
  sha256: string;
  md5: string;
  size: number;
  outcome: 'stored' | 'duplicate' | 'truncated' | 'refused';
}

/** The one thing the database sensors need from a quarantine. */
export interface PayloadStore {
  put(data: Buffer): StoredPayload;
}

/** The result shape of the shared Quarantine (shell branch, src/sensors/runtime/quarantine.ts), structurally. */
export interface QuarantineLike {
  store(data: Buffer): { sha256: string; md5: string; size: number; truncated: boolean; duplicate: boolean; stored: boolean };
}

/** Adapts the shared Quarantine to what the database sensors need, once both branches are merged. */
export function fromQuarantine(q: QuarantineLike): PayloadStore {
  return {
    put(data) {
      const r = q.store(data);
      return { sha256: r.sha256, md5: r.md5, size: r.size, outcome: !r.stored ? 'refused' : r.duplicate ? 'duplicate' : r.truncated ? 'truncated' : 'stored' };
    },
  };
}

/** Stores each payload once as DIR/<sha256>; never throws (a failed write is reported as refused). */
export function createDirPayloadStore(dir: string, maxBytes = MAX_PAYLOAD_BYTES): PayloadStore {
  return {
    put(data) {
      const truncated = data.length > maxBytes;
      const body = truncated ? data.subarray(0, maxBytes) : data;
      const sha256 = createHash('sha256').update(body).digest('hex');
      const md5 = createHash('md5').update(body).digest('hex');
      const path = join(dir, sha256);
      try {
        if (existsSync(path)) return { sha256, md5, size: body.length, outcome: 'duplicate' };
        mkdirSync(dir, { recursive: true, mode: 0o700 });
        // Same on-disk layout as the shared quarantine on the shell branch (DATA_DIR/quarantine/<sha256>,
        // temp files named .tmp-*), so both can use one directory.
        const tmp = join(dir, `.tmp-${sha256}-${process.pid}`);
        writeFileSync(tmp, body, { mode: 0o400 });
        renameSync(tmp, path);
        return { sha256, md5, size: body.length, outcome: truncated ? 'truncated' : 'stored' };
      } catch {
        return { sha256, md5, size: body.length, outcome: 'refused' };
      }
    },
  };
}
