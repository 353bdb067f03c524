// One SMB connection without its socket: NetBIOS payloads in, reply payloads out. Decides SMB1 or
// SMB2 from the first NEGOTIATE and keeps to it, as Windows does.
import { decodeSmb1Message, isSmb1 } from './codec/smb1.js';
import { decodeSmb2Message, isSmb2 } from './codec/smb2.js';
import { SmbConnectionState, type SmbConfig, type SmbHooks } from './connection.js';
import { Smb1Server } from './smb1-server.js';
import { Smb2Server } from './smb2-server.js';

export type SessionResult = { replies: Uint8Array[] } | { replies: Uint8Array[]; malformed: string };

export class SmbSession {
  private state: 'negotiate' | 'smb1' | 'smb2' = 'negotiate';
  readonly st: SmbConnectionState;
  private readonly smb1: Smb1Server;
  private readonly smb2: Smb2Server;

  constructor(cfg: SmbConfig, hooks: SmbHooks) {
    this.st = new SmbConnectionState(cfg, hooks);
    this.smb1 = new Smb1Server(this.st);
    this.smb2 = new Smb2Server(this.st);
  }

  get dialect(): 'negotiate' | 'smb1' | 'smb2' {
    return this.state;
  }

  /** Handles one SMB message (a NetBIOS session message's payload). */
  handle(msg: Uint8Array): SessionResult {
    if (isSmb1(msg) && this.state !== 'smb2') {
      const d = decodeSmb1Message(msg);
      if (d.status !== 'ok') return { replies: [], malformed: d.status === 'malformed' ? d.reason : 'truncated SMB1 message' };
      if (this.state === 'negotiate' && d.value.header.command !== 0x72) return { replies: [], malformed: 'SMB1 command before NEGOTIATE' };
      const out = this.smb1.handle(d.value);
      if (out.switchToSmb2) {
        this.state = 'smb2';
        return { replies: [this.smb2.negotiateFromSmb1(out.switchToSmb2.wildcard)] };
      }
      if (d.value.header.command === 0x72) this.state = 'smb1';
      return { replies: out.replies };
    }
    if (isSmb2(msg) && this.state !== 'smb1') {
      const d = decodeSmb2Message(msg);
      if (d.status !== 'ok') return { replies: [], malformed: d.status === 'malformed' ? d.reason : 'truncated SMB2 message' };
      this.state = 'smb2';
      return { replies: this.smb2.handle(d.value) };
    }
    return { replies: [], malformed: isSmb1(msg) || isSmb2(msg) ? 'SMB dialect switch after negotiation' : 'not an SMB message' };
  }

  /** The connection ended: files still open are captured as they are. */
  dispose(): void {
    this.smb1.dispose();
    this.st.dispose();
  }
}
