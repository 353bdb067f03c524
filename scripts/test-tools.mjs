// Pretest: makes sure the real attack tools the tests drive are installed. As root it installs the
// missing Debian packages itself; otherwise it stops and says what to install. No test is skipped.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';

// command -> Debian package
const TOOLS = {
  ssh: 'openssh-client',
  sshpass: 'sshpass',
  hydra: 'hydra',
  sshd: 'openssh-server',
  nmap: 'nmap',
  curl: 'curl',
  chromium: 'chromium',
  whatweb: 'whatweb',
  nginx: 'nginx-light',
  ftp: 'ftp',
  lftp: 'lftp',
  tftp: 'tftp-hpa',
  svmap: 'sipvicious',
  sipp: 'sip-tester',
  wrk: 'wrk', // bench/http-bench.ts
  mariadb: 'mariadb-client',
  tsql: 'freetds-bin',
  mariadbd: 'mariadb-server', // bench/mysql-bench.ts measures against it
  smbclient: 'smbclient',
  'impacket-samrdump': 'python3-impacket',
  smbd: 'samba',
  telnet: 'telnet',
  tmux: 'tmux',
  initdb: 'postgresql', // test/helpers/pg-server.ts starts a throwaway server per test file
  ip: 'iproute2', // test/helpers/netns.ts builds the honeynet topology test's network
  unzip: 'unzip', // the dashboard test opens the malware archive with its password
  ps: 'procps',
};

function has(cmd) {
  if (cmd === 'sshd') return existsSync('/usr/sbin/sshd');
  if (cmd === 'smbd') return existsSync('/usr/sbin/smbd');
  if (cmd === 'initdb') return existsSync('/usr/lib/postgresql') && readdirSync('/usr/lib/postgresql').some((v) => existsSync(`/usr/lib/postgresql/${v}/bin/initdb`));
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

const missing = Object.entries(TOOLS).filter(([cmd]) => !has(cmd));
if (missing.length === 0) process.exit(0);
const pkgs = [...new Set(missing.map(([, p]) => p))];
if (process.getuid?.() !== 0) {
  console.error(`tests need these Debian packages: ${pkgs.join(' ')}\ninstall them with: sudo apt-get install -y ${pkgs.join(' ')}`);
  process.exit(1);
}
console.log(`installing test tools: ${pkgs.join(' ')}`);
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...pkgs], { stdio: 'inherit', env });
const still = Object.keys(TOOLS).filter((c) => !has(c));
if (still.length) {
  console.error(`still missing after install: ${still.join(' ')}`);
  process.exit(1);
}
