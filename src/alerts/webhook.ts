// Webhook output: a JSON POST per alert, retried with back-off; the answer's body is read only up to a
// limit and then dropped, so a receiver that answers with megabytes (or never ends) cannot hold us.
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

/** Bytes of a receiver's answer read (for the log) before the connection is dropped. */
export const MAX_WEBHOOK_RESPONSE_BYTES = 16 * 1024;
/** Largest JSON body sent. */
export const MAX_WEBHOOK_BODY_BYTES = 64 * 1024;

export interface WebhookOptions {
  url: string;
  timeoutMs: number;
  retries: number;
  headers?: Record<string, string>;
  /** First pause between tries; doubles each time. */
  backoffMs?: number;
}

export interface WebhookResult {
  ok: boolean;
  attempts: number;
  status?: number;
  error?: string;
  /** The start of the receiver's answer, at most MAX_WEBHOOK_RESPONSE_BYTES. */
  body?: string;
}

/** One POST: resolves with the status and the (bounded) start of the answer; never rejects. */
export function postOnce(url: URL, body: Buffer, opts: WebhookOptions): Promise<{ status?: number; body?: string; error?: string }> {
  return new Promise((resolve) => {
    const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
    let settled = false;
    const done = (r: { status?: number; body?: string; error?: string }): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    const req = request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'apiary-alerts', ...opts.headers, 'content-length': body.length },
    });
    const timer = setTimeout(() => {
      done({ error: `no answer within ${opts.timeoutMs} ms` });
      req.destroy();
    }, opts.timeoutMs);
    req.on('error', (err) => done({ error: err.message }));
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        if (size < MAX_WEBHOOK_RESPONSE_BYTES) chunks.push(c.subarray(0, MAX_WEBHOOK_RESPONSE_BYTES - size));
        size += c.length;
        if (size >= MAX_WEBHOOK_RESPONSE_BYTES) {
          // Enough for the log: stop reading and drop the connection.
          done({ status: res.statusCode, body: Buffer.concat(chunks).toString('utf8') });
          res.destroy();
          req.destroy();
        }
      });
      res.on('end', () => done({ status: res.statusCode, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', (err) => done({ status: res.statusCode, error: err.message }));
    });
    req.end(body);
  });
}

/** POSTs PAYLOAD as JSON; retries on network errors and non-2xx answers. Never rejects. */
export async function sendWebhook(payload: unknown, opts: WebhookOptions): Promise<WebhookResult> {
  const body = Buffer.from(JSON.stringify(payload), 'utf8');
  if (body.length > MAX_WEBHOOK_BODY_BYTES) return { ok: false, attempts: 0, error: `alert body is ${body.length} bytes, over ${MAX_WEBHOOK_BODY_BYTES}` };
  const url = new URL(opts.url);
  let last: WebhookResult = { ok: false, attempts: 0 };
  for (let attempt = 1; attempt <= opts.retries + 1; attempt++) {
    const r = await postOnce(url, body, opts);
    const ok = r.status !== undefined && r.status >= 200 && r.status < 300;
    last = { ok, attempts: attempt, ...r };
    if (ok) return last;
    if (attempt <= opts.retries) await new Promise((res) => setTimeout(res, (opts.backoffMs ?? 200) * 2 ** (attempt - 1)));
  }
  return last;
}
