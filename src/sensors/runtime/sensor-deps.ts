// What every sensor is given at start: its name, where events go, the shared connection gate and a
// logger; sensors with logins and captured files also get the auth policy, capture and honeytokens.
import type { Logger } from 'pino';
import type { EventSink } from '../../events/emitter.js';
import type { AuthPolicy } from './auth-policy.js';
import type { Capture } from './capture.js';
import type { HoneytokenRegistry } from './honeytokens.js';
import type { ConnectionGate } from './listener.js';

export interface SensorDeps {
  sensor: string;
  sink: EventSink;
  gate: ConnectionGate;
  log: Logger;
}

export interface CapturingSensorDeps extends SensorDeps {
  policy: AuthPolicy;
  capture: Capture;
  honeytokens: HoneytokenRegistry;
}

/** UDP per-source limits (limits.udp_*). */
export interface UdpLimits {
  perSourcePerSecond: number;
  maxFlows: number;
}
