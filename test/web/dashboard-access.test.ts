// Dashboard access control against a live `apiary start`: the API refuses requests without a session,
// with a forged or expired one, or without the CSRF token; the cookie flags are right; login brute
// force is refused after a few failures; a viewer cannot change anything; the SQL console is read-only
// and time-limited; every change lands in the audit log.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startApiaryProcess } from '../helpers/apiary-process.js';
import { dashboardLogin, httpsRequest } from '../helpers/https-client.js';

const ADMIN_PASSWORD = 'admin password 123';

test('dashboard API: sessions, CSRF, cookie flags, login limits, roles, read-only console, audit', async () => {
  const apiary = await startApiaryProcess({
    sensor: 'dash-access',
    services: { ssh: { listen: ['127.0.0.1:0'], failure_delay_ms: 0 } },
    dashboard: { listen: '127.0.0.1:0', admin_password: ADMIN_PASSWORD, session_idle_s: 2, login_failures: 4, query_timeout_ms: 1500, query_max_rows: 5 },
  });
  try {
    const port = apiary.ports.dashboard!;
    assert.ok(port > 0, 'the dashboard port is printed at start');
    assert.doesNotMatch(apiary.stdout(), /set-up token/, 'with a configured admin password there is no set-up token');

    // No session, a forged one: refused.
    assert.equal((await httpsRequest(port, '/api/overview')).status, 401);
    assert.equal((await httpsRequest(port, '/api/overview', { headers: { cookie: '__Host-apiary=forged-token-value' } })).status, 401);
    assert.equal((await httpsRequest(port, '/api/incidents')).status, 401);
    assert.equal((await httpsRequest(port, '/api/live')).status, 401, 'the live stream needs a session too');
    assert.equal((await httpsRequest(port, '/api/chart/figure1.svg')).status, 401);
    // The router decodes the path: an encoded /api/ is still the API.
    for (const path of ['/%61pi/overview', '/api/%6Fverview', '/%61%70%69/sessions', '/%61pi/live', '/%61pi/reports/json', '/api/exports/stix', '/%61pi/exports/misp']) {
      assert.equal((await httpsRequest(port, path)).status, 401, path);
    }

    // Security headers on the page itself.
    const page = await httpsRequest(port, '/');
    assert.equal(page.status, 200);
    assert.match(String(page.headers['content-security-policy']), /default-src 'none'; script-src 'self'/);
    assert.doesNotMatch(String(page.headers['content-security-policy']), /unsafe-inline|unsafe-eval/);
    assert.doesNotMatch(page.body, /<script>|<style>| on[a-z]+=/i, 'no inline script or style');
    assert.equal(page.headers['x-frame-options'], 'DENY');

    // Login: cookie flags.
    const admin = await dashboardLogin(port, 'admin', ADMIN_PASSWORD);
    assert.match(admin.setCookie, /^__Host-apiary=[A-Za-z0-9_-]{40,};/);
    for (const flag of ['HttpOnly', 'Secure', 'SameSite=Strict', 'Path=/']) assert.ok(admin.setCookie.includes(flag), `cookie has ${flag}`);
    assert.equal((await httpsRequest(port, '/api/overview', { headers: { cookie: admin.cookie } })).status, 200);

    // Changes need the CSRF token (absent or wrong: refused), and a JSON body.
    const change = { enabled: false };
    assert.equal((await httpsRequest(port, '/api/services/ssh', { headers: { cookie: admin.cookie }, body: change })).status, 403);
    assert.equal((await httpsRequest(port, '/api/services/ssh', { headers: { cookie: admin.cookie, 'x-csrf-token': 'x'.repeat(43) }, body: change })).status, 403);
    const form = await httpsRequest(port, '/api/users', { method: 'POST', headers: { cookie: admin.cookie, 'x-csrf-token': admin.csrf, 'content-type': 'application/x-www-form-urlencoded' }, body: undefined });
    assert.ok(form.status === 415 || form.status === 400, `a form post is refused (${form.status})`);

    // Users: an admin makes a viewer; the viewer reads but cannot change anything.
    const mk = await httpsRequest(port, '/api/users', { headers: { cookie: admin.cookie, 'x-csrf-token': admin.csrf }, body: { username: 'vera', password: 'viewer password 1', role: 'viewer' } });
    assert.equal(mk.status, 200, mk.body);
    const short = await httpsRequest(port, '/api/users', { headers: { cookie: admin.cookie, 'x-csrf-token': admin.csrf }, body: { username: 'bob', password: 'short', role: 'viewer' } });
    assert.equal(short.status, 400);
    const viewer = await dashboardLogin(port, 'vera', 'viewer password 1');
    const vh = { cookie: viewer.cookie, 'x-csrf-token': viewer.csrf };
    assert.equal((await httpsRequest(port, '/api/overview', { headers: vh })).status, 200);
    assert.equal((await httpsRequest(port, '/api/services/ssh', { headers: vh, body: change })).status, 403);
    assert.equal((await httpsRequest(port, '/api/incidents/anything', { headers: vh, body: { status: 'resolved' } })).status, 403);
    assert.equal((await httpsRequest(port, '/api/users', { headers: vh, body: { username: 'eve', password: 'eve password 12', role: 'admin' } })).status, 403);
    assert.equal((await httpsRequest(port, '/api/query', { headers: vh, body: { sql: 'SELECT 1' } })).status, 403);
    assert.equal((await httpsRequest(port, '/api/users', { headers: vh })).status, 403);

    // A live monitor lasts as long as its login: logging out ends it (the request below would time out).
    const live = httpsRequest(port, '/api/live', { headers: { cookie: viewer.cookie } });
    await new Promise((r) => setTimeout(r, 300));
    // A logged-out session is gone.
    assert.equal((await httpsRequest(port, '/api/logout', { headers: vh, body: {} })).status, 200);
    const ended = await live;
    assert.equal(ended.status, 200);
    assert.match(ended.body, /^: live/);
    assert.equal((await httpsRequest(port, '/api/overview', { headers: { cookie: viewer.cookie } })).status, 401);
    assert.equal((await httpsRequest(port, '/api/session', { headers: { cookie: viewer.cookie } })).json().username, null);

    // The SQL console: rows capped, writes refused, runaway queries stopped.
    const ah = { cookie: admin.cookie, 'x-csrf-token': admin.csrf };
    const q = await httpsRequest(port, '/api/query', { headers: ah, body: { sql: 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 50) SELECT x FROM c' } });
    assert.equal(q.status, 200, q.body);
    assert.equal(q.json<{ rows: unknown[] }>().rows.length, 5);
    assert.equal(q.json<{ truncated: boolean }>().truncated, true);
    for (const sql of ['DELETE FROM events', "UPDATE incidents SET status = 'resolved'", 'DROP TABLE events', "ATTACH DATABASE '/tmp/x.db' AS x"]) {
      const r = await httpsRequest(port, '/api/query', { headers: ah, body: { sql } });
      assert.equal(r.status, 400, `${sql} refused`);
    }
    const t0 = Date.now();
    const slow = await httpsRequest(port, '/api/query', { headers: ah, body: { sql: 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c' } });
    assert.equal(slow.status, 400);
    assert.match(slow.json<{ error: string }>().error, /longer than 1500 ms/);
    assert.ok(Date.now() - t0 < 6000);

    // Switching a service is audited.
    assert.equal((await httpsRequest(port, '/api/services/ssh', { headers: ah, body: { enabled: true } })).status, 200);
    const audit = (await httpsRequest(port, '/api/audit', { headers: ah })).json<{ action: string; user: string; target: string }[]>();
    for (const action of ['user.create', 'login', 'query', 'service.on']) assert.ok(audit.some((a) => a.action === action), `audit has ${action}`);

    // An admin removes an account: its open session ends at once; the last admin cannot be removed.
    const vera = await dashboardLogin(port, 'vera', 'viewer password 1');
    assert.equal((await httpsRequest(port, '/api/users/admin/delete', { headers: { cookie: vera.cookie, 'x-csrf-token': vera.csrf }, body: {} })).status, 403);
    assert.equal((await httpsRequest(port, '/api/users/vera/delete', { headers: ah, body: {} })).status, 200);
    assert.equal((await httpsRequest(port, '/api/overview', { headers: { cookie: vera.cookie } })).status, 401, 'the removed user is logged out');
    assert.equal((await httpsRequest(port, '/api/users/admin/delete', { headers: ah, body: {} })).status, 409);
    assert.equal((await httpsRequest(port, '/api/users/nobody/delete', { headers: ah, body: {} })).status, 404);
    const audited = (await httpsRequest(port, '/api/audit', { headers: ah })).json<{ action: string; target: string }[]>();
    assert.ok(audited.some((a) => a.action === 'user.delete' && a.target === 'vera'));

    // Expired: the session ends after session_idle_s without a request.
    await new Promise((r) => setTimeout(r, 2600));
    assert.equal((await httpsRequest(port, '/api/overview', { headers: { cookie: admin.cookie } })).status, 401, 'an idle session expires');

    // Brute force: after login_failures wrong passwords, even the right one is refused for a while.
    for (let i = 0; i < 4; i++) assert.equal((await httpsRequest(port, '/api/login', { body: { username: 'admin', password: `wrong ${i}` } })).status, 401);
    const locked = await httpsRequest(port, '/api/login', { body: { username: 'admin', password: ADMIN_PASSWORD } });
    assert.equal(locked.status, 429);
    assert.ok(Number(locked.headers['retry-after']) > 60);
    assert.equal((await httpsRequest(port, '/api/login', { body: { username: 'vera', password: 'viewer password 1' } })).status, 429, 'the address is locked for other names too');

  } finally {
    await apiary.stop();
  }
});
