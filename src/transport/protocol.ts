// The sensor-to-collector protocol over HTTPS with mutual TLS: paths, limits and the small HTTPS
// client both the shipper and enrolment use. Batches are gzip'd JSON lines, one event per line.
import { request, type Agent } from 'node:https';
import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import { SERVER_AUTH_OID } from './pki.js';

export const PATHS = {
  enroll: '/v1/enroll',
  events: '/v1/events',
  heartbeat: '/v1/heartbeat',
  files: '/v1/files/',
  recordings: '/v1/recordings/',
} as const;

/** A session recording's file name: the session id (16 hex digits) and .cast. */
export const RECORDING_NAME_RE = /^[0-9a-f]{16}\.cast$/;

/** Largest JSON body (enrolment, heartbeat) either side reads. */
export const MAX_JSON_BYTES = 64 * 1024;
/** Largest answer the shipper reads. */
export const MAX_RESPONSE_BYTES = 1024 * 1024;
/** A batch decompresses to at most this many times its compressed size limit (bounds a gzip bomb). */
export const MAX_INFLATE_RATIO = 8;
/** Longest a request may take before it is abandoned and retried. */
export const REQUEST_TIMEOUT_MS = 30_000;

export interface IngestResult {
  received: number;
  stored: number;
  duplicates: number;
  invalid: number;
}

export interface Heartbeat {
  version: string;
  config_hash: string;
  services: string[];
  spool_depth: number;
  /** Events the spool's size cap dropped in this run of the sensor (run_id). */
  spool_dropped: number;
  recorded: number;
  /** Random per start of the sensor: counts above are per run. */
  run_id: string;
  drop_policy: 'oldest' | 'newest';
  spool_max_bytes: number;
  /** The sensor's clock when it sent the heartbeat (ISO 8601): the collector compares it with its own. */
  sent_at?: string;
}

/**
 * Server identity for the collector: the usual host name/IP check against its certificate, and the
 * certificate must be a server certificate (a sensor's client certificate, from the same CA, is not).
 */
export function checkCollectorIdentity(host: string, cert: PeerCertificate): Error | undefined {
  const e = checkServerIdentity(host, cert);
  if (e) return e;
  const eku = (cert as PeerCertificate & { ext_key_usage?: string[] }).ext_key_usage;
  if (!eku?.includes(SERVER_AUTH_OID)) return new Error('the collector presented a certificate that is not a server certificate');
  return undefined;
}

export interface HttpsResponse {
  status: number;
  body: Buffer;
}

/** One HTTPS request with a timeout and a bounded answer. Rejects on network errors. */
export function httpsRequest(
  url: URL,
  opts: { method: string; path: string; agent: Agent; headers?: Record<string, string | number>; body?: Buffer; timeoutMs?: number; signal?: AbortSignal },
): Promise<HttpsResponse> {
  return new Promise((resolve, reject) => {
    const req = request(
      { protocol: 'https:', hostname: url.hostname.replace(/^\[|\]$/g, ''), port: url.port || 443, method: opts.method, path: opts.path, agent: opts.agent, headers: opts.headers, ...(opts.signal ? { signal: opts.signal } : {}) },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > MAX_RESPONSE_BYTES) req.destroy(new Error('collector answer too large'));
          else chunks.push(c);
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    req.setTimeout(opts.timeoutMs ?? REQUEST_TIMEOUT_MS, () => req.destroy(new Error('collector request timed out')));
    req.on('error', reject);
    req.end(opts.body);
  });
}
