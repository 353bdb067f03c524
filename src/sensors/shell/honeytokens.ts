// Plants decoy credentials where attackers look (/root/.my.cnf, .bash_history, a web app's .env and
// config.php) and describes each one as a Honeytoken so its later use can be recognised.
import { createHash } from 'node:crypto';
import type { Honeytoken, HoneytokenKind } from '../../events/honeytokens.js';
import { SeededRandom, type SystemProfile } from './profile.js';

export interface HoneytokenConfig {
  kind: HoneytokenKind;
  username: string;
  secret: string;
  host?: string | undefined;
}

function tokenId(kind: string, username: string, secret: string): string {
  return createHash('sha256').update(`${kind}\0${username}\0${secret}`).digest('hex').slice(0, 16);
}

/** Passwords that look chosen by a tired administrator, not by a generator. */
function humanPassword(rng: SeededRandom): string {
  const words = ['Summer', 'Winter', 'Dragon', 'Falcon', 'Pepper', 'Monkey', 'Sunshine', 'Rocket', 'Tiger', 'Orange', 'Shadow', 'Mustang'];
  return `${rng.pick(words)}${rng.int(10, 2029)}${rng.pick(['!', '#', '$', '.', '@', ''])}`;
}

/** The default decoys for PROFILE: a MySQL root password, an SSH password for a neighbour host, an app DB user. */
export function defaultHoneytokens(p: SystemProfile): HoneytokenConfig[] {
  const rng = new SeededRandom(`honeytokens:${p.seed}`);
  const subnet = p.net.ipv4.split('.').slice(0, 3).join('.');
  const neighbour = `${subnet}.${rng.int(2, 9)}`;
  const app = rng.pick(['shop', 'crm', 'wp', 'portal', 'billing']);
  return [
    { kind: 'mysql', username: 'root', secret: humanPassword(rng), host: 'localhost' },
    { kind: 'ssh', username: p.admin.name, secret: humanPassword(rng), host: neighbour },
    { kind: 'app_db', username: `${app}_user`, secret: `${rng.hex(6)}${humanPassword(rng)}`, host: `db.${p.domain}` },
  ];
}

export interface PlantedFile {
  path: string;
  content: string;
  mode: number;
  uid: number;
}

/** The files carrying TOKENS, and the tokens with where they went. Appends history lines to HISTORY. */
export function plantHoneytokens(p: SystemProfile, tokens: readonly HoneytokenConfig[]): { files: PlantedFile[]; history: string[]; tokens: Honeytoken[] } {
  const files: PlantedFile[] = [];
  const history: string[] = [];
  const planted: Honeytoken[] = [];
  for (const t of tokens) {
    const locations: string[] = [];
    switch (t.kind) {
      case 'mysql':
        files.push({ path: '/root/.my.cnf', mode: 0o600, uid: 0, content: `[client]\nuser=${t.username}\npassword=${t.secret}\nhost=${t.host ?? 'localhost'}\n` });
        history.push(`mysql -u ${t.username} -p${t.secret}`);
        locations.push('/root/.my.cnf', '/root/.bash_history');
        break;
      case 'ssh':
        history.push(`ssh ${t.username}@${t.host ?? 'localhost'}`, `sshpass -p '${t.secret}' ssh ${t.username}@${t.host ?? 'localhost'} uptime`);
        locations.push('/root/.bash_history');
        break;
      case 'app_db': {
        const app = t.username.replace(/_user$/, '') || 'app';
        files.push({
          path: `/var/www/${app}/.env`,
          mode: 0o640,
          uid: 33,
          content: `APP_NAME=${app}\nAPP_ENV=production\nAPP_DEBUG=false\nAPP_URL=https://${app}.example.com\n\nDB_CONNECTION=mysql\nDB_HOST=${t.host ?? '127.0.0.1'}\nDB_PORT=3306\nDB_DATABASE=${app}\nDB_USERNAME=${t.username}\nDB_PASSWORD=${t.secret}\n\nCACHE_DRIVER=redis\nSESSION_DRIVER=redis\nREDIS_HOST=127.0.0.1\n`,
        });
        files.push({
          path: '/var/www/html/config.php',
          mode: 0o640,
          uid: 33,
          content: `<?php\n// Database settings\ndefine('DB_HOST', '${t.host ?? 'localhost'}');\ndefine('DB_NAME', '${app}');\ndefine('DB_USER', '${t.username}');\ndefine('DB_PASSWORD', '${t.secret}');\ndefine('DB_CHARSET', 'utf8mb4');\n\n$table_prefix = '${app}_';\n`,
        });
        locations.push(`/var/www/${app}/.env`, '/var/www/html/config.php');
        break;
      }
      case 'api_key':
        files.push({ path: '/root/.aws/credentials', mode: 0o600, uid: 0, content: `[default]\naws_access_key_id = ${t.username}\naws_secret_access_key = ${t.secret}\n` });
        locations.push('/root/.aws/credentials');
        break;
    }
    planted.push({ id: tokenId(t.kind, t.username, t.secret), kind: t.kind, username: t.username, secret: t.secret, ...(t.host ? { host: t.host } : {}), locations });
  }
  return { files, history, tokens: planted };
}
