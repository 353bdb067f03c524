// od: GNU od's dumps of a file or stdin (the default octal words, -c, -b, -x, -t TYPE; -A, -N, -j,
// -v), within MAX_OD_INPUT_BYTES.
import type { CommandDef } from '../types.js';
import { readInputs } from './util.js';

/** Bytes od reads in all (about four times as much output). */
export const MAX_OD_INPUT_BYTES = 256 * 1024;

interface OdType {
  /** Bytes per field. */
  size: 1 | 2 | 4;
  /** Characters per field (after its leading space). */
  width: number;
  format(b: Buffer, at: number): string;
}

const CHAR_NAMES: Record<number, string> = { 0: '\\0', 7: '\\a', 8: '\\b', 9: '\\t', 10: '\\n', 11: '\\v', 12: '\\f', 13: '\\r' };

function numberType(kind: string, size: 1 | 2 | 4): OdType {
  const read = (b: Buffer, at: number): number => (size === 1 ? b[at]! : size === 2 ? b.readUInt16LE(at) : b.readUInt32LE(at));
  const max = 2 ** (8 * size) - 1;
  switch (kind) {
    case 'x':
      return { size, width: size * 2, format: (b, at) => read(b, at).toString(16).padStart(size * 2, '0') };
    case 'o':
      return { size, width: max.toString(8).length, format: (b, at) => read(b, at).toString(8).padStart(max.toString(8).length, '0') };
    case 'u':
      return { size, width: String(max).length, format: (b, at) => String(read(b, at)) };
    default: {
      const half = 2 ** (8 * size - 1);
      return { size, width: String(-half).length, format: (b, at) => String(read(b, at) >= half ? read(b, at) - 2 * half : read(b, at)) };
    }
  }
}

const CHAR_TYPE: OdType = { size: 1, width: 3, format: (b, at) => CHAR_NAMES[b[at]!] ?? (b[at]! >= 0x20 && b[at]! < 0x7f ? String.fromCharCode(b[at]!) : b[at]!.toString(8).padStart(3, '0')) };

/** A -t argument (x1, o2, d4, u1, c, x, ...); undefined when od would refuse it. */
function parseType(spec: string): OdType | undefined {
  if (spec === 'c') return CHAR_TYPE;
  const m = /^([xoud])([124]|C|S|I)?$/.exec(spec);
  if (!m) return undefined;
  const sizes: Record<string, 1 | 2 | 4> = { C: 1, S: 2, I: 4, '1': 1, '2': 2, '4': 4 };
  // Without a size GNU od takes an int's.
  return numberType(m[1]!, m[2] ? sizes[m[2]]! : 4);
}

function bad(ctx: { err(s: string): void }, text: string): number {
  ctx.err(`od: ${text}\nTry 'od --help' for more information.\n`);
  return 1;
}

export const od: CommandDef = {
  names: ['od'],
  run(ctx) {
    const types: OdType[] = [];
    let radix = 'o';
    let limit = MAX_OD_INPUT_BYTES;
    let skip = 0;
    let verbose = false;
    const files: string[] = [];
    const args = ctx.args;
    for (let i = 0; i < args.length; i++) {
      const a = args[i]!;
      if (a === '--') {
        files.push(...args.slice(i + 1));
        break;
      }
      if (!a.startsWith('-') || a === '-') {
        files.push(a);
        continue;
      }
      for (let j = 1; j < a.length; j++) {
        const o = a[j]!;
        if ('AtNj'.includes(o)) {
          const v = j < a.length - 1 ? a.slice(j + 1) : args[++i];
          if (v === undefined) return bad(ctx, `option requires an argument -- '${o}'`);
          if (o === 'A') {
            if (!/^[doxn]$/.test(v)) return bad(ctx, `invalid output address radix '${v}'; it must be one character from [doxn]`);
            radix = v;
          } else if (o === 't') {
            const t = parseType(v);
            if (!t) return bad(ctx, `invalid type string '${v}'`);
            types.push(t);
          } else {
            const n = /^\d+$/.test(v) ? Number(v) : /^0x[0-9a-f]+$/i.test(v) ? parseInt(v, 16) : NaN;
            if (!Number.isSafeInteger(n)) return bad(ctx, `invalid ${o === 'N' ? '-N' : '-j'} argument '${v}'`);
            if (o === 'N') limit = Math.min(n, MAX_OD_INPUT_BYTES);
            else skip = n;
          }
          break;
        }
        if (o === 'c') types.push(CHAR_TYPE);
        else if (o === 'b') types.push(numberType('o', 1));
        else if (o === 'x') types.push(numberType('x', 2));
        else if (o === 'o') types.push(numberType('o', 2));
        else if (o === 'd') types.push(numberType('u', 2));
        else if (o === 'v') verbose = true;
        else return bad(ctx, `invalid option -- '${o}'`);
      }
    }
    if (!types.length) types.push(numberType('o', 2));
    const { inputs, status } = readInputs(ctx, 'od', files);
    if (!inputs.length) return status;
    const all = Buffer.concat(inputs.map((x) => x.data));
    const data = all.subarray(Math.min(skip, all.length), Math.min(skip, all.length) + limit);
    const addr = (n: number): string => (radix === 'n' ? '' : radix === 'x' ? n.toString(16).padStart(6, '0') : radix === 'd' ? String(n).padStart(7, '0') : n.toString(8).padStart(7, '0'));
    // GNU od's alignment: a block (16 bytes) is as wide for every type as the widest needs, and each
    // type spreads its spare columns over its fields from the right.
    const blockWidth = Math.max(...types.map((t) => (t.width + 1) * (16 / t.size)));
    const out: string[] = [];
    let previous: Buffer | undefined;
    let starred = false;
    for (let at = 0; at < data.length; at += 16) {
      const row = data.subarray(at, at + 16);
      if (!verbose && previous && row.length === 16 && row.equals(previous)) {
        if (!starred) out.push('*\n');
        starred = true;
        continue;
      }
      starred = false;
      previous = row;
      const padded = Buffer.alloc(Math.ceil(row.length / 4) * 4);
      row.copy(padded);
      types.forEach((t, k) => {
        let line = k === 0 ? addr(skip + at) : ' '.repeat(addr(0).length);
        const fields = 16 / t.size;
        const pad = blockWidth - t.width * fields;
        let remaining = pad;
        for (let f = 0; f < Math.ceil(row.length / t.size); f++) {
          const next = Math.floor((pad * (fields - f - 1)) / fields);
          line += t.format(padded, f * t.size).padStart(remaining - next + t.width);
          remaining = next;
        }
        out.push(`${line}\n`);
      });
    }
    if (radix !== 'n') out.push(`${addr(skip + data.length)}\n`);
    ctx.out(out.join(''));
    return status;
  },
};
