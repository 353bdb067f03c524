// ip (iproute2 6.1): addr, link, route for the profile's loopback and one Ethernet interface, with
// -4/-6 (and -f inet|inet6), -o (one line per record) and -br (brief) as iproute2 prints them.
import type { CommandDef, CommandContext } from '../types.js';
import { broadcastOf } from './ifconfig.js';

type Family = 'inet' | 'inet6';

interface Iface {
  idx: number;
  name: string;
  flags: string;
  mtu: number;
  qdisc: string;
  state: string;
  link: string;
  addrs: { family: Family; text: string }[];
}

interface Opts {
  family?: Family;
  oneline: boolean;
  brief: boolean;
}

const FOREVER = 'valid_lft forever preferred_lft forever';

function interfaces(ctx: CommandContext): Iface[] {
  const n = ctx.sh.profile.net;
  return [
    { idx: 1, name: 'lo', flags: 'LOOPBACK,UP,LOWER_UP', mtu: 65536, qdisc: 'noqueue', state: 'UNKNOWN', link: 'link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00', addrs: [{ family: 'inet', text: '127.0.0.1/8 scope host lo' }, { family: 'inet6', text: '::1/128 scope host noprefixroute ' }] },
    {
      idx: 2,
      name: n.iface,
      flags: 'BROADCAST,MULTICAST,UP,LOWER_UP',
      mtu: 1500,
      qdisc: 'fq_codel',
      state: 'UP',
      link: `link/ether ${n.mac} brd ff:ff:ff:ff:ff:ff`,
      addrs: [{ family: 'inet', text: `${n.ipv4}/${n.prefix} brd ${broadcastOf(n.ipv4, n.prefix)} scope global ${n.iface}` }, { family: 'inet6', text: `${n.ipv6LinkLocal}/64 scope link ` }],
    },
  ];
}

/** The header line; an IPv6-only listing leaves out the qdisc and group, as the kernel's AF_INET6 dump does. */
function header(i: Iface, family: Family | undefined, mode: boolean): string {
  if (family === 'inet6') return `${i.idx}: ${i.name}: <${i.flags}> mtu ${i.mtu} state ${i.state} qlen 1000`;
  return `${i.idx}: ${i.name}: <${i.flags}> mtu ${i.mtu} qdisc ${i.qdisc} state ${i.state}${mode ? ' mode DEFAULT' : ''} group default qlen 1000`;
}

function addrShow(list: Iface[], o: Opts): string {
  const addrs = (i: Iface): Iface['addrs'] => i.addrs.filter((a) => !o.family || a.family === o.family);
  if (o.family) list = list.filter((i) => addrs(i).length > 0);
  if (o.brief) return list.map((i) => `${i.name.padEnd(16)} ${i.state.padEnd(14)} ${addrs(i).map((a) => `${a.text.split(' ')[0]} `).join('')}\n`).join('');
  if (o.oneline) return list.flatMap((i) => addrs(i).map((a) => `${i.idx}: ${i.name}    ${a.family} ${a.text}\\       ${FOREVER}\n`)).join('');
  return list
    .map((i) => `${header(i, o.family, false)}\n${o.family ? '' : `    ${i.link}\n`}${addrs(i).map((a) => `    ${a.family} ${a.text}\n       ${FOREVER}\n`).join('')}`)
    .join('');
}

function linkShow(list: Iface[], o: Opts): string {
  if (o.brief) return list.map((i) => `${i.name.padEnd(16)} ${i.state.padEnd(14)} ${i.link.split(' ')[1]} <${i.flags}> \n`).join('');
  return list.map((i) => `${header(i, undefined, true)}${o.oneline ? '\\' : '\n'}    ${i.link}\n`).join('');
}

