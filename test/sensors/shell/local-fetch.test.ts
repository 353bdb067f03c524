// curl and wget to the fake machine itself: the fetch policy never reaches loopback, so the host answers
// for itself as a real one does: a closed port refuses at once, its web server serves /var/www/html.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { testShell } from '../../helpers/shell.js';
import type { HostDescription } from '../../../src/sensors/runtime/host.js';

const INDEX = '<!DOCTYPE html>\n<title>Apache2 Debian Default Page: It works</title>\n';

function host(): HostDescription {
  const bootMs = Date.now() - 5 * 86_400_000;
  return {
    bootMs,
    daemons: [
      { kind: 'sshd', startMs: bootMs + 9000, sockets: [{ proto: 'tcp', address: '0.0.0.0', port: 22 }] },
      { kind: 'apache2', startMs: bootMs + 9500, sockets: [{ proto: 'tcp', address: '0.0.0.0', port: 80 }] },
    ],
    web: {
      index: { html: INDEX, mtimeMs: Date.UTC(2024, 7, 13, 8, 2, 11) },
      errorPage: (status, h, port) => `<h1>${status}</h1><address>Apache/2.4.62 (Debian) Server at ${h} Port ${port}</address>\n`,
    },
  };
}

test('a closed port on the machine itself refuses at once: curl (7), wget tries each address /etc/hosts gives', async () => {
  const s = testShell({ host: host() }).open();
  const c = await s.run('curl http://127.0.0.1:28080/; echo "exit=$?"');
  assert.match(c.out, /^curl: \(7\) Failed to connect to 127\.0\.0\.1 port 28080 after 0 ms: Couldn't connect to server\nexit=7\n$/);
  const w = await s.run('wget http://localhost:28080/x; echo "exit=$?"');
  assert.match(w.out, /Resolving localhost \(localhost\)\.\.\. ::1, 127\.0\.0\.1\nConnecting to localhost \(localhost\)\|::1\|:28080\.\.\. failed: Connection refused\.\nConnecting to localhost \(localhost\)\|127\.0\.0\.1\|:28080\.\.\. failed: Connection refused\.\nexit=4\n$/);
  const a = await s.run('wget http://127.0.0.1:3306/');
  assert.match(a.out, /Connecting to 127\.0\.0\.1:3306\.\.\. failed: Connection refused\.\n$/);
  // Another machine still fails the way a firewalled host does.
  const far = await s.run('curl -sS http://203.0.113.50:8080/; echo "exit=$?"');
  assert.match(far.out, /curl: \(28\) .*\nexit=28\n$/);
  await s.end();
});

test("the machine's own web server serves what cat shows in /var/www/html, and its own 404 page", async () => {
  const s = testShell({ host: host() }).open();
  assert.equal((await s.run('cat /var/www/html/index.html')).out, INDEX);
  assert.equal((await s.run('curl -s http://localhost/')).out, INDEX);
  assert.equal((await s.run('wget -qO- http://127.0.0.1/index.html')).out, INDEX);
  // What the attacker writes there is served too.
  assert.equal((await s.run('echo hacked > /var/www/html/x.html; curl -s http://127.0.0.1/x.html')).out, 'hacked\n');
  assert.equal((await s.run('curl -s http://127.0.0.1/nope')).out, '<h1>404</h1><address>Apache/2.4.62 (Debian) Server at 127.0.0.1 Port 80</address>\n');
  const f = await s.run('curl -fsS http://localhost/nope; echo "exit=$?"');
  assert.equal(f.out, 'curl: (22) The requested URL returned error: 404\nexit=22\n');
  const w = await s.run('wget http://localhost/nope; echo "exit=$?"');
  assert.match(w.out, /HTTP request sent, awaiting response\.\.\. 404 Not Found\n.* ERROR 404: Not Found\.\n\nexit=8\n$/);
  const saved = await s.run('cd /tmp && wget http://localhost/ && cat index.html');
  assert.match(saved.out, /connected\.\nHTTP request sent, awaiting response\.\.\. 200 OK\n/);
  assert.ok(saved.out.endsWith(INDEX));
  // The SSH port is open but not a web server: no page is made up (it fails as before).
  assert.doesNotMatch((await s.run('curl -sS http://127.0.0.1:22/')).out, /\(7\)|It works/);
  await s.end();
});
