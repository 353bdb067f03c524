// The source a per-source limit counts against: the address, or its /64 for IPv6 (one host is
// usually given a whole /64, so per-address limits would let it rotate through 2^64 addresses).
// Shared by the sensors' limits, the hpfeeds input, the collector's ingest endpoint and the dashboard's
// connection and login limits (here in events, which all of them may import; sensors may not import src/enrich).
import { isIP, type Server, type Socket } from 'node:net';
import { normaliseIp } from './emitter.js';

/** The leading 64 bits of IPv6 address IP (one isIP accepts, no zone), as four 16-bit groups. */
function ipv6Prefix64(ip: string): number[] {
  const [head = '', tail] = ip.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  // An embedded IPv4 tail (::ffff:1.2.3.4, 64:ff9b::1.2.3.4) fills two groups.
  const tailGroups = t.length + (t.length > 0 && t[t.length - 1]!.includes('.') ? 1 : 0);
  const groups = tail === undefined ? h : [...h, ...Array<string>(Math.max(0, 8 - h.length - tailGroups)).fill('0'), ...t];
  return groups.slice(0, 4).map((g) => parseInt(g, 16) || 0);
}

/** The last address asked about and its key: a session's events come one after another from one address. */
let lastAddress = '';
let lastKey = '';

/** ADDRESS (IPv4-mapped IPv6 as IPv4) as is, or "a:b:c:d::/64" for IPv6. Never throws. */
export function sourceKey(address: string): string {
  if (address === lastAddress) return lastKey;
  const ip = normaliseIp(address.replace(/%.*$/s, ''));
  const key = isIP(ip) !== 6 ? ip : `${ipv6Prefix64(ip).map((g) => g.toString(16)).join(':')}::/64`;
  lastAddress = address;
  lastKey = key;
  return key;
}

/**
 * How many of something (open connections, unauthenticated ones, bytes held) each source holds, keyed
 * by sourceKey; a source's entry goes when its count does. The sensors' connection gate, the hpfeeds
 * input, the collector's ingest endpoint, the dashboard and the sensors' shared byte budgets count with it.
 */
export class SourceCounts {
  private readonly counts = new Map<string, number>();

  /** What the source of ADDRESS holds. */
  of(address: string): number {
    return this.counts.get(sourceKey(address)) ?? 0;
  }

  add(address: string, n = 1): void {
    const key = sourceKey(address);
    this.counts.set(key, (this.counts.get(key) ?? 0) + n);
  }

  remove(address: string, n = 1): void {
    const key = sourceKey(address);
    const left = (this.counts.get(key) ?? 0) - n;
    if (left > 0) this.counts.set(key, left);
    else this.counts.delete(key);
  }
}

/**
 * Closes each connection SERVER accepts from a source that already holds MAX open ones, as it comes:
 * 'connection' comes with the TCP socket, before any TLS or HTTP work. A connection's count goes when
 * it closes. The collector's ingest endpoint and the dashboard cap their sources with it.
 */
export function capConnectionsPerSource(server: Server, max: number): void {
  const open = new SourceCounts();
  server.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress ?? '';
    if (open.of(address) >= max) return void socket.destroy();
    open.add(address);
    socket.once('close', () => open.remove(address));
  });
}