function routeShow(ctx: CommandContext, o: Opts): string {
  const n = ctx.sh.profile.net;
  if (o.family === 'inet6') return `fe80::/64 dev ${n.iface} proto kernel metric 256 pref medium\n`;
  const net = n.ipv4.split('.').map(Number);
  const base = ((net[0]! << 24) | (net[1]! << 16) | (net[2]! << 8) | net[3]!) & (n.prefix === 0 ? 0 : ~0 << (32 - n.prefix));
  const netAddr = [24, 16, 8, 0].map((s) => (base >>> s) & 255).join('.');
  return `default via ${n.gateway} dev ${n.iface} onlink \n${netAddr}/${n.prefix} dev ${n.iface} proto kernel scope link src ${n.ipv4} \n`;
}

/** Selects the interfaces `show [dev] NAME` names; a message when there is no such device. */
function select(ctx: CommandContext, args: string[]): Iface[] | string {
  const all = interfaces(ctx);
  const words = args.filter((a) => !['show', 'list', 'ls', 'lst', 'sh', 'dev', 'up'].includes(a));
  const name = words[0];
  if (name === undefined) return all;
  const one = all.filter((i) => i.name === name);
  return one.length ? one : `Device "${name}" does not exist.\n`;
}

/** Subcommands that change the configuration rather than show it. */
const CHANGES = ['add', 'del', 'delete', 'set', 'flush', 'change', 'replace'];

const USAGE = 'Usage: ip [ OPTIONS ] OBJECT { COMMAND | help }\n       ip [ -force ] -batch filename\nwhere  OBJECT := { address | addrlabel | amt | fou | help | ila | ioam | l2tp | link |\n                   macsec | maddress | monitor | mptcp | mroute | mrule |\n                   neighbor | neighbour | netconf | netns | nexthop | ntable |\n                   ntbl | route | rule | sr | tap | tcpmetrics |\n                   token | tunnel | tuntap | vrf | xfrm }\n       OPTIONS := { -V[ersion] | -s[tatistics] | -d[etails] | -r[esolve] |\n                    -h[uman-readable] | -iec | -j[son] | -p[retty] |\n                    -f[amily] { inet | inet6 | mpls | bridge | link } |\n                    -4 | -6 | -M | -B | -0 |\n                    -l[oops] { maximum-addr-flush-attempts } | -br[ief] |\n                    -o[neline] | -t[imestamp] | -ts[hort] | -b[atch] [filename] |\n                    -rc[vbuf] [size] | -n[etns] name | -N[umeric] | -a[ll] |\n                    -c[olor]}\n';

export const ip: CommandDef = {
  names: ['ip'],
  run(ctx) {
    const o: Opts = { oneline: false, brief: false };
    const args = [...ctx.args];
    while (args[0]?.startsWith('-')) {
      const a = args.shift()!.replace(/^--?/, '-');
      if (a === '-4') o.family = 'inet';
      else if (a === '-6') o.family = 'inet6';
      else if (a === '-o' || a === '-oneline') o.oneline = true;
      else if (a === '-br' || a === '-brief') o.brief = true;
      else if (a === '-f' || a === '-family') {
        const f = args.shift();
        if (f === 'inet' || f === 'inet6') o.family = f;
      } else if (a === '-V' || a === '-Version') {
        ctx.out('ip utility, iproute2-6.1.0, libbpf 1.1.2\n');
        return 0;
      }
    }
    const obj = args.shift() ?? '';
    const is = (full: string, min = 1): boolean => obj.length >= min && full.startsWith(obj);
    if (is('address') || is('link') || is('route')) {
      if (CHANGES.includes(args[0] ?? '')) {
        // Taken (and not applied) for root; refused by the kernel for anyone else.
        if (ctx.sh.user.uid === 0) return 0;
        ctx.err('RTNETLINK answers: Operation not permitted\n');
        return 2;
      }
      if (is('route')) {
        ctx.out(routeShow(ctx, o));
        return 0;
      }
      const list = select(ctx, args);
      if (typeof list === 'string') {
        ctx.err(list);
        return 1;
      }
      ctx.out(is('link') ? linkShow(list, o) : addrShow(list, o));
      return 0;
    }
    if (obj === '' || obj === 'help') {
      ctx.err(USAGE);
      return obj === '' ? 255 : 0;
    }
    ctx.err(`Object "${obj}" is unknown, try "ip help".\n`);
    return 1;
  },
};
