// Trap files attackers crawl for (/.env, /.git/config, /backup.sql, /wp-config.php.bak, /phpinfo.php,
// /server-status), generated once per install with honeytokens that are registered as they are made.
import { createHash } from 'node:crypto';
import { ALNUM, HEX, UPPER_DIGITS, type HoneytokenRegistry } from '../runtime/honeytokens.js';
import type { Page } from './sites.js';

export const TRAP_PATHS = ['/.env', '/.git/config', '/backup.sql', '/wp-config.php.bak', '/phpinfo.php', '/server-status'] as const;

export interface TrapSecrets {
  dbUser: string;
  dbPassword: string;
  dbName: string;
  appKey: string;
  awsKeyId: string;
  awsSecret: string;
  gitToken: string;
  mailPassword: string;
  adminUser: string;
  adminPassword: string;
  adminPath: string;
  users: { name: string; email: string; password: string }[];
}

/** Derives this install's secrets for HOST and registers every one of them. */
export function trapSecrets(reg: HoneytokenRegistry, host: string): TrapSecrets {
  const d = (label: string, alphabet: string, n: number): string => reg.derive(`http:${label}`, alphabet, n);
  const domain = host.replace(/^www\./, '');
  const people = ['jsmith', 'mgarcia', 'backup', 'deploy'];
  const dbUser = `${d('db-user', 'abcdefghijklmnopqrstuvwxyz', 4)}_web`;
  const dbPassword = d('db-password', ALNUM, 16);
  for (const location of ['/.env', '/wp-config.php.bak', '/phpinfo.php']) reg.plant({ service: 'http', kind: 'app_db', username: dbUser, secret: dbPassword, host: 'localhost', location });
  const awsKeyId = `AKIA${d('aws-id', UPPER_DIGITS, 16)}`;
  const awsSecret = reg.plant({ service: 'http', kind: 'api_key', username: awsKeyId, secret: d('aws-secret', `${ALNUM}+/`, 40), host: 'aws', location: '/.env' });
  const adminPassword = reg.plant({ service: 'http', kind: 'web_login', username: 'admin', secret: d('admin-password', ALNUM, 12), host, location: '/backup.sql' });
  return {
    dbUser,
    dbPassword,
    dbName: `${domain.split('.')[0]!.replace(/[^a-z0-9]/gi, '') || 'site'}_prod`,
    appKey: reg.plant({ service: 'http', kind: 'api_key', username: 'APP_KEY', secret: `base64:${Buffer.from(d('app-key', ALNUM, 32)).toString('base64')}`, location: '/.env' }),
    awsKeyId,
    awsSecret,
    gitToken: reg.plant({ service: 'http', kind: 'api_key', username: 'deploy-bot', secret: `ghp_${d('git-token', ALNUM, 36)}`, host: 'github.com', location: '/.git/config' }),
    mailPassword: reg.plant({ service: 'http', kind: 'mail', username: `noreply@${domain}`, secret: d('mail-password', ALNUM, 14), host: `smtp.${domain}`, location: '/.env' }),
    adminUser: 'admin',
    adminPassword,
    adminPath: reg.plant({ service: 'http', kind: 'web_login', username: 'admin-path', secret: `/admin-${d('admin-path', HEX, 10)}/`, host, location: '/server-status' }),
    users: people.map((name) => ({
      name,
      email: `${name}@${domain}`,
      password: reg.plant({ service: 'http', kind: 'web_login', username: name, secret: `${name.charAt(0).toUpperCase()}${name.slice(1)}${d(`user-${name}`, '0123456789', 4)}!`, host, location: '/backup.sql' }),
    })),
  };
}

const md5 = (s: string): string => createHash('md5').update(s).digest('hex');

/**
 * When this install's trap file at PATH was last changed: within the two years before 2024-06-01,
 * derived from its secrets so that it stays put across restarts and differs between installs.
 */
function fileTime(s: TrapSecrets, path: string): Date {
  const offset = createHash('sha256').update(`${s.appKey}\0${path}`).digest().readUInt32BE(0) % (2 * 365 * 86_400);
  return new Date(Date.UTC(2024, 5, 1) - offset * 1000);
}

const DAY_MS = 86_400_000;
const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const two = (n: number): string => String(n).padStart(2, '0');

/** T as mod_status prints times: "Monday, 12-Feb-2024 09:14:02 UTC". */
export function apacheStatusTime(t: Date): string {
  return `${WEEKDAYS[t.getUTCDay()]}, ${two(t.getUTCDate())}-${MONTHS[t.getUTCMonth()]}-${t.getUTCFullYear()} ${two(t.getUTCHours())}:${two(t.getUTCMinutes())}:${two(t.getUTCSeconds())} UTC`;
}

