// Small text filters attackers chain after cat and grep: cut, sort, uniq, tr, tee, basename, dirname, seq, yes, rev.
import type { CommandDef } from '../types.js';
import { lines, mergeRanges, parseOpts, readInputs } from './util.js';
import { trimTrailing } from '../../../wire/text.js';

/**
 * Most ranges one cut list may hold; past it cut fails as when out of memory. Each range used to be
 * tried for every character: 524,288 ranges on 1000 characters took 6.2 s.
 */
export const MAX_CUT_RANGES = 4096;

/** One item of a cut list ("N", "N-", "-M", "N-M") as [first, last]; a malformed one is [1, 1]. */
function cutRange(r: string): [number, number] {
  // Split at the dash and test each side: /^(\d*)(-?)(\d*)$/ was quadratic on a long item.
  const dash = r.indexOf('-');
  const left = dash < 0 ? r : r.slice(0, dash);
  const right = dash < 0 ? '' : r.slice(dash + 1);
  if (!/^\d*$/.test(left) || !/^\d*$/.test(right)) return [1, 1];
  const a = left ? Number(left) : 1;
  return [a, dash < 0 ? a : right ? Number(right) : Infinity];
}

/** The items (1-based) of ITEMS within RANGES (disjoint, ascending), in order: O(output + ranges used). */
function pickRanges<T>(items: T[], ranges: [number, number][]): T[] {
  const out: T[] = [];
  for (const [a, b] of ranges) {
    if (a > items.length) break;
    for (let i = Math.max(a, 1); i <= Math.min(b, items.length); i++) out.push(items[i - 1]!);
  }
  return out;
}

export const cut: CommandDef = {
  names: ['cut'],
  run(ctx) {
    const o = parseOpts(ctx.args, ['d', 'f', 'c', 'b']);
    const spec = o.values.get('f') ?? o.values.get('c') ?? o.values.get('b');
    if (spec === undefined) {
      ctx.err("cut: you must specify a list of bytes, characters, or fields\nTry 'cut --help' for more information.\n");
      return 1;
    }
    if (countOf(spec, ',') >= MAX_CUT_RANGES) {
      ctx.err('cut: memory exhausted\n');
      return 1;
    }
    const ranges = mergeRanges(spec.split(',').map(cutRange));
    const delim = o.values.get('d') ?? '\t';
    const { inputs, status } = readInputs(ctx, 'cut', o.rest);
    for (const inp of inputs)
      for (const l of lines(inp.data.toString('utf8'))) {
        if (o.values.has('f')) {
          if (!l.includes(delim)) {
            if (!o.flags.has('s')) ctx.out(`${l}\n`);
            continue;
          }
          ctx.out(`${pickRanges(l.split(delim), ranges).join(delim)}\n`);
        } else ctx.out(`${pickRanges([...l], ranges).join('')}\n`);
      }
    return status;
  },
};

/** How many times the character C occurs in S. */
function countOf(s: string, c: string): number {
  let n = 0;
  for (let i = s.indexOf(c); i >= 0; i = s.indexOf(c, i + 1)) n++;
  return n;
}

/**
 * Most lines sort takes. Sorting is one synchronous call that no line budget can stop, and a 4 MiB
 * pipe of short lines (two million of them) held the event loop for seconds; past this sort fails as
 * GNU sort does when it cannot get memory.
 */
export const MAX_SORT_LINES = 200_000;

export const sort: CommandDef = {
  names: ['sort'],
  run(ctx) {
    const o = parseOpts(ctx.args, ['k', 't']);
    const { inputs, status } = readInputs(ctx, 'sort', o.rest);
    let all = inputs.flatMap((i) => lines(i.data.toString('utf8')));
    if (all.length > MAX_SORT_LINES) {
      ctx.err('sort: memory exhausted\n');
      return 2;
    }
    // Each line's key is found once, not at every comparison.
    const key = sortKey(o.values.get('k'), o.values.get('t'));
    if (o.flags.has('n') || o.flags.has('h')) {
      const keyed = all.map((l) => ({ l, k: parseFloat(key(l)) || 0 }));
      all = keyed.sort((a, b) => a.k - b.k).map((x) => x.l);
    } else {
      const keyed = all.map((l) => ({ l, k: key(l) }));
      all = keyed.sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : 0)).map((x) => x.l);
    }
    if (o.flags.has('r')) all.reverse();
    if (o.flags.has('u')) all = [...new Set(all)];
    ctx.out(all.map((l) => `${l}\n`).join(''));
    return status;
  },
};

/** The sort key of a line for -k FIELD[,...] and -t SEP (the whole line without -k). */
function sortKey(k: string | undefined, sep: string | undefined): (l: string) => string {
  if (k === undefined) return (l) => l;
  const field = Number(k.split(',')[0]) - 1;
  return (l) => (sep !== undefined ? l.split(sep) : l.trim().split(/\s+/))[field] ?? '';
}

export const uniq: CommandDef = {
  names: ['uniq'],
  run(ctx) {
    const o = parseOpts(ctx.args);
    const { inputs, status } = readInputs(ctx, 'uniq', o.rest.slice(0, 1));
    const ls = inputs.flatMap((i) => lines(i.data.toString('utf8')));
    const groups: { l: string; n: number }[] = [];
    for (const l of ls) {
      const last = groups[groups.length - 1];
      if (last && last.l === l) last.n++;
      else groups.push({ l, n: 1 });
    }
    for (const g of groups) {
      if (o.flags.has('d') && g.n < 2) continue;
      if (o.flags.has('u') && g.n > 1) continue;
      ctx.out(o.flags.has('c') ? `${String(g.n).padStart(7)} ${g.l}\n` : `${g.l}\n`);
    }
    return status;
  },
};

