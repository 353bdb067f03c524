// A small HTTPS client for the dashboard's self-signed loopback certificate (tests only).
import { request } from 'node:https';

export interface HttpsResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  json<T = Record<string, unknown>>(): T;
}

export function httpsRequest(port: number, path: string, opts: { method?: string; headers?: Record<string, string>; body?: unknown } = {}): Promise<HttpsResponse> {
  return new Promise((resolve, reject) => {
    const data = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: opts.method ?? (data === undefined ? 'GET' : 'POST'),
        rejectUnauthorized: false,
        headers: { ...(data === undefined ? {} : { 'content-type': 'application/json' }), ...opts.headers },
        timeout: 20_000,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json: <T>() => JSON.parse(body) as T }));
      },
    );
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end(data);
  });
}

/** Logs in; returns the cookie header value and the CSRF token. */
export async function dashboardLogin(port: number, username: string, password: string): Promise<{ cookie: string; csrf: string; setCookie: string }> {
  const r = await httpsRequest(port, '/api/login', { body: { username, password } });
  if (r.status !== 200) throw new Error(`login failed: ${r.status} ${r.body}`);
  const setCookie = String(([] as string[]).concat(r.headers['set-cookie'] ?? [])[0]);
  return { cookie: setCookie.split(';')[0]!, csrf: r.json<{ csrf: string }>().csrf, setCookie };
}