/** SECONDS as mod_status's show_time prints them: each non-zero unit, " 8 days 6 hours 3 minutes 51 seconds". */
export function apacheUptime(seconds: number): string {
  const secs = seconds % 60, mins = Math.floor(seconds / 60) % 60, hrs = Math.floor(seconds / 3600) % 24, days = Math.floor(seconds / 86_400);
  const unit = (n: number, name: string): string => (n ? ` ${n} ${name}${n === 1 ? '' : 's'}` : '');
  return `${unit(days, 'day')}${unit(hrs, 'hour')}${unit(mins, 'minute')}${unit(secs, 'second')}`;
}

/**
 * When Apache last restarted as seen at NOW: Debian's logrotate reloads it every night just after
 * midnight, so the last such reload (a few minutes past 00:00 UTC, fixed per install), and the
 * server-status page counts its uptime from there.
 */
function lastRestart(s: TrapSecrets, now: Date): Date {
  const past = 60 + (createHash('sha256').update(`${s.appKey}\0restart`).digest().readUInt16BE(0) % 240);
  const today = Math.floor(now.getTime() / DAY_MS) * DAY_MS + past * 1000;
  return new Date(today <= now.getTime() ? today : today - DAY_MS);
}

/** The trap page at PATH, or undefined (NOW for the generated pages' clocks). */
export function trapPage(path: string, s: TrapSecrets, host: string, product: string, now = new Date()): Page | undefined {
  const page = trapContent(path, s, host, product, now);
  // The dumps and dotfiles are files on disk, served by the web server itself; phpinfo and server-status are generated.
  return page && STATIC_TRAPS.has(path) ? { ...page, file: fileTime(s, path) } : page;
}

const STATIC_TRAPS = new Set(['/.env', '/.git/config', '/backup.sql', '/wp-config.php.bak']);

