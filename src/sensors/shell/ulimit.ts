// bash 5.2's ulimit builtin on Linux: the 17 resource limits of a Debian 12 login under systemd
// (open files 1024 soft, 524288 hard; pending signals and max user processes from the memory size,
// as the kernel derives them), printed with bash's layout and settable within the hard limit.

/** One resource as bash's ulimit shows it. */
interface Resource {
  opt: string;
  description: string;
  units?: string;
}

const RESOURCES: readonly Resource[] = [
  { opt: 'R', description: 'real-time non-blocking time', units: 'microseconds' },
  { opt: 'c', description: 'core file size', units: 'blocks' },
  { opt: 'd', description: 'data seg size', units: 'kbytes' },
  { opt: 'e', description: 'scheduling priority' },
  { opt: 'f', description: 'file size', units: 'blocks' },
  { opt: 'i', description: 'pending signals' },
  { opt: 'l', description: 'max locked memory', units: 'kbytes' },
  { opt: 'm', description: 'max memory size', units: 'kbytes' },
  { opt: 'n', description: 'open files' },
  { opt: 'p', description: 'pipe size', units: '512 bytes' },
  { opt: 'q', description: 'POSIX message queues', units: 'bytes' },
  { opt: 'r', description: 'real-time priority' },
  { opt: 's', description: 'stack size', units: 'kbytes' },
  { opt: 't', description: 'cpu time', units: 'seconds' },
  { opt: 'u', description: 'max user processes' },
  { opt: 'v', description: 'virtual memory', units: 'kbytes' },
  { opt: 'x', description: 'file locks' },
];

/** A limit in the resource's units; undefined is unlimited. */
type Value = number | undefined;
export interface Limit {
  soft: Value;
  hard: Value;
}

/** The most open files a process may have (fs.nr_open): not even root sets more. */
const NR_OPEN = 1_048_576;
const USAGE = 'ulimit: usage: ulimit [-SHabcdefiklmnpqrstuvxPRT] [limit]\n';

/** The limits a fresh login starts with on a machine of MEM_KB: RLIMIT_NPROC is totalram_pages / 64 on x86_64. */
export function defaultLimits(memKb: number): Map<string, Limit> {
  const nproc = Math.floor(memKb / 4 / 64);
  const both = (v: Value): Limit => ({ soft: v, hard: v });
  return new Map<string, Limit>([
    ['R', both(undefined)],
    ['c', { soft: 0, hard: undefined }],
    ['d', both(undefined)],
    ['e', both(0)],
    ['f', both(undefined)],
    ['i', both(nproc)],
    ['l', both(8192)],
    ['m', both(undefined)],
    ['n', { soft: 1024, hard: 524_288 }],
    ['p', both(8)],
    ['q', both(819_200)],
    ['r', both(0)],
    ['s', { soft: 8192, hard: undefined }],
    ['t', both(undefined)],
    ['u', both(nproc)],
    ['v', both(undefined)],
    ['x', both(undefined)],
  ]);
}

const show = (v: Value): string => (v === undefined ? 'unlimited' : String(v));
const above = (a: Value, b: Value): boolean => b !== undefined && (a === undefined || a > b);

/** `ulimit ARGS` against LIMITS (changed in place) for a user who is ROOT or not; PREFIX begins an error ("-bash"). */
export function ulimitBuiltin(limits: Map<string, Limit>, args: readonly string[], root: boolean, prefix: string): { out: string; err: string; status: number } {
  let hard = false;
  let soft = false;
  let all = false;
  const opts: string[] = [];
  let value: string | undefined;
  for (const a of args) {
    if (a.startsWith('-') && a.length > 1 && value === undefined) {
      for (const c of a.slice(1)) {
        if (c === 'H') hard = true;
        else if (c === 'S') soft = true;
        else if (c === 'a') all = true;
        else if (RESOURCES.some((r) => r.opt === c)) opts.push(c);
        else return { out: '', err: `${prefix}: ulimit: -${c}: invalid option\n${USAGE}`, status: 2 };
      }
    } else if (value === undefined) value = a;
    else return { out: '', err: `${prefix}: ulimit: ${a}: invalid number\n`, status: 1 };
  }
  const which = (l: Limit): Value => (hard && !soft ? l.hard : l.soft);
  const line = (r: Resource): string => `${r.description.padEnd(20)} ${`(${r.units ? `${r.units}, ` : ''}-${r.opt}) `.padStart(20)}${show(which(limits.get(r.opt)!))}\n`;
  if (all) return { out: RESOURCES.map(line).join(''), err: '', status: 0 };
  if (opts.length === 0) opts.push('f');
  if (value === undefined) {
    const out = opts.length === 1 ? `${show(which(limits.get(opts[0]!)!))}\n` : opts.map((o) => line(RESOURCES.find((r) => r.opt === o)!)).join('');
    return { out, err: '', status: 0 };
  }
  for (const o of opts) {
    const cur = limits.get(o)!;
    const r = RESOURCES.find((x) => x.opt === o)!;
    let v: Value;
    if (value === 'unlimited') v = undefined;
    else if (value === 'hard') v = cur.hard;
    else if (value === 'soft') v = cur.soft;
    else if (/^\d{1,15}$/.test(value)) v = Number(value);
    else return { out: '', err: `${prefix}: ulimit: ${value}: invalid number\n`, status: 1 };
    const next: Limit = { soft: hard && !soft ? cur.soft : v, hard: soft && !hard ? cur.hard : v };
    const refused = (!root && above(next.hard, cur.hard)) || (o === 'n' && above(next.hard, NR_OPEN)) ? 'Operation not permitted' : above(next.soft, next.hard) ? 'Invalid argument' : undefined;
    if (refused) return { out: '', err: `${prefix}: ulimit: ${r.description}: cannot modify limit: ${refused}\n`, status: 1 };
    limits.set(o, next);
  }
  return { out: '', err: '', status: 0 };
}
