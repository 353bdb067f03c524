// What the TLS-speaking sensors (HTTPS, MySQL after STARTTLS) share: how a failed handshake is recorded,
// and how their self-made certificates are dated (their keys are written by data-file.ts's writeOwnerOnly).
import type { ConnectionContext } from './listener.js';

/**
 * Records a TLS error on CTX's connection and closes it: a reset is the client leaving, anything else a
 * broken or hostile handshake (`protocol.malformed`, reason `tls: <code>`).
 */
export function recordTlsFailure(ctx: Pick<ConnectionContext, 'emitter' | 'close'>, err: NodeJS.ErrnoException): void {
  if (err.code === 'ECONNRESET') return ctx.close('client');
  ctx.emitter.emit('protocol.malformed', { reason: `tls: ${String(err.code ?? err.message).slice(0, 100)}`, sample_hex: '' });
  ctx.close('policy');
}

/**
 * The validity of a certificate made when its server was installed, some months back (30 to 330 days),
 * and valid DAYS from then, as the packages' own tools date theirs.
 */
export function installedValidity(days: number): { notBeforeDate: Date; notAfterDate: Date } {
  const madeAt = Date.now() - 86_400_000 * (30 + Math.floor(Math.random() * 300));
  return { notBeforeDate: new Date(madeAt), notAfterDate: new Date(madeAt + 86_400_000 * days) };
}
