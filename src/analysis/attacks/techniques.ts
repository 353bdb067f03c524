// MITRE ATT&CK techniques Apiary tags attacker steps with, and the command patterns that reveal them.
// Pure data and string tests: no I/O, nothing here throws on any input.

export const TECHNIQUES = {
  T1595: 'Active Scanning',
  T1046: 'Network Service Discovery',
  'T1110.001': 'Brute Force: Password Guessing',
  'T1110.003': 'Brute Force: Password Spraying',
  T1078: 'Valid Accounts',
  T1190: 'Exploit Public-Facing Application',
  T1210: 'Exploitation of Remote Services',
  'T1059.004': 'Command and Scripting Interpreter: Unix Shell',
  T1082: 'System Information Discovery',
  T1033: 'System Owner/User Discovery',
  T1057: 'Process Discovery',
  T1016: 'System Network Configuration Discovery',
  T1105: 'Ingress Tool Transfer',
  'T1053.003': 'Scheduled Task/Job: Cron',
  'T1098.004': 'Account Manipulation: SSH Authorized Keys',
  'T1548.003': 'Abuse Elevation Control Mechanism: Sudo and Sudo Caching',
  T1068: 'Exploitation for Privilege Escalation',
  'T1070.003': 'Indicator Removal: Clear Command History',
  'T1070.002': 'Indicator Removal: Clear Linux or Mac System Logs',
  'T1552.001': 'Unsecured Credentials: Credentials In Files',
  T1090: 'Proxy',
  T1496: 'Resource Hijacking',
  T1498: 'Network Denial of Service',
} as const;

export type TechniqueId = keyof typeof TECHNIQUES;

export function techniqueName(id: string): string {
  return (TECHNIQUES as Record<string, string>)[id] ?? id;
}

/**
 * The name ATT&CK's own objects give technique ID: a sub-technique's without its parent's ("Unix Shell"
 * for T1059.004), as MITRE's STIX data and MISP's mitre-attack-pattern galaxy name them.
 */
export function attackObjectName(id: string): string {
  const name = techniqueName(id);
  const sub = name.indexOf(': ');
  return id.includes('.') && sub >= 0 ? name.slice(sub + 2) : name;
}

/** Techniques a command line shows, by pattern; the first pattern of each entry that matches wins. */
export const COMMAND_TECHNIQUES: readonly { id: TechniqueId; re: RegExp }[] = [
  { id: 'T1082', re: /\b(uname|lscpu|nproc|hostnamectl|dmidecode)\b|\/proc\/(cpuinfo|meminfo|version)|\bcat\s+\/etc\/(issue|os-release)|\bfree\s+-[a-z]*m/ },
  { id: 'T1033', re: /(^|[;&|\s])(whoami|id|w|who|last)(\s|$|[;&|])/ },
  { id: 'T1057', re: /(^|[;&|\s])(ps|top|pgrep|htop)(\s|$|[;&|])/ },
  { id: 'T1016', re: /\b(ifconfig|netstat|route|arp|iptables\s+-L|ip\s+(a|addr|r|route|link))\b/ },
  { id: 'T1105', re: /\b(wget|curl|tftp|ftpget|scp|lwp-download|fetch)\b/ },
  { id: 'T1053.003', re: /\bcrontab\b|\/etc\/cron|\/var\/spool\/cron/ },
  { id: 'T1098.004', re: /authorized_keys/ },
  { id: 'T1548.003', re: /(^|[;&|\s])(sudo|su)(\s|$)/ },
  { id: 'T1068', re: /\b(dirtycow|dirty_?pipe|pwnkit|cve-20\d\d-\d+|overlayfs|exploit)\b|chmod\s+[ug]?\+s\b/i },
  { id: 'T1070.003', re: /\bhistory\s+-c\b|unset\s+HISTFILE|HISTSIZE=0|HISTFILE=\/dev\/null|(rm|shred)\b[^;&|]*\.(bash_|zsh_)?history|>\s*~?\/?[\w/.]*\.bash_history/ },
  { id: 'T1070.002', re: /(rm|shred|truncate)\b[^;&|]*\/var\/log|>\s*\/var\/log\/|journalctl\s+--vacuum|\bwtmp\b|\blastlog\b|\bbtmp\b/ },
  { id: 'T1552.001', re: /\b(cat|less|more|head|tail|grep|strings|vi|vim|nano)\b[^;&|]*(\.my\.cnf|\.env\b|wp-config\.php|config\.php|\/etc\/shadow|\.aws\/credentials|\.git-credentials|\.pgpass|id_rsa)/ },
];

/** Names of mining software, and pools, seen in commands, URLs and file names. */
export const MINER_RE = /\b(xmrig|xmr-stak|minerd|cpuminer|cgminer|bfgminer|ccminer|nheqminer|cryptonight|nicehash|kswapd0|kdevtmpfsi|donate-level|minergate|supportxmr|nanopool|2miners|moneroocean|hashvault|c3pool)\b|stratum\+(tcp|ssl|tls):\/\//i;
/** A mining pool address as a URL. */
export const STRATUM_RE = /stratum\+(?:tcp|ssl|tls):\/\/([A-Za-z0-9.-]{1,253}(?::\d{1,5})?)/gi;
/** Flooders and DoS bot families, Mirai-like droppers, IRC command-and-control. */
export const DOS_RE = /\b(udpflood|synflood|tcpflood|httpflood|ddos|hping3|slowloris|kaiten|tsunami|billgates|xorddos|mirai|gafgyt|bashlite|lizkebab|perlbot|stdbot|ecchi)\b|\/bin\/busybox\s+[A-Z]{4,8}\b|\b[a-z]+\.(x86|arm7?|mips|mpsl|m68k|sh4|ppc|spc)\b/i;
export const IRC_RE = /\birc\.[a-z0-9.-]+|:6667\b|\bPRIVMSG\b|\bNICK\s+\S+/i;
/** Proxy software, or SSH dynamic forwarding, set up by the attacker. */
export const PROXY_RE = /\b(3proxy|squid|dante|sockd|microsocks|ss5|tinyproxy|privoxy|shadowsocks|ssh\s+-[a-zA-Z]*D)\b/i;
/** Scanners and brute-forcers an attacker installs to attack others from here. */
export const SCANNER_RE = /\b(masscan|zmap|nmap|pnscan|zgrab2?|sshscan|ssh-scan|hydra|medusa|ncrack|brutessh|scanssh|\.\/scan|bruter)\b/i;
/** Backdoors and persistence beyond cron and keys. */
export const PERSISTENCE_RE = /\bcrontab\b|\/etc\/cron|authorized_keys|\/etc\/rc\.local|systemctl\s+enable|\/etc\/init\.d\/|chattr\s+\+i|\.bashrc|\/etc\/profile|useradd|adduser/;
/** Reading databases and credential stores. */
export const DATA_THEFT_RE = /\bmysqldump\b|\bpg_dump\b|\/etc\/shadow|\.my\.cnf|wp-config\.php|\.aws\/credentials|\.git-credentials|\bid_rsa\b/;
/** A SELECT over tables that hold people or credentials. */
export const SQL_THEFT_RE = /\bselect\b[\s\S]{0,400}\bfrom\s+[`"]?(?:\w+[`"]?\.[`"]?)?(users?|admins?|accounts?|customers?|members?|passwords?|credentials?|logins?|wp_users)\b/i;