function trapContent(path: string, s: TrapSecrets, host: string, product: string, now: Date): Page | undefined {
  switch (path) {
    case '/.env':
      return {
        status: 200,
        body: `APP_NAME=Laravel\nAPP_ENV=production\nAPP_KEY=${s.appKey}\nAPP_DEBUG=false\nAPP_URL=https://${host}\n\nLOG_CHANNEL=stack\nLOG_LEVEL=error\n\nDB_CONNECTION=mysql\nDB_HOST=127.0.0.1\nDB_PORT=3306\nDB_DATABASE=${s.dbName}\nDB_USERNAME=${s.dbUser}\nDB_PASSWORD=${s.dbPassword}\n\nBROADCAST_DRIVER=log\nCACHE_DRIVER=file\nQUEUE_CONNECTION=sync\nSESSION_DRIVER=file\nSESSION_LIFETIME=120\n\nMAIL_MAILER=smtp\nMAIL_HOST=smtp.${host.replace(/^www\./, '')}\nMAIL_PORT=587\nMAIL_USERNAME=noreply@${host.replace(/^www\./, '')}\nMAIL_PASSWORD=${s.mailPassword}\nMAIL_ENCRYPTION=tls\n\nAWS_ACCESS_KEY_ID=${s.awsKeyId}\nAWS_SECRET_ACCESS_KEY=${s.awsSecret}\nAWS_DEFAULT_REGION=eu-west-1\nAWS_BUCKET=${s.dbName.replace(/_/g, '-')}-uploads\n`,
      };
    case '/.git/config':
      return {
        status: 200,
        body: `[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = false\n\tlogallrefupdates = true\n[remote "origin"]\n\turl = https://deploy-bot:${s.gitToken}@github.com/${s.dbName.replace(/_prod$/, '')}/website.git\n\tfetch = +refs/heads/*:refs/remotes/origin/*\n[branch "main"]\n\tremote = origin\n\tmerge = refs/heads/main\n`,
      };
    case '/backup.sql': {
      const rows = [
        `(1,'${s.adminUser}','admin@${host.replace(/^www\./, '')}','${md5(s.adminPassword)}','2019-03-04 10:12:55')`,
        ...s.users.map((u, i) => `(${i + 2},'${u.name}','${u.email}','${md5(u.password)}','202${i}-0${i + 1}-1${i} 0${i}:2${i}:00')`),
      ];
      return {
        status: 200,
        type: 'application/sql',
        body: `-- MySQL dump 10.13  Distrib 8.0.36, for Linux (x86_64)\n--\n-- Host: localhost    Database: ${s.dbName}\n-- ------------------------------------------------------\n-- Server version\t8.0.36-0ubuntu0.22.04.1\n\n/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;\n/*!50503 SET NAMES utf8mb4 */;\n\n--\n-- Table structure for table \`users\`\n--\n\nDROP TABLE IF EXISTS \`users\`;\nCREATE TABLE \`users\` (\n  \`id\` int unsigned NOT NULL AUTO_INCREMENT,\n  \`username\` varchar(64) NOT NULL,\n  \`email\` varchar(255) NOT NULL,\n  \`password\` char(32) NOT NULL,\n  \`created_at\` datetime NOT NULL,\n  PRIMARY KEY (\`id\`),\n  UNIQUE KEY \`username\` (\`username\`)\n) ENGINE=InnoDB AUTO_INCREMENT=${rows.length + 1} DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_0900_ai_ci;\n\nLOCK TABLES \`users\` WRITE;\nINSERT INTO \`users\` VALUES ${rows.join(',')};\nUNLOCK TABLES;\n\n-- Dump completed on 2024-02-11  3:00:01\n`,
      };
    }
    case '/wp-config.php.bak':
      return {
        status: 200,
        body: `<?php\n/**\n * The base configuration for WordPress\n *\n * @package WordPress\n */\n\n// ** Database settings - You can get this info from your web host ** //\n/** The name of the database for WordPress */\ndefine( 'DB_NAME', '${s.dbName}' );\n\n/** Database username */\ndefine( 'DB_USER', '${s.dbUser}' );\n\n/** Database password */\ndefine( 'DB_PASSWORD', '${s.dbPassword}' );\n\n/** Database hostname */\ndefine( 'DB_HOST', 'localhost' );\n\ndefine( 'DB_CHARSET', 'utf8mb4' );\ndefine( 'DB_COLLATE', '' );\n\ndefine( 'AUTH_KEY',         '${s.appKey.slice(7, 39)}' );\n\n$table_prefix = 'wp_';\n\ndefine( 'WP_DEBUG', false );\n\nif ( ! defined( 'ABSPATH' ) ) {\n\tdefine( 'ABSPATH', __DIR__ . '/' );\n}\n\nrequire_once ABSPATH . 'wp-settings.php';\n`,
      };
    case '/phpinfo.php': {
      const row = (k: string, v: string): string => `<tr><td class="e">${k} </td><td class="v">${v} </td></tr>\n`;
      return {
        status: 200,
        type: 'text/html; charset=UTF-8',
        body: `<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "DTD/xhtml1-transitional.dtd">\n<html xmlns="http://www.w3.org/1999/xhtml"><head>\n<meta http-equiv="Content-Type" content="text/html; charset=utf-8" />\n<title>PHP 8.2.7 - phpinfo()</title><meta name="ROBOTS" content="NOINDEX,NOFOLLOW,NOARCHIVE" /></head>\n<body><div class="center">\n<table>\n<tr class="h"><td>\n<h1 class="p">PHP Version 8.2.7</h1>\n</td></tr>\n</table>\n<table>\n${row('System', `Linux ${host} 6.1.0-18-amd64 #1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01) x86_64`)}${row('Server API', 'Apache 2.0 Handler')}${row('Loaded Configuration File', '/etc/php/8.2/apache2/php.ini')}</table>\n<h2>Environment</h2>\n<table>\n<tr class="h"><th>Variable</th><th>Value</th></tr>\n${row('APACHE_RUN_USER', 'www-data')}${row('DB_USERNAME', s.dbUser)}${row('DB_PASSWORD', s.dbPassword)}${row('AWS_ACCESS_KEY_ID', s.awsKeyId)}</table>\n<h2>PHP Variables</h2>\n<table>\n${row("$_SERVER['SERVER_SOFTWARE']", product)}${row("$_SERVER['SERVER_NAME']", host)}${row("$_SERVER['DOCUMENT_ROOT']", '/var/www/html')}</table>\n</div></body></html>\n`,
      };
    }
    case '/server-status': {
      const restart = lastRestart(s, now);
      return {
        status: 200,
        type: 'text/html; charset=ISO-8859-1',
        body: `<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 3.2 Final//EN">\n<html><head>\n<title>Apache Status</title>\n</head><body>\n<h1>Apache Server Status for ${host} (via 127.0.0.1)</h1>\n\n<dl><dt>Server Version: ${product} OpenSSL/3.0.11</dt>\n<dt>Server MPM: event</dt>\n<dt>Server Built: 2024-07-17T18:57:26\n</dt></dl><hr /><dl>\n<dt>Current Time: ${apacheStatusTime(now)}</dt>\n<dt>Restart Time: ${apacheStatusTime(restart)}</dt>\n<dt>Server uptime: ${apacheUptime(Math.floor((now.getTime() - restart.getTime()) / 1000))}</dt>\n<dt>Total accesses: 182734 - Total Traffic: 2.1 GB</dt>\n<dt>3 requests currently being processed, 72 idle workers</dt>\n</dl>\n<table border="0"><tr><th>Srv</th><th>PID</th><th>Acc</th><th>M</th><th>Client</th><th>Protocol</th><th>VHost</th><th>Request</th></tr>\n<tr><td><b>0-0</b></td><td>1184</td><td>0/312/4410</td><td><b>W</b></td><td>10.20.4.17</td><td>http/1.1</td><td nowrap>${host}:443</td><td nowrap>GET ${s.adminPath}backup/export?token=${s.gitToken.slice(4, 20)} HTTP/1.1</td></tr>\n<tr><td><b>1-0</b></td><td>1185</td><td>0/288/3921</td><td><b>K</b></td><td>10.20.4.31</td><td>http/1.1</td><td nowrap>intranet.${host.replace(/^www\./, '')}:80</td><td nowrap>GET /server-status HTTP/1.1</td></tr>\n</table>\n</body></html>\n`,
      };
    }
    default:
      return undefined;
  }
}