function expandSet(s: string): string {
  const classes: Record<string, string> = { '[:lower:]': 'abcdefghijklmnopqrstuvwxyz', '[:upper:]': 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', '[:digit:]': '0123456789', '[:space:]': ' \t\n\r\f\v', '[:alpha:]': 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ', '[:alnum:]': 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789' };
  let t = s;
  for (const [k, v] of Object.entries(classes)) t = t.split(k).join(v);
  t = t.replace(/\\n/g, '\n').replace(/\\t/g, '\t').replace(/\\r/g, '\r').replace(/\\([0-7]{1,3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8) & 0xff)).replace(/\\\\/g, '\\');
  let out = '';
  for (let i = 0; i < t.length && out.length < 4096; i++) {
    if (t[i + 1] === '-' && i + 2 < t.length) {
      for (let c = t.charCodeAt(i); c <= t.charCodeAt(i + 2) && out.length < 4096; c++) out += String.fromCharCode(c);
      i += 2;
    } else out += t[i];
  }
  return out;
}

export const tr: CommandDef = {
  names: ['tr'],
  run(ctx) {
    const o = parseOpts(ctx.args);
    const [a, b] = o.rest;
    if (a === undefined) {
      ctx.err("tr: missing operand\nTry 'tr --help' for more information.\n");
      return 1;
    }
    const from = expandSet(a);
    const text = ctx.stdin.toString('latin1');
    let out = '';
    if (o.flags.has('d')) {
      const set = new Set(from);
      for (const c of text) if (set.has(c) === !o.flags.has('c')) continue;
      else out += c;
    } else {
      const to = expandSet(b ?? '');
      const map = new Map<string, string>();
      [...from].forEach((c, i) => map.set(c, to[Math.min(i, to.length - 1)] ?? c));
      let prev = '';
      for (const c of text) {
        const m = map.get(c) ?? c;
        if (o.flags.has('s') && m === prev && map.has(c)) continue;
        out += m;
        prev = m;
      }
    }
    ctx.out(Buffer.from(out, 'latin1'));
    return 0;
  },
};

export const tee: CommandDef = {
  names: ['tee'],
  run(ctx) {
    const o = parseOpts(ctx.args);
    let status = 0;
    for (const f of o.rest) {
      const path = ctx.sh.resolve(f);
      const e = ctx.sh.vfs.writeFile(path, ctx.stdin, { append: o.flags.has('a') });
      if (e) {
        ctx.err(`tee: ${f}: ${e === 'ENOENT' ? 'No such file or directory' : 'Permission denied'}\n`);
        status = 1;
      } else if (ctx.stdin.length) ctx.sh.hooks.fileWritten?.(path, ctx.stdin, 'tee');
    }
    ctx.out(ctx.stdin);
    return status;
  },
};


export const basename: CommandDef = {
  names: ['basename'],
  run(ctx) {
    const [p, suffix] = ctx.args;
    if (p === undefined) {
      ctx.err("basename: missing operand\nTry 'basename --help' for more information.\n");
      return 1;
    }
    let b = trimTrailing(p, '/').split('/').pop() || '/';
    if (suffix && b.endsWith(suffix) && b !== suffix) b = b.slice(0, -suffix.length);
    ctx.out(`${b}\n`);
    return 0;
  },
};

export const dirname: CommandDef = {
  names: ['dirname'],
  run(ctx) {
    const p = ctx.args[0];
    if (p === undefined) {
      ctx.err("dirname: missing operand\nTry 'dirname --help' for more information.\n");
      return 1;
    }
    const t = trimTrailing(p, '/');
    const i = t.lastIndexOf('/');
    ctx.out(`${i < 0 ? '.' : i === 0 ? '/' : t.slice(0, i)}\n`);
    return 0;
  },
};

/** Most numbers seq prints. */
export const MAX_SEQ = 100_000;

export const seq: CommandDef = {
  names: ['seq'],
  run(ctx) {
    const n = ctx.args.map(Number);
    const [first, step, last] = n.length === 1 ? [1, 1, n[0]!] : n.length === 2 ? [n[0]!, 1, n[1]!] : [n[0]!, n[1]!, n[2]!];
    if ([first, step, last].some((x) => Number.isNaN(x)) || step === 0) {
      ctx.err(`seq: invalid floating point argument: '${ctx.args.find((a) => Number.isNaN(Number(a))) ?? '0'}'\n`);
      return 1;
    }
    let out = '';
    for (let v = first, i = 0; (step > 0 ? v <= last : v >= last) && i < MAX_SEQ; v += step, i++) out += `${v}\n`;
    ctx.out(out);
    return 0;
  },
};

export const yes: CommandDef = {
  names: ['yes'],
  run(ctx) {
    // Real yes runs until killed; a bounded burst is what a pipe reader sees before head closes it.
    const line = `${ctx.args.length ? ctx.args.join(' ') : 'y'}\n`;
    ctx.out(line.repeat(Math.max(1, Math.floor(65536 / line.length))));
    return 0;
  },
};
