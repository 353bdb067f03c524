// test and [: file tests, string and integer comparisons, ! -a -o.
import type { CommandContext, CommandDef } from '../types.js';

function evaluate(ctx: CommandContext, a: string[]): boolean | string {
  if (a.length === 0) return false;
  if (a[0] === '!') {
    const r = evaluate(ctx, a.slice(1));
    return typeof r === 'string' ? r : !r;
  }
  const oi = a.findIndex((x, i) => i > 0 && (x === '-a' || x === '-o'));
  if (oi > 0) {
    const l = evaluate(ctx, a.slice(0, oi));
    const r = evaluate(ctx, a.slice(oi + 1));
    if (typeof l === 'string') return l;
    if (typeof r === 'string') return r;
    return a[oi] === '-a' ? l && r : l || r;
  }
  if (a.length === 1) return a[0] !== '';
  if (a.length === 2) {
    const [op, v] = a as [string, string];
    const st = ctx.sh.vfs.stat(ctx.sh.resolve(v), op !== '-h' && op !== '-L');
    const node = typeof st === 'string' ? undefined : st.node;
    switch (op) {
      case '-e': return !!node;
      case '-f': return node?.kind === 'file' && !node.special;
      case '-d': return node?.kind === 'dir';
      case '-h':
      case '-L': return node?.kind === 'link';
      case '-s': return !!node && node.kind === 'file' && (node.data?.length ?? node.size ?? 0) > 0;
      case '-r':
      case '-w': return !!node && (ctx.sh.user.uid === 0 || node.uid === ctx.sh.user.uid);
      case '-x': return !!node && (node.mode & 0o111) !== 0;
      case '-c': return node?.kind === 'file' && node.special === 'c';
      case '-b': return node?.kind === 'file' && node.special === 'b';
      case '-p': return node?.kind === 'file' && node.special === 'p';
      case '-S': return node?.kind === 'file' && node.special === 's';
      case '-z': return v === '';
      case '-n': return v !== '';
    }
    return `${op}: unary operator expected`;
  }
  if (a.length === 3) {
    const [l, op, r] = a as [string, string, string];
    const int = (s: string): number | undefined => (/^\s*-?\d+\s*$/.test(s) ? Number(s) : undefined);
    switch (op) {
      case '=':
      case '==': return l === r;
      case '!=': return l !== r;
      case '<': return l < r;
      case '>': return l > r;
    }
    if (['-eq', '-ne', '-lt', '-le', '-gt', '-ge'].includes(op)) {
      const x = int(l);
      const y = int(r);
      if (x === undefined) return `${l}: integer expression expected`;
      if (y === undefined) return `${r}: integer expression expected`;
      return { '-eq': x === y, '-ne': x !== y, '-lt': x < y, '-le': x <= y, '-gt': x > y, '-ge': x >= y }[op]!;
    }
    return `${op}: binary operator expected`;
  }
  return 'too many arguments';
}

export const test: CommandDef = {
  names: ['test', '['],
  run(ctx) {
    let args = ctx.args;
    if (ctx.name === '[' || ctx.name.endsWith('/[')) {
      if (args[args.length - 1] !== ']') {
        ctx.err("-bash: [: missing `]'\n");
        return 2;
      }
      args = args.slice(0, -1);
    }
    const r = evaluate(ctx, args);
    if (typeof r === 'string') {
      ctx.err(`-bash: ${ctx.name === '[' ? '[' : 'test'}: ${r}\n`);
      return 2;
    }
    return r ? 0 : 1;
  },
};
