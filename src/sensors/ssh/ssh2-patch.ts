// Whether the installed ssh2 sends OpenSSH's server-sig-algs (scripts/patch-ssh2.mjs, run by npm's
// postinstall): an install made with --ignore-scripts keeps ssh2's own malformed list, which names any
// ssh2 server to one `ssh -v`, so the SSH sensor says so at start.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

/** The line scripts/patch-ssh2.mjs writes into ssh2's sendExtInfo. */
export const SSH2_PATCH_MARK = "server-sig-algs, set by apiary's scripts/patch-ssh2.mjs";

/** ssh2's lib/protocol/Protocol.js as installed. */
export function ssh2ProtocolPath(): string {
  return createRequire(import.meta.url).resolve('ssh2/lib/protocol/Protocol.js');
}

/** True when the file at PATH (ssh2's Protocol.js) carries the patch; false when not, or unreadable. */
export function ssh2Patched(path = ssh2ProtocolPath()): boolean {
  try {
    return readFileSync(path, 'utf8').includes(SSH2_PATCH_MARK);
  } catch {
    return false;
  }
}
