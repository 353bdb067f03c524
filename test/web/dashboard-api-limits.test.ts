// What logged-in users may ask of the dashboard API, against an in-process dashboard: decoy secrets
// are shown masked to every role, session searches (a walk over the store on the dashboard's own
// thread) run one at a time, and console queries (a child process each) two at a time, each with a
// short queue and 503 past it; one user holds a few of the live monitors, not all.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import pino from 'pino';
import { validateConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import type { ApiaryEvent } from '../../src/events/catalogue.js';
import { newEventId } from '../../src/events/id.js';
import { maskSecret } from '../../src/events/mask.js';
import type { DashboardReads, SessionSearchResult } from '../../src/store/dashboard-reads.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { MAX_LIVE_STREAMS_PER_USER, MAX_RUNNING_QUERIES, MAX_RUNNING_SEARCHES, MAX_WAITING_QUERIES, MAX_WAITING_SEARCHES } from '../../src/web/api.js';
import { startDashboard } from '../../src/web/server.js';
import { tempDir, waitFor } from '../helpers/apiary-process.js';
import { dashboardLogin, httpsRequest } from '../helpers/https-client.js';

const ADMIN_PASSWORD = 'limits password 1';
const VIEWER_PASSWORD = 'viewer password 1';
const SECRET = 'Tr4p-S3cret-Value';

function event(type: string, t: number, payload: Record<string, unknown>): ApiaryEvent {
  return { id: newEventId(t), time: new Date(t).toISOString(), type, sensor: 's', session: `s${t}`, protocol: 'ssh', src_ip: '203.0.113.9', src_port: 1, dst_ip: '192.0.2.9', dst_port: 22, payload } as ApiaryEvent;
}

/** Runs FN against a dashboard over a new store holding EVENTS, with an admin and a viewer logged in. */
async function withDashboard(
  events: ApiaryEvent[],
  reads: DashboardReads | undefined,
  fn: (t: { port: number; admin: { cookie: string; csrf: string }; viewer: { cookie: string; csrf: string } }) => Promise<void>,
): Promise<void> {
  const dir = tempDir();
  const config = validateConfig({ data_dir: dir, dashboard: { listen: '127.0.0.1:0', admin_password: ADMIN_PASSWORD } }) as unknown as Config;
  const store = new SqliteStore(join(dir, 'apiary.db'));
  await store.insertBatch(events);
  const dash = await startDashboard({ config, dash: config.dashboard!, store, ...(reads ? { reads } : {}), services: [], onEvents: () => () => undefined, log: pino({ level: 'silent' }) });
  try {
    const port = dash.bound[0]!.port;
    const admin = await dashboardLogin(port, 'admin', ADMIN_PASSWORD);
    const made = await httpsRequest(port, '/api/users', { headers: { cookie: admin.cookie, 'x-csrf-token': admin.csrf }, body: { username: 'vera', password: VIEWER_PASSWORD, role: 'viewer' } });
    assert.equal(made.status, 200, made.body);
    await fn({ port, admin, viewer: await dashboardLogin(port, 'vera', VIEWER_PASSWORD) });
  } finally {
    await dash.close();
    await store.close();
  }
}

test('credentials: a planted secret, and an attacker trying it, are shown masked to every role', async () => {
  const t = Date.UTC(2026, 0, 1);
  const planted = event('honeytoken.planted', t, { token_id: 'ab'.repeat(8), kind: 'ssh', username: 'backup_admin', secret: SECRET, locations: ['/root/.pgpass'] });
  const used = event('auth.attempt', t + 1, { method: 'password', username: 'backup_admin', password: SECRET, success: true });
  await withDashboard([planted, used], undefined, async ({ port, admin, viewer }) => {
    for (const [who, login] of [['viewer', viewer], ['admin', admin]] as const) {
      const r = await httpsRequest(port, '/api/credentials', { headers: { cookie: login.cookie } });
      assert.equal(r.status, 200, r.body);
      assert.ok(!r.body.includes(SECRET), `${who}: the secret is not in the answer`);
      const body = r.json<{ honeytokens: { username: string; secret_masked: string; used: number }[]; passwords: { value: string }[] }>();
      assert.deepEqual(body.honeytokens.map((h) => [h.username, h.secret_masked, h.used]), [['backup_admin', maskSecret(SECRET), 1]]);
      assert.deepEqual(body.passwords.map((p) => p.value), [maskSecret(SECRET)]);
    }
  });
});

/** Work that holds its turn until released, counting how many run at once (most()). */
function gated<T>(answer: T): { work: () => Promise<T>; release: () => void; most: () => number } {
  let running = 0;
  let most = 0;
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const work = async (): Promise<T> => {
    most = Math.max(most, ++running);
    await gate;
    running--;
    return answer;
  };
  return { work, release: () => release(), most: () => most };
}

test('session search: one runs at a time, a few wait, the rest get 503 with Retry-After', async () => {
  const { work, release, most } = gated<SessionSearchResult>({ sessions: [] });
  const reads: DashboardReads = {
    searchSessions: work,
    runQuery: () => Promise.reject(new Error('not here')),
    close: async () => undefined,
  };
  await withDashboard([], reads, async ({ port, viewer }) => {
    const n = MAX_RUNNING_SEARCHES + MAX_WAITING_SEARCHES + 3;
    let answered = 0;
    const answers = Array.from({ length: n }, (_, i) => httpsRequest(port, `/api/sessions?username=nobody-${i}`, { headers: { cookie: viewer.cookie } }).finally(() => answered++));
    // The refused ones answer at once (whichever arrive last); the others wait for the gate.
    await waitFor(() => answered === 3, 10_000);
    release();
    const statuses = (await Promise.all(answers)).map((r) => [r.status, r.headers['retry-after']]);
    assert.equal(statuses.filter(([s, after]) => s === 503 && after === '5').length, 3);
    assert.equal(statuses.filter(([s]) => s === 200).length, MAX_RUNNING_SEARCHES + MAX_WAITING_SEARCHES);
    assert.equal(most(), MAX_RUNNING_SEARCHES, 'searches did not run at once');
  });
});

test('console queries: MAX_RUNNING_QUERIES run at once (each is a child process), a few wait, the rest get 503', async () => {
  const { work, release, most } = gated({ columns: ['x'], rows: [[1]] as unknown[][], truncated: false, ms: 1 });
  const reads: DashboardReads = {
    searchSessions: async () => ({ sessions: [] }),
    runQuery: work,
    close: async () => undefined,
  };
  await withDashboard([], reads, async ({ port, admin }) => {
    const n = MAX_RUNNING_QUERIES + MAX_WAITING_QUERIES + 2;
    let answered = 0;
    const answers = Array.from({ length: n }, () => httpsRequest(port, '/api/query', { headers: { cookie: admin.cookie, 'x-csrf-token': admin.csrf }, body: { sql: 'SELECT 1' } }).finally(() => answered++));
    await waitFor(() => answered === 2, 10_000);
    release();
    const statuses = (await Promise.all(answers)).map((r) => r.status);
    assert.equal(statuses.filter((s) => s === 503).length, 2);
    assert.equal(statuses.filter((s) => s === 200).length, MAX_RUNNING_QUERIES + MAX_WAITING_QUERIES);
    assert.equal(most(), MAX_RUNNING_QUERIES);
  });
});

test('live monitors: one user holds at most MAX_LIVE_STREAMS_PER_USER, so the others can still open theirs', async () => {
  await withDashboard([], undefined, async ({ port, admin, viewer }) => {
    let answered = 0;
    const streams = Array.from({ length: MAX_LIVE_STREAMS_PER_USER + 1 }, () => httpsRequest(port, '/api/live', { headers: { cookie: viewer.cookie } }).finally(() => answered++));
    await waitFor(() => answered === 1, 10_000);
    const adminLive = httpsRequest(port, '/api/live', { headers: { cookie: admin.cookie } });
    await new Promise((r) => setTimeout(r, 300));
    // Logging out ends a user's monitors.
    for (const login of [viewer, admin]) assert.equal((await httpsRequest(port, '/api/logout', { headers: { cookie: login.cookie, 'x-csrf-token': login.csrf }, body: {} })).status, 200);
    const statuses = (await Promise.all([...streams, adminLive])).map((r) => r.status);
    assert.deepEqual(statuses.slice(0, -1).sort(), [...Array<number>(MAX_LIVE_STREAMS_PER_USER).fill(200), 503]);
    assert.equal(statuses.at(-1), 200, "the admin's monitor opened");
  });
});
