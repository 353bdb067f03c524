// What one SMB logon attempt recorded: names, the crackable hash line and the decision.
import type { NtlmHash } from './codec/ntlmssp.js';

export interface AuthResult {
  user: string;
  domain: string;
  workstation: string;
  hash: NtlmHash | undefined;
  anonymous: boolean;
  success: boolean;
}
