// Diagnostics (not attacker activity, which goes to the event stream): pino on stderr.
import pino, { type Logger } from 'pino';

export function createLogger(level: string): Logger {
  return pino({ level, base: { app: 'apiary' } }, pino.destination({ fd: 2, sync: false }));
}

export type { Logger };
